"""Portal login, home page, the company's profile and its users, the user's own account."""

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db, limiter
from backoffice.security import portal_required, safe_next, verify_password
from backoffice.services import users as user_service
from models.users import PortalUser
from views.auth import LoginForm, login_rate_key
from views.portal import nav_item, portal

nav_item("portal.index", _l("Home"), order=0)
nav_item("portal.company", _l("Company"), order=90)
nav_item("portal.account", _l("My account"), order=95)


@portal.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=login_rate_key)
def login():
    """Customers' and suppliers' employees log in here."""
    form = LoginForm()
    if form.validate_on_submit():
        user = user_service.authenticate(
            "portal", form.email.data, form.password.data, request.remote_addr
        )
        if user is None:
            flash(_("Invalid e-mail or password."), "danger")
        elif user is False:
            flash(_("This account is inactive. Contact your administrator."), "danger")
        else:
            db.session.commit()
            session.clear()
            login_user(user, remember=form.remember.data)
            return redirect(
                safe_next(request.args.get("next"), url_for("portal.index"), prefix="/portal")
            )
        db.session.commit()
    return render_template("portal/login.html", form=form, title=_("Customer and supplier portal"))


@portal.get("/")
@portal_required
def index():
    """The portal home page."""
    return render_template("portal/index.html")


@portal.get("/company")
@portal_required
def company():
    """The company's profile and its portal users."""
    company = current_user.company
    column = PortalUser.customer_id if current_user.customer_id else PortalUser.supplier_id
    colleagues = db.session.scalars(
        select(PortalUser).where(column == company.id).order_by(PortalUser.name)
    ).all()
    return render_template("portal/company.html", company=company, colleagues=colleagues)


class ColleagueForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=8)])
    can_file_returns = BooleanField(_l("May file returns"))
    can_accept_offers = BooleanField(_l("May accept offers"), default=True)
    can_file_service_tickets = BooleanField(_l("May file service tickets"), default=True)
    can_redeem_points = BooleanField(_l("May redeem loyalty points"), default=True)


def _company_admin_only():
    if not current_user.is_company_admin:
        abort(403)


@portal.route("/company/users/new", methods=["GET", "POST"])
@portal_required
def add_colleague():
    """A company administrator adds a portal user for the same company."""
    _company_admin_only()
    form = ColleagueForm()
    if form.validate_on_submit():
        flags = {
            f: getattr(form, f).data
            for f in (
                "can_file_returns",
                "can_accept_offers",
                "can_file_service_tickets",
                "can_redeem_points",
            )
        }
        try:
            user_service.create_portal_user(
                current_actor(),
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                customer=current_user.customer,
                supplier=current_user.supplier,
                **flags,
            )
            db.session.commit()
            flash(_("The user has been added."), "success")
            return redirect(url_for("portal.company"))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
    return render_template("portal/colleague_form.html", form=form)


@portal.post("/company/users/<int:user_id>/active")
@portal_required
def toggle_colleague(user_id: int):
    """A company administrator deactivates or reactivates a colleague."""
    _company_admin_only()
    other = db.session.get(PortalUser, user_id)
    if other is None or other.company is not current_user.company or other.id == current_user.id:
        abort(404)
    user_service.set_active(current_actor(), other, not other.active)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("portal.company"))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8)])
    repeat = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("new", message=_l("The passwords differ."))],
    )


@portal.route("/account", methods=["GET", "POST"])
@portal_required
def account():
    """The user's own account: change the password."""
    form = PasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            user_service.reset_password(current_actor(), current_user, form.new.data)
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("portal.account"))
    return render_template("portal/account.html", form=form)
