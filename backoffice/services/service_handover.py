"""Reading what service needs from an RMA return line (product, serial, customer, dates)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from backoffice.errors import ValidationFailed
from backoffice.i18n import format_number
from backoffice.services.warranty import WARSAW
from models.customers import Customer
from models.delivery_notes import DeliveryNote
from models.products import Product

if TYPE_CHECKING:
    from models.returns import ReturnLine


@dataclass(frozen=True)
class ReturnLineFacts:
    line_id: int | None
    customer: Customer
    product: Product
    serial: str | None
    description: str | None
    delivery_note: DeliveryNote | None
    purchase_date: dt.date | None
    return_number: str | None
    received_on: dt.date | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None


def _as_date(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone(WARSAW).date() if value is not None else None


def _description(line: ReturnLine) -> str | None:
    """The customer's description, the officer's findings and the quantity, if any."""
    parts = [line.description, line.assessment_notes]
    if line.quantity is not None and Decimal(line.quantity) != 1:
        parts.append(_("Quantity: %(qty)s", qty=format_number(line.quantity)))
    text = "\n".join(p.strip() for p in parts if p and p.strip())
    return text or None


def return_line_facts(line: ReturnLine) -> ReturnLineFacts:
    """What a return line says about the unit; ValidationFailed if it names no product."""
    request = line.return_request
    note_line = line.delivery_note_line
    note = note_line.delivery_note if note_line is not None else request.delivery_note
    product = line.product or (note_line.product if note_line is not None else None)
    if product is None or request is None or request.customer is None:
        raise ValidationFailed(_("The return line does not name its product and customer."))
    return ReturnLineFacts(
        line_id=line.id,
        customer=request.customer,
        product=product,
        serial=line.serial_number,
        description=_description(line),
        delivery_note=note,
        purchase_date=_as_date(note.issued_at) if note is not None else None,
        return_number=request.number,
        received_on=_as_date(request.received_at),
        contact_name=request.contact_name,
        contact_email=request.contact_email,
        contact_phone=request.contact_phone,
    )
