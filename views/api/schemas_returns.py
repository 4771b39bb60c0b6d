"""Request and response bodies of the returns API (pydantic)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: Decimals are answered as strings ("2.5"), never floats; values are passed through
#: ``plain()`` first, so no trailing zeros or exponents appear without a per-value callback.
DecimalOut = Decimal


def plain(value: Decimal) -> Decimal:
    """2.500 → 2.5, 10.000 → 10 (never 1E+1)."""
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReturnableQuery(_In):
    """Filters of the returnable-lines list."""

    delivery_note: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        None, description="Only this delivery note (external id or number)."
    )
    only_returnable: bool = Field(True, description="Leave out lines with nothing left.")
    page: int = Field(1, ge=1)
    per_page: int = Field(50, ge=1, le=200, description="Delivery notes per page.")


class ReturnableLineOut(BaseModel):
    delivery_note_external_id: str
    delivery_note_number: str
    issued_at: dt.datetime
    returnable_until: dt.datetime
    line_no: int
    product_external_id: str | None
    sku: str
    product_name: str
    unit: str
    delivered: DecimalOut
    in_returns: DecimalOut
    returnable: DecimalOut
    product_returnable: bool
    serial_tracked: bool
    serial_numbers: list[str] = Field(description="Serial numbers that may still be returned.")


class ReturnablePage(BaseModel):
    customer_external_id: str
    window_months: int
    window_start: dt.datetime
    page: int
    total_notes: int
    items: list[ReturnableLineOut]


class ReturnLineIn(_In):
    line_no: int = Field(ge=1, description="Line number on the delivery note.")
    quantity: Decimal | None = Field(
        None, gt=0, max_digits=12, decimal_places=3, description="Omit for the whole line."
    )
    serial_numbers: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=1000
    )
    reason: Code | None = Field(None, description="Reason code (dictionary); else the default.")
    condition: Code | None = Field(None, description="Condition code; else the default.")
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None


class ContactIn(_In):
    name: ShortText | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None


class ReturnIn(_In):
    """A return filed from the shop's customer panel."""

    customer_external_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    delivery_note_external_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    delivery_note_number: Annotated[str, StringConstraints(max_length=64)] | None = None
    whole_note: bool = Field(False, description="Return every returnable line in full.")
    reason: Code | None = Field(None, description="Default reason code for the lines.")
    condition: Code | None = Field(None, description="Default condition code for the lines.")
    lines: list[ReturnLineIn] = Field(default_factory=list, max_length=1000)
    contact: ContactIn | None = None
    notes: Annotated[str, StringConstraints(max_length=5000)] | None = None
    waybill_number: Annotated[str, StringConstraints(max_length=64)] | None = None
    portal_user_email: Annotated[str, StringConstraints(max_length=254)] | None = Field(
        None, description="The customer's portal user filing it (gets the e-mails)."
    )

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "customer_external_id": "C00042",
                    "delivery_note_external_id": "WZ-2026-0815",
                    "reason": "defect",
                    "condition": "opened",
                    "lines": [
                        {"line_no": 1, "quantity": "2"},
                        {"line_no": 3, "serial_numbers": ["SN123"], "reason": "transport"},
                    ],
                    "contact": {"name": "Jan Nowak", "email": "jan@firma.pl"},
                }
            ]
        },
    )


class ReturnLineOut(BaseModel):
    line_no: int
    delivery_note_line_no: int
    sku: str
    product_name: str
    quantity: DecimalOut
    serial_number: str | None
    reason: str
    condition: str
    decision: str
    found_condition: str | None
    disposition: str | None
    resolution_reference: str | None


class ReturnOut(BaseModel):
    number: str
    status: str
    customer_external_id: str | None
    delivery_note_external_id: str
    delivery_note_number: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: str | None
    waybill_number: str | None
    label_available: bool
    portal_url: str
    lines: list[ReturnLineOut]
    history: list[dict]


class DictionaryEntry(BaseModel):
    code: str
    name: str
    name_en: str | None
    requires_description: bool = False


class Dictionaries(BaseModel):
    reasons: list[DictionaryEntry]
    conditions: list[DictionaryEntry]
