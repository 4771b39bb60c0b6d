"""Forms of the service module shared by the console and the portal."""

from __future__ import annotations

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from backoffice.errors import DomainError
from backoffice.services.service_tickets import TicketInput

#: Couriers offered in the waybill fields (free text is accepted too).
CARRIERS = (
    "InPost",
    "DPD",
    "DHL",
    "GLS",
    "UPS",
    "FedEx",
    "Poczta Polska",
    "Pocztex",
    "Raben",
    "Geis",
)


class TicketForm(FlaskForm):
    """What a customer (or staff for them) reports."""

    fault_description = TextAreaField(
        _l("Fault description"),
        validators=[DataRequired(), Length(max=5000)],
        description=_l("What does not work, since when, in what circumstances."),
        render_kw={"rows": 5},
    )
    accessories = StringField(
        _l("Sent with the product"),
        validators=[Optional(), Length(max=500)],
        description=_l("E.g. charger, case, cables."),
    )
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=200)])
    contact_email = StringField(_l("Contact e-mail"), validators=[Optional(), Length(max=254)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=32)])
    notify_email = BooleanField(_l("Notify me of status changes by e-mail"), default=True)
    notify_sms = BooleanField(_l("Notify me of status changes by text message"))
    inbound_carrier = StringField(
        _l("Courier (if already sent)"),
        validators=[Optional(), Length(max=64)],
        render_kw={"list": "carriers"},
    )
    inbound_waybill = StringField(
        _l("Waybill number (if already sent)"), validators=[Optional(), Length(max=64)]
    )
    attachments = MultipleFileField(
        _l("Photos or documents"), description=_l("PDF, JPG or PNG, up to 10 MB each.")
    )

    def ticket_input(self) -> TicketInput:
        return TicketInput(
            fault_description=self.fault_description.data,
            contact_name=self.contact_name.data,
            contact_email=self.contact_email.data,
            contact_phone=self.contact_phone.data,
            notify_email=self.notify_email.data,
            notify_sms=self.notify_sms.data,
            accessories=self.accessories.data,
            inbound_carrier=self.inbound_carrier.data,
            inbound_waybill=self.inbound_waybill.data,
        )


class StaffTicketForm(TicketForm):
    """Staff may override the type the date decides, with a reason."""

    kind = SelectField(
        _l("Ticket type"),
        choices=[
            ("", _l("decided from the date")),
            ("warranty", _l("warranty repair")),
            ("post_warranty", _l("post-warranty repair")),
        ],
        default="",
    )
    kind_reason = StringField(
        _l("Reason for the type override"), validators=[Optional(), Length(max=500)]
    )


class PortalRegistrationForm(FlaskForm):
    """A customer's user registers a unit."""

    product_id = SelectField(_l("Product"), coerce=str, validators=[Optional()])
    product_code = StringField(
        _l("Or the SKU / EAN of a product bought elsewhere"),
        validators=[Optional(), Length(max=64)],
    )
    serial = StringField(_l("Serial number"), validators=[Optional(), Length(max=100)])
    purchase_date = DateField(
        _l("Purchase date"),
        validators=[Optional()],
        description=_l("Not needed when the serial number is on one of your delivery notes."),
    )
    proof = MultipleFileField(
        _l("Proof of purchase"),
        description=_l(
            "Invoice or receipt (PDF, JPG or PNG) when bought without our delivery note."
        ),
    )


class StaffRegistrationForm(FlaskForm):
    """Staff register a unit for any customer."""

    customer = StringField(
        _l("Customer"),
        validators=[DataRequired()],
        description=_l("Start typing the name or NIP and pick from the list."),
        render_kw={"list": "customer-options", "autocomplete": "off"},
    )
    product = StringField(
        _l("Product"),
        validators=[DataRequired()],
        description=_l("SKU, EAN or name; pick from the list."),
        render_kw={"list": "product-options", "autocomplete": "off"},
    )
    serial = StringField(_l("Serial number"), validators=[Optional(), Length(max=100)])
    purchase_date = DateField(
        _l("Purchase date"),
        validators=[Optional()],
        description=_l("Taken from the delivery note when the serial number is on one."),
    )
    warranty_months = IntegerField(
        _l("Warranty months"),
        validators=[Optional(), NumberRange(min=0, max=240)],
        description=_l("Leave empty to use the product's warranty period."),
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    proof = MultipleFileField(_l("Proof of purchase"))


def show_errors(form: FlaskForm, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's field errors on the form's fields; anything else becomes a flash."""
    placed = False
    for field, messages in (exc.errors or {}).items():
        name = (aliases or {}).get(field, field)
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*list(target.errors or []), *messages]
            placed = True
    flash(exc.message if not placed else _l("Please correct the marked fields."), "danger")
