"""Reading the offer editor's payload: every field checked, every problem reported at once.

``parse_draft(payload)`` turns the editor's JSON (strings as typed, Polish decimal commas
allowed) into a ``DraftInput`` or raises ``ValidationFailed`` whose ``errors`` map field
paths (``lines.3.quantity``) to messages. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from backoffice.errors import ValidationFailed
from models.offers import PricingMode

CURRENCIES = ("PLN", "EUR", "USD", "GBP", "CHF", "CZK")
MAX_LINES = 5000
MAX_AMOUNT = Decimal("9999999999.99")


@dataclass
class LineDraft:
    product_id: int | None
    name: str
    sku: str | None
    unit: str | None
    packaging_unit_id: int | None
    quantity: Decimal
    unit_price: Decimal | None
    discount_pct: Decimal
    vat_rate: Decimal | None
    optional: bool


@dataclass
class ServiceDraft:
    extra_service_id: int | None
    name: str
    unit: str | None
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal


@dataclass
class ConditionDraft:
    template_id: int | None
    title: str
    body: str


@dataclass
class RecipientDraft:
    customer_id: int
    contact_ids: list[int] | None


@dataclass
class DraftInput:
    revision: int | None
    title: str | None
    valid_until: dt.date
    currency: str
    internal_notes: str | None
    intro: str | None
    pricing_mode: PricingMode
    final_total_net: Decimal | None
    recipients: list[RecipientDraft] = field(default_factory=list)
    lines: list[LineDraft] = field(default_factory=list)
    services: list[ServiceDraft] = field(default_factory=list)
    conditions: list[ConditionDraft] = field(default_factory=list)


class _Errors(dict):
    def add(self, path: str, message: str) -> None:
        self.setdefault(path, []).append(message)


def parse_decimal(
    value: Any, path: str, errors: _Errors, *, places: int = 2, minimum=None, maximum=None
) -> Decimal | None:
    """ "1 234,5" → Decimal("1234.5"); None for blank; an error for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = re.sub(r"[\s\u00a0]", "", str(value)).replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        errors.add(path, _("Enter a number, e.g. 12,50."))
        return None
    if not number.is_finite():
        errors.add(path, _("Enter a number, e.g. 12,50."))
        return None
    if number.as_tuple().exponent < -places:
        errors.add(path, _("At most %(n)d decimal places.", n=places))
    elif minimum is not None and number < minimum:
        errors.add(path, _("The value must be at least %(min)s.", min=minimum))
    elif maximum is not None and number > maximum:
        errors.add(path, _("The value must be at most %(max)s.", max=maximum))
    return number


def _text(value: Any, path: str, errors: _Errors, limit: int, required: bool = False):
    text = (str(value).strip() if value is not None else "") or None
    if required and not text:
        errors.add(path, _("This field is required."))
    elif text and len(text) > limit:
        errors.add(path, _("At most %(n)d characters.", n=limit))
    return text


def _int_or_none(value: Any, path: str, errors: _Errors) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors.add(path, _("Invalid choice."))
        return None


def _date(value: Any, path: str, errors: _Errors) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors.add(path, _("Enter a date (YYYY-MM-DD)."))
        return None


def parse_draft(payload: dict) -> DraftInput:
    """The editor's payload as typed values; raises ValidationFailed with field errors."""
    errors = _Errors()
    if not isinstance(payload, dict):
        raise ValidationFailed(_("The offer data could not be read."))
    mode = payload.get("pricing_mode") or PricingMode.UNIT_PRICES.value
    if mode not in {m.value for m in PricingMode}:
        errors.add("pricing_mode", _("Invalid choice."))
        mode = PricingMode.UNIT_PRICES.value
    currency = str(payload.get("currency") or "PLN").upper()
    if currency not in CURRENCIES:
        errors.add("currency", _("Invalid choice."))
    final_total = parse_decimal(
        payload.get("final_total_net"),
        "final_total_net",
        errors,
        minimum=Decimal("0.01"),
        maximum=MAX_AMOUNT,
    )
    if mode == PricingMode.FINAL_TOTAL and final_total is None and "final_total_net" not in errors:
        errors.add("final_total_net", _("Enter the final net total to spread over the lines."))
    draft = DraftInput(
        revision=_int_or_none(payload.get("revision"), "revision", errors),
        title=_text(payload.get("title"), "title", errors, 300),
        valid_until=_date(payload.get("valid_until"), "valid_until", errors),
        currency=currency,
        internal_notes=_text(payload.get("internal_notes"), "internal_notes", errors, 10000),
        intro=_text(payload.get("intro"), "intro", errors, 10000),
        pricing_mode=PricingMode(mode),
        final_total_net=final_total if mode == PricingMode.FINAL_TOTAL else None,
    )
    draft.recipients = _recipients(payload.get("recipients") or [], errors)
    draft.lines = [_line(i, raw, errors) for i, raw in enumerate(_list(payload, "lines", errors))]
    draft.services = [
        _service(i, raw, errors) for i, raw in enumerate(_list(payload, "services", errors))
    ]
    draft.conditions = [
        _condition(i, raw, errors) for i, raw in enumerate(_list(payload, "conditions", errors))
    ]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=dict(errors))
    return draft


