"""Staff login and logout, and the language switch."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from backoffice.actors import current_actor
from backoffice.extensions import db, limiter
from backoffice.i18n import LANGUAGES
from backoffice.security import is_staff, public_view, safe_next
from backoffice.services.users import authenticate, set_locale

auth = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    # No syntax check of the address: a wrong one simply does not log in (and internal
    # domains such as .local are valid accounts).
    email = StringField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "type": "email", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=512)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Remember me"))


def login_rate_key() -> str:
    """Limit per address and per account, so one attacker cannot lock out everyone."""
    return f"{request.remote_addr}|{(request.form.get('email') or '').strip().lower()[:254]}"


#: Both login pages (staff and portal) share these limits; failed or not, every POST counts.
limit_per_account = limiter.shared_limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    scope="login-account",
    key_func=login_rate_key,
    methods=["POST"],
)
limit_per_address = limiter.shared_limit(
    lambda: current_app.config["LOGIN_IP_RATE_LIMIT"], scope="login-address", methods=["POST"]
)


def log_in_with_form(kind: str, form: LoginForm):
    """Check the submitted credentials; the logged-in user, or None after flashing why not."""
    user = authenticate(kind, form.email.data, form.password.data, request.remote_addr)
    db.session.commit()  # the audit entry of the attempt, whatever its outcome
    if user is None:
        flash(_("Invalid e-mail or password."), "danger")
        return None
    if user is False:
        flash(_("This account is inactive. Contact your administrator."), "danger")
        return None
    session.clear()  # a fresh session: no fixation, nothing carried over from before
    login_user(user, remember=form.remember.data)
    return user


@auth.route("/login", methods=["GET", "POST"])
@public_view
@limit_per_account
@limit_per_address
def login():
    """Staff log in here; portal users are sent to the portal login."""
    target = safe_next(request.args.get("next"), url_for("admin.index"))
    if request.method == "GET" and is_staff():
        return redirect(target)
    form = LoginForm()
    if form.validate_on_submit() and log_in_with_form("staff", form):
        return redirect(target)
    return render_template("auth/login.html", form=form, title=_("Log in to the console"))


@auth.post("/logout")
def logout():
    """End the session (a POST with a CSRF token, so links cannot log people out)."""
    portal = getattr(current_user, "kind", None) == "portal"
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have been logged out."), "info")
    return redirect(url_for("portal.login" if portal else "auth.login"))


@auth.post("/language/<code>")
def set_language(code: str):
    """Switch the interface language; remembered on the user's account."""
    if code not in LANGUAGES:
        abort(404)
    session["locale"] = code
    if current_user.is_authenticated:
        set_locale(current_actor(), current_user, code)
        db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("auth.login")))
