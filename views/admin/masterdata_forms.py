"""Form pieces of the master-data console: upload and flag fields the views handle
themselves, validators (postal codes per country, known choices), and the inline forms of
a customer's addresses and contacts."""

from __future__ import annotations

from flask_admin.model.form import InlineFormAdmin
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FileField, SelectField
from wtforms.validators import Optional, Regexp, ValidationError

from backoffice.errors import ValidationFailed
from backoffice.validators import normalise_email, normalise_phone, normalise_postal_code, wtf
from models.customers import AddressKind

optional_email = wtf(lambda value, field: normalise_email(value, field=field, required=False))


class UploadField(FileField):
    """A file input whose upload a view handles itself (never copied onto the model)."""

    def populate_obj(self, obj, name):
        pass


class FlagField(BooleanField):
    """A checkbox a view reads itself (never copied onto the model)."""

    def populate_obj(self, obj, name):
        pass


def postal_code_for_country(form, field):
    """Polish postal codes must look like 00-950; others are only trimmed."""
    country = (form.country.data or "PL").strip().upper() if hasattr(form, "country") else "PL"
    try:
        field.data = normalise_postal_code(field.data, field=field.name, country=country)
    except ValidationFailed as exc:
        raise ValidationError(exc.message) from exc


def known_choice(form, field):
    """Flask-Admin turns an unknown id into "nothing chosen"; say so instead."""
    raw = getattr(field, "_formdata", None)
    if raw not in (None, "", "__None") and field.data is None:
        raise ValidationError(_l("Not a valid choice."))


def upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def strip(value):
    return value.strip() if isinstance(value, str) else value


def strip_or_none(value):
    """Blank optional keys (external ids, codes) are stored as NULL, not as ""."""
    return (value.strip() or None) if isinstance(value, str) else value


COUNTRY_ARGS = {
    "default": "PL",
    "filters": [upper],
    "validators": [Regexp(r"^[A-Z]{2}$", message=_l("Use a two-letter code such as PL."))],
}


ADDRESS_LABELS = {
    "kind": _l("Kind"),
    "name": _l("Recipient"),
    "street": _l("Street and number"),
    "postal_code": _l("Postal code"),
    "city": _l("City"),
    "country": _l("Country"),
    "region": _l("Region"),
    "is_default": _l("Default"),
}
CONTACT_LABELS = {
    "name": _l("Name"),
    "position": _l("Position"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "receives_order_notices": _l("Order notices"),
    "receives_return_notices": _l("Return notices"),
    "receives_payment_reminders": _l("Payment reminders"),
    "receives_offers": _l("Offers"),
    "may_file_returns": _l("May file returns"),
}


class AddressInline(InlineFormAdmin):
    form_columns = (
        "id",
        "kind",
        "name",
        "street",
        "postal_code",
        "city",
        "country",
        "region",
        "is_default",
    )
    column_labels = ADDRESS_LABELS
    form_overrides = {"kind": SelectField}
    form_args = {
        "kind": {
            "choices": [
                (AddressKind.BILLING, _l("Billing")),
                (AddressKind.SHIPPING, _l("Shipping")),
            ],
            "coerce": AddressKind,
        },
        "postal_code": {"validators": [postal_code_for_country]},
        "country": COUNTRY_ARGS,
    }


class ContactInline(InlineFormAdmin):
    form_columns = (
        "id",
        "name",
        "position",
        "email",
        "phone",
        "receives_order_notices",
        "receives_return_notices",
        "receives_payment_reminders",
        "receives_offers",
        "may_file_returns",
    )
    column_labels = CONTACT_LABELS
    form_args = {
        "email": {"validators": [Optional(), optional_email]},
        "phone": {"validators": [Optional(), wtf(normalise_phone)], "render_kw": {"maxlength": 32}},
    }
