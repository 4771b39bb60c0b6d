"""Registered products: registration by staff, customers, the API and returns; verification.

A unit is identified by product + serial number (unique). Its purchase date comes from the
customer's delivery note when the serial is on one (verified at once); otherwise it is
entered with a proof of purchase. Customers may register a serial-tracked product only
with a serial from one of their delivery notes; other products they register go to staff
as "to verify". The warranty end is computed at once (see warranty.py).
"""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import Conflict, InvalidTransition, ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from backoffice.services.service_attachments import check_files, store_attachment
from backoffice.services.warranty import (
    WARSAW,
    recompute_warranty,
    warranty_end,
    warsaw_today,
)
from models.base import utcnow
from models.customers import Customer
from models.delivery_notes import DeliveredSerial, DeliveryNote, DeliveryNoteLine
from models.products import Product
from models.service_products import PurchaseSource, RegisteredProduct, RegistrationStatus
from models.service_tickets import AttachmentKind

MAX_WARRANTY_MONTHS = 240


def normalise_serial(value: str | None) -> str | None:
    """Trimmed, upper-case, inner spaces collapsed; None when blank."""
    text = re.sub(r"\s+", " ", (value or "").strip()).upper()
    if len(text) > 100:
        raise ValidationFailed(_("The serial number is too long."), field="serial")
    return text or None


def delivery_note_with_serial(customer_id: int, product_id: int, serial: str):
    """The customer's latest delivery note on which this serial of the product was delivered."""
    return db.session.scalar(
        select(DeliveryNote)
        .join(DeliveryNoteLine, DeliveryNoteLine.delivery_note_id == DeliveryNote.id)
        .join(DeliveredSerial, DeliveredSerial.line_id == DeliveryNoteLine.id)
        .where(
            DeliveryNote.customer_id == customer_id,
            DeliveryNoteLine.product_id == product_id,
            func.upper(DeliveredSerial.serial) == serial,
        )
        .order_by(DeliveryNote.issued_at.desc())
        .limit(1)
    )


def unit_by_serial(product_id: int, serial: str | None) -> RegisteredProduct | None:
    if not serial:
        return None
    return db.session.scalar(
        select(RegisteredProduct).where(
            RegisteredProduct.product_id == product_id, RegisteredProduct.serial == serial
        )
    )


def _check_purchase_date(value: dt.date | None) -> dt.date:
    if value is None:
        raise ValidationFailed(_("Enter the purchase date."), field="purchase_date")
    if value > warsaw_today():
        raise ValidationFailed(
            _("The purchase date cannot be in the future."), field="purchase_date"
        )
    if value < dt.date(1990, 1, 1):
        raise ValidationFailed(_("The purchase date is not plausible."), field="purchase_date")
    return value


def _check_months(value: int | None, product: Product) -> int:
    months = product.warranty_months if value is None else value
    if not 0 <= int(months) <= MAX_WARRANTY_MONTHS:
        raise ValidationFailed(
            _("Warranty months must be between 0 and %(n)d.", n=MAX_WARRANTY_MONTHS),
            field="warranty_months",
        )
    return int(months)


def _existing_conflict(existing: RegisteredProduct, customer: Customer) -> Conflict:
    if existing.customer_id == customer.id:
        return Conflict(
            _("This unit (serial %(serial)s) is already registered.", serial=existing.serial),
            field="serial",
        )
    return Conflict(
        _(
            "Serial number %(serial)s is registered to another customer. "
            "Please contact our service.",
            serial=existing.serial,
        ),
        field="serial",
    )


def register_product(
    actor: Actor,
    *,
    customer: Customer,
    product: Product,
    serial: str | None = None,
    purchase_date: dt.date | None = None,
    warranty_months: int | None = None,
    proof=(),
    by_customer: bool = False,
    source: str = "staff",
    notes: str | None = None,
    delivery_note: DeliveryNote | None = None,
    require_proof: bool | None = None,
) -> RegisteredProduct:
    """Register a customer's unit. No commit.

    Raises ValidationFailed (missing serial, date or proof; a serial-tracked product whose
    serial is not on the customer's delivery notes, for customers) or Conflict (the serial
    is already registered).
    """
    serial = _check_new_unit(customer, product, serial, warranty_months, by_customer)
    months = _check_months(warranty_months, product)
    proof = check_files(proof, field="proof")
    note = delivery_note_with_serial(customer.id, product.id, serial) if serial else None
    if note is None and delivery_note is not None and delivery_note.customer_id == customer.id:
        note = delivery_note
    unit = RegisteredProduct(
        customer=customer,
        product=product,
        serial=serial,
        warranty_months=months,
        source=source,
        registered_by=actor.label[:300],
        notes=(notes or "").strip() or None,
    )
    require_proof = by_customer if require_proof is None else require_proof
    _set_purchase(unit, note, purchase_date, proof, by_customer, require_proof, product)
    if unit.status == RegistrationStatus.VERIFIED:
        unit.verified_at = utcnow()
        unit.verified_by_id = actor.id if actor.kind == "staff" else None
    recompute_warranty_new(unit)
    _insert_unique(unit, customer)
    for upload in proof:
        store_attachment(actor, upload, AttachmentKind.PROOF_OF_PURCHASE, registered_product=unit)
    _log_registration(actor, unit)
    return unit