def _list(payload: dict, key: str, errors: _Errors) -> list[dict]:
    items = payload.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        errors.add(key, _("The offer data could not be read."))
        return []
    if len(items) > MAX_LINES:
        errors.add(key, _("At most %(n)d items.", n=MAX_LINES))
        return []
    return items


def _recipients(items: Any, errors: _Errors) -> list[RecipientDraft]:
    out, seen = [], set()
    for i, raw in enumerate(items if isinstance(items, list) else []):
        raw = raw if isinstance(raw, dict) else {"customer_id": raw}
        customer_id = _int_or_none(raw.get("customer_id"), f"recipients.{i}", errors)
        if customer_id is None or customer_id in seen:
            continue
        seen.add(customer_id)
        contacts = raw.get("contact_ids")
        ids = None
        if isinstance(contacts, list):
            ids = [c for c in (_int_or_none(c, f"recipients.{i}", errors) for c in contacts) if c]
        out.append(RecipientDraft(customer_id, ids))
    return out


def _line(i: int, raw: dict, errors: _Errors) -> LineDraft:
    p = f"lines.{i}"
    quantity = parse_decimal(
        raw.get("quantity"), f"{p}.quantity", errors, places=3, maximum=Decimal("999999999")
    )
    if quantity is None and f"{p}.quantity" not in errors:
        errors.add(f"{p}.quantity", _("Enter the quantity."))
    elif quantity is not None and quantity <= 0 and f"{p}.quantity" not in errors:
        errors.add(f"{p}.quantity", _("The quantity must be greater than zero."))
    product_id = _int_or_none(raw.get("product_id"), f"{p}.product_id", errors)
    return LineDraft(
        product_id=product_id,
        name=_text(raw.get("name"), f"{p}.name", errors, 300, required=product_id is None) or "",
        sku=_text(raw.get("sku"), f"{p}.sku", errors, 64),
        unit=_text(raw.get("unit"), f"{p}.unit", errors, 16),
        packaging_unit_id=_int_or_none(
            raw.get("packaging_unit_id"), f"{p}.packaging_unit_id", errors
        ),
        quantity=quantity or Decimal("0"),
        unit_price=parse_decimal(
            raw.get("unit_price"), f"{p}.unit_price", errors, minimum=0, maximum=MAX_AMOUNT
        ),
        discount_pct=parse_decimal(
            raw.get("discount_pct"), f"{p}.discount_pct", errors, minimum=0, maximum=100
        )
        or Decimal("0"),
        vat_rate=parse_decimal(
            raw.get("vat_rate"), f"{p}.vat_rate", errors, minimum=0, maximum=100
        ),
        optional=bool(raw.get("optional")),
    )


def _service(i: int, raw: dict, errors: _Errors) -> ServiceDraft:
    p = f"services.{i}"
    quantity = parse_decimal(raw.get("quantity"), f"{p}.quantity", errors, places=3)
    if quantity is not None and quantity <= 0 and f"{p}.quantity" not in errors:
        errors.add(f"{p}.quantity", _("The quantity must be greater than zero."))
    price = parse_decimal(
        raw.get("unit_price"), f"{p}.unit_price", errors, minimum=0, maximum=MAX_AMOUNT
    )
    if price is None and f"{p}.unit_price" not in errors:
        errors.add(f"{p}.unit_price", _("Enter the price."))
    vat = parse_decimal(raw.get("vat_rate"), f"{p}.vat_rate", errors, minimum=0, maximum=100)
    if vat is None and f"{p}.vat_rate" not in errors:
        errors.add(f"{p}.vat_rate", _("Enter the VAT rate."))
    return ServiceDraft(
        extra_service_id=_int_or_none(raw.get("extra_service_id"), f"{p}.name", errors),
        name=_text(raw.get("name"), f"{p}.name", errors, 300, required=True) or "",
        unit=_text(raw.get("unit"), f"{p}.unit", errors, 16),
        quantity=quantity or Decimal("1"),
        unit_price=price or Decimal("0"),
        vat_rate=vat if vat is not None else Decimal("23"),
    )


def _condition(i: int, raw: dict, errors: _Errors) -> ConditionDraft:
    p = f"conditions.{i}"
    return ConditionDraft(
        template_id=_int_or_none(raw.get("template_id"), f"{p}.title", errors),
        title=_text(raw.get("title"), f"{p}.title", errors, 200, required=True) or "",
        body=_text(raw.get("body"), f"{p}.body", errors, 10000, required=True) or "",
    )
