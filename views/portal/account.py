"""Portal login, home page, the company's profile and its users, the user's own account."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.security import (
    is_portal_user,
    portal_required,
    public_view,
    renew_login,
    safe_next,
)
from backoffice.services import users as user_service
from models.users import PortalUser
from views.auth import LoginForm, limit_per_account, limit_per_address, log_in_with_form
from views.form_helpers import LanguageForm, PasswordForm, attach_error
from views.portal import nav_item, portal

nav_item("portal.index", _l("Home"), order=0)
nav_item("portal.company", _l("Company"), order=90)
nav_item("portal.account", _l("My account"), order=95)

PERMISSION_FLAGS = (
    "can_file_returns",
    "can_accept_offers",
    "can_file_service_tickets",
    "can_redeem_points",
)


@portal.route("/login", methods=["GET", "POST"])
@public_view
@limit_per_account
@limit_per_address
def login():
    """Customers' and suppliers' employees log in here."""
    target = safe_next(request.args.get("next"), url_for("portal.index"), prefix="/portal")
    if request.method == "GET" and is_portal_user():
        return redirect(target)
    form = LoginForm()
    if form.validate_on_submit() and log_in_with_form("portal", form):
        return redirect(target)
    return render_template("portal/login.html", form=form, title=_("Customer and supplier portal"))


@portal.get("/")
@portal_required
def index():
    """The portal home page."""
    return render_template("portal/index.html", title=_("Home"))


@portal.get("/company")
@portal_required
def company():
    """The company's profile and its portal users."""
    company = current_user.company
    column = PortalUser.customer_id if current_user.customer_id else PortalUser.supplier_id
    colleagues = db.session.scalars(
        select(PortalUser).where(column == company.id).order_by(PortalUser.name)
    ).all()
    return render_template(
        "portal/company.html", company=company, colleagues=colleagues, title=_("Company")
    )


class ColleagueForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(min=user_service.MIN_PASSWORD, max=128)],
        description=_l("Give it to your colleague; they can change it under My account."),
        render_kw={"autocomplete": "new-password"},
    )
    can_file_returns = BooleanField(_l("May file returns"))
    can_accept_offers = BooleanField(_l("May accept offers"), default=True)
    can_file_service_tickets = BooleanField(_l("May file service tickets"), default=True)
    can_redeem_points = BooleanField(_l("May redeem loyalty points"), default=True)


def _company_admin_only() -> None:
    if not current_user.is_company_admin:
        abort(403)


def _colleague(user_id: int) -> PortalUser:
    """Another portal user of the current user's company, else 404."""
    other = db.session.get(PortalUser, user_id)
    if other is None or other.company is not current_user.company or other.id == current_user.id:
        abort(404)
    return other


@portal.route("/company/users/new", methods=["GET", "POST"])
@portal_required
def add_colleague():
    """A company administrator adds a portal user for the same company."""
    _company_admin_only()
    form = ColleagueForm()
    if form.validate_on_submit():
        try:
            user_service.create_portal_user(
                current_actor(),
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                customer=current_user.customer,
                supplier=current_user.supplier,
                **{f: getattr(form, f).data for f in PERMISSION_FLAGS},
            )
            db.session.commit()
            flash(_("The user has been added."), "success")
            return redirect(url_for("portal.company"))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("portal/colleague_form.html", form=form, title=_("Add a user"))


@portal.post("/company/users/<int:user_id>/active")
@portal_required
def toggle_colleague(user_id: int):
    """A company administrator deactivates or reactivates a colleague."""
    _company_admin_only()
    other = _colleague(user_id)
    try:
        user_service.set_active(current_actor(), other, not other.active)
        db.session.commit()
        flash(_("Saved."), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for("portal.company"))


@portal.route("/account", methods=["GET", "POST"])
@portal_required
def account():
    """The user's own account: the language and the password."""
    form = PasswordForm(prefix="pw")
    language = LanguageForm(prefix="lang", locale=current_user.locale)
    if request.form.get("form") == "language" and language.validate_on_submit():
        user_service.set_locale(current_actor(), current_user, language.locale.data)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("portal.account"))
    if request.form.get("form") == "password" and form.validate_on_submit():
        try:
            user_service.change_password(
                current_actor(), current_user, form.current.data, form.new.data
            )
            db.session.commit()
            renew_login(current_user._get_current_object())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("portal.account"))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template(
        "portal/account.html", form=form, language=language, title=_("My account")
    )