def _check_new_unit(customer, product, serial, warranty_months, by_customer) -> str | None:
    """The normalised serial of a unit that may be registered, else a domain error."""
    if product is None:
        raise ValidationFailed(_("Choose the product."), field="product")
    serial = normalise_serial(serial)
    if product.serial_tracked and not serial:
        raise ValidationFailed(_("This product needs its serial number."), field="serial")
    existing = unit_by_serial(product.id, serial)
    if existing is not None:
        raise _existing_conflict(existing, customer)
    if by_customer and warranty_months is not None:
        raise ValidationFailed(_("Only staff may change the warranty period."))
    return serial


def _log_registration(actor: Actor, unit: RegisteredProduct) -> None:
    record(
        actor,
        "registered_product.register",
        unit,
        summary=f"{unit.product.sku} {unit.serial or ''}",
        changes={
            "status": unit.status,
            "purchase_date": unit.purchase_date,
            "warranty_months": unit.warranty_months,
            "source": unit.source,
        },
    )


def _set_purchase(unit, note, purchase_date, proof, by_customer, require_proof, product) -> None:
    if note is not None:
        unit.delivery_note = note
        unit.purchase_date = note.issued_at.astimezone(WARSAW).date()
        unit.purchase_source = PurchaseSource.DELIVERY_NOTE
        unit.status = RegistrationStatus.VERIFIED
        return
    if by_customer and product.serial_tracked:
        raise ValidationFailed(
            _(
                "Serial number %(serial)s of this product is not on any delivery note of "
                "your company. Check the number; if the unit was bought elsewhere, please "
                "contact our service.",
                serial=unit.serial,
            ),
            field="serial",
        )
    unit.purchase_date = _check_purchase_date(purchase_date)
    if by_customer:
        if require_proof and not proof:
            raise ValidationFailed(
                _("Attach the proof of purchase (invoice or receipt)."), field="proof"
            )
        unit.purchase_source = PurchaseSource.PROOF_OF_PURCHASE
        unit.status = RegistrationStatus.TO_VERIFY
    else:
        unit.purchase_source = PurchaseSource.PROOF_OF_PURCHASE if proof else PurchaseSource.STAFF
        unit.status = RegistrationStatus.VERIFIED


def recompute_warranty_new(unit: RegisteredProduct) -> None:
    """Warranty end of a unit that has no repairs yet."""
    unit.warranty_extension_days = 0
    unit.warranty_ends_on = warranty_end(unit.purchase_date, unit.warranty_months)


def _insert_unique(unit: RegisteredProduct, customer: Customer) -> None:
    """Add the unit; a concurrent registration of the same serial becomes a Conflict."""
    try:
        with db.session.begin_nested():
            db.session.add(unit)
            db.session.flush()
    except IntegrityError as exc:
        existing = unit_by_serial(unit.product_id, unit.serial)
        if existing is None:
            raise
        raise _existing_conflict(existing, customer) from exc


def find_or_register(
    actor: Actor,
    *,
    customer: Customer,
    product: Product,
    serial: str | None,
    purchase_date: dt.date | None = None,
    source: str,
    by_customer: bool = False,
    delivery_note: DeliveryNote | None = None,
) -> RegisteredProduct:
    """The customer's registered unit with this serial, registering it when new. No commit."""
    serial = normalise_serial(serial)
    existing = unit_by_serial(product.id, serial)
    if existing is not None:
        if existing.customer_id != customer.id:
            raise _existing_conflict(existing, customer)
        return existing
    return register_product(
        actor,
        customer=customer,
        product=product,
        serial=serial,
        purchase_date=purchase_date,
        source=source,
        by_customer=by_customer,
        delivery_note=delivery_note,
        require_proof=False,
    )


def verify_registration(
    actor: Actor, unit: RegisteredProduct, purchase_date: dt.date | None = None
) -> None:
    """to_verify → verified (staff checked the proof; may correct the date). No commit."""
    if unit.status != RegistrationStatus.TO_VERIFY:
        raise InvalidTransition(_("Only a registration waiting for verification can be verified."))
    old_date = unit.purchase_date
    if purchase_date is not None:
        unit.purchase_date = _check_purchase_date(purchase_date)
    unit.status = RegistrationStatus.VERIFIED
    unit.verified_at = utcnow()
    unit.verified_by_id = actor.id if actor.kind == "staff" else None
    recompute_warranty(unit)
    record(
        actor,
        "registered_product.verify",
        unit,
        changes={"purchase_date": [old_date, unit.purchase_date]},
    )


def reject_registration(actor: Actor, unit: RegisteredProduct, reason: str) -> None:
    """to_verify → rejected, with the reason the customer will see. No commit."""
    if unit.status != RegistrationStatus.TO_VERIFY:
        raise InvalidTransition(_("Only a registration waiting for verification can be rejected."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for the rejection."), field="reason")
    unit.status = RegistrationStatus.REJECTED
    unit.notes = reason
    record(actor, "registered_product.reject", unit, summary=reason)


def change_warranty_terms(
    actor: Actor,
    unit: RegisteredProduct,
    *,
    purchase_date: dt.date,
    warranty_months: int,
    reason: str,
) -> None:
    """Staff correct the purchase date or warranty period; the reason is audited. No commit."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for the change."), field="reason")
    old = (unit.purchase_date, unit.warranty_months, unit.warranty_ends_on)
    unit.purchase_date = _check_purchase_date(purchase_date)
    unit.warranty_months = _check_months(warranty_months, unit.product)
    recompute_warranty(unit)
    record(
        actor,
        "registered_product.warranty_terms",
        unit,
        summary=reason,
        changes={
            "purchase_date": [old[0], unit.purchase_date],
            "warranty_months": [old[1], unit.warranty_months],
            "warranty_ends_on": [old[2], unit.warranty_ends_on],
        },
    )
