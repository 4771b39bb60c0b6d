"""Public B2B account application form (with the request for the returns permission) and
the one-time page where an approved applicant sets the password."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from backoffice.actors import Actor, actor_for
from backoffice.errors import DomainError
from backoffice.extensions import db, limiter
from backoffice.i18n import select_locale
from backoffice.services import account_applications as service
from backoffice.services.users import reset_password
from views.public import public


class ApplicationForm(FlaskForm):
    company_name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=300)])
    nip = StringField(_l("NIP"), validators=[DataRequired(), Length(max=20)])
    street = StringField(_l("Street and number"), validators=[DataRequired(), Length(max=300)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(), Length(max=16)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=120)])
    contact_name = StringField(
        _l("Your name and surname"), validators=[DataRequired(), Length(max=200)]
    )
    email = EmailField(_l("E-mail (your login)"), validators=[DataRequired(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    wants_returns = BooleanField(
        _l("I request the permission to file returns (RMA module)"),
        description=_l("Returns can be filed in the portal against our delivery notes."),
    )
    message = TextAreaField(_l("Message (optional)"), validators=[Optional(), Length(max=5000)])
    consent = BooleanField(
        _l("I agree to the processing of the data above to open and run the B2B account."),
        validators=[DataRequired(message=_l("The consent is needed to open an account."))],
    )
    #: Left empty by people; bots fill every field.
    website = StringField(_l("Leave this field empty"))


@public.route("/accounts/apply", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def account_apply():
    """Apply for a B2B portal account (optionally with the returns permission)."""
    form = ApplicationForm()
    if form.validate_on_submit():
        if form.website.data:
            return redirect(url_for("public.account_apply_thanks"))
        data = service.ApplicationData(
            **{
                k: getattr(form, k).data
                for k in (
                    "company_name",
                    "nip",
                    "street",
                    "postal_code",
                    "city",
                    "contact_name",
                    "email",
                    "phone",
                    "wants_returns",
                    "message",
                )
            },
            locale=select_locale(),
        )
        actor = Actor("anonymous", None, (form.email.data or "")[:254], request.remote_addr)
        try:
            service.submit_application(actor, data)
            db.session.commit()
            return redirect(url_for("public.account_apply_thanks"))
        except DomainError as exc:
            db.session.rollback()
            for name, messages in (exc.errors or {"_": [exc.message]}).items():
                field = getattr(form, name, None)
                if field is not None and hasattr(field, "errors"):
                    field.errors = [*field.errors, *messages]
                else:
                    flash(" ".join(messages), "danger")
    return render_template("public/accounts/apply.html", form=form, title=_("B2B account"))


@public.get("/accounts/apply/thanks")
def account_apply_thanks():
    """What happens next after applying."""
    return render_template("public/accounts/thanks.html", title=_("B2B account"))


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8)])
    repeat = PasswordField(
        _l("Repeat the password"),
        validators=[EqualTo("password", message=_l("The passwords differ."))],
    )


@public.route("/accounts/set-password/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def account_set_password(token: str):
    """Set the password of a new portal account from the e-mailed one-time link."""
    user = service.user_for_password_token(token)
    if user is None:
        return render_template("public/accounts/link_invalid.html", title=_("B2B account")), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password(actor_for(user, request.remote_addr), user, form.password.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            form.password.errors = [*form.password.errors, exc.message]
        else:
            session.clear()
            login_user(user)
            flash(_("Your password has been set. Welcome!"), "success")
            return redirect(url_for("portal.index"))
    return render_template(
        "public/accounts/set_password.html", form=form, user=user, title=_("Set your password")
    )
