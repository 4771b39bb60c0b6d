"""Staff login and logout, and the language switch."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email

from backoffice.actors import actor_for
from backoffice.extensions import db, limiter
from backoffice.i18n import LANGUAGES
from backoffice.security import safe_next
from backoffice.services.users import authenticate

auth = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Remember me"))


def login_rate_key() -> str:
    """Limit per address and per account, so one attacker cannot lock out everyone."""
    return f"{request.remote_addr}|{(request.form.get('email') or '').strip().lower()}"


@auth.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=login_rate_key)
def login():
    """Staff log in here; portal users are sent to the portal login."""
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate("staff", form.email.data, form.password.data, request.remote_addr)
        if user is None:
            flash(_("Invalid e-mail or password."), "danger")
        elif user is False:
            flash(_("This account is inactive. Contact your administrator."), "danger")
        else:
            db.session.commit()
            session.clear()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("admin.index")))
        db.session.commit()
    return render_template("auth/login.html", form=form, title=_("Log in to the console"))


@auth.post("/logout")
def logout():
    """End the session (a POST with a CSRF token, so links cannot log people out)."""
    portal = getattr(current_user, "kind", None) == "portal"
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("portal.login" if portal else "auth.login"))


@auth.post("/language/<code>")
def set_language(code: str):
    """Switch the interface language; remembered on the user's account."""
    if code not in LANGUAGES:
        abort(404)
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        from backoffice.services.audit import record

        record(
            actor_for(current_user, request.remote_addr),
            "user.language",
            current_user,
            summary=code,
        )
        db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("auth.login")))
