"""Console: our company's profile (one page, administrators), printed on every document."""

from __future__ import annotations

from flask import flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FileField, StringField
from wtforms.validators import DataRequired, Length

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import company as company_service
from models.users import Role
from views.admin.base import Category, SecureView
from views.admin.masterdata_common import attach_error
from views.form_helpers import send_stored

TEXT_FIELDS = (
    "name",
    "street",
    "postal_code",
    "city",
    "country",
    "nip",
    "regon",
    "krs",
    "email",
    "phone",
    "website",
    "bank_name",
    "bank_account",
)


class CompanyForm(FlaskForm):
    """Every editable field of the profile; values are checked by the company service."""

    name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=300)])
    street = StringField(_l("Street and number"), validators=[Length(max=300)])
    postal_code = StringField(_l("Postal code"), validators=[Length(max=16)])
    city = StringField(_l("City"), validators=[Length(max=120)])
    country = StringField(_l("Country"), default="PL", validators=[Length(max=2)])
    nip = StringField(_l("NIP"), validators=[Length(max=20)])
    regon = StringField(_l("REGON"), validators=[Length(max=20)])
    krs = StringField(_l("KRS"), validators=[Length(max=10)])
    email = StringField(_l("E-mail"), validators=[Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=32)])
    website = StringField(_l("Website"), validators=[Length(max=200)])
    bank_name = StringField(_l("Bank"), validators=[Length(max=120)])
    bank_account = StringField(
        _l("Bank account (IBAN)"),
        validators=[Length(max=42)],
        description=_l("Polish 26-digit account numbers get the PL prefix automatically."),
    )
    logo = FileField(
        _l("Logo"),
        description=_l("PNG or JPEG up to 2 MB, printed on documents."),
        render_kw={"accept": "image/png,image/jpeg"},
    )
    remove_logo = BooleanField(_l("Remove the logo"))


class CompanyProfileView(SecureView):
    """One page: the profile as documents print it, editable by administrators."""

    roles = (Role.ADMIN,)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        profile = company_service.get_profile()
        form = CompanyForm(obj=profile)
        if request.method == "GET":
            form.bank_account.data = company_service.format_iban(profile.bank_account)
        if form.validate_on_submit() and self._save(form):
            flash(_("The company profile has been saved."), "success")
            return redirect(self.get_url(".index"))
        db.session.commit()  # keeps the row get_profile() may have just created
        iban = company_service.format_iban(profile.bank_account)
        return self.render("admin/masterdata/company.html", form=form, profile=profile, iban=iban)

    def _save(self, form: CompanyForm) -> bool:
        actor = current_actor()
        try:
            company_service.update_profile(actor, **{f: getattr(form, f).data for f in TEXT_FIELDS})
            upload = form.logo.data
            if upload is not None and getattr(upload, "filename", ""):
                company_service.set_logo(actor, upload)
            elif form.remove_logo.data:
                company_service.remove_logo(actor)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return False
        return True

    @expose("/logo")
    def logo_view(self):
        """The company's logo image."""
        return send_stored(company_service.get_profile().logo_path)


def register(admin) -> None:
    """The company profile page in the Master data menu."""
    admin.add_view(
        CompanyProfileView(
            name=_l("Company profile"),
            category=Category.MASTER_DATA,
            endpoint="company_profile",
            url="/admin/company",
        )
    )
