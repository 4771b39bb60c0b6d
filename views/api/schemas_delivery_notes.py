"""Request and response bodies of ``/api/v1/delivery-notes`` (WZ)."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from views.api.schemas_common import (
    DecimalOut,
    ExternalId,
    InputModel,
    ListQuery,
    Optional,
    OutputModel,
    PositiveQuantity,
    Text,
    Timestamp,
    unique_line_numbers,
    with_example,
)


class DeliveryNoteLineIn(InputModel):
    """A delivered product; serial numbers for serial-tracked products."""

    line_no: int | None = Field(None, ge=1, le=100_000, description="Defaults to the position.")
    product_external_id: ExternalId
    quantity: PositiveQuantity
    serial_numbers: list[Text(100)] | None = Field(
        None, max_length=5000, description="Replaces the line's stored serial numbers."
    )

    @field_validator("serial_numbers")
    @classmethod
    def _unique_serials(cls, serials):
        if serials and len(serials) != len(set(serials)):
            raise PydanticCustomError("serials", _("A serial number appears twice on the line."))
        return serials


class DeliveryNoteIn(InputModel):
    """A delivery note (WZ), also one issued before this system existed.
    Required: ``number``, ``customer_external_id`` and ``issued_at``."""

    model_config = with_example(
        number="WZ/2026/03/0211",
        customer_external_id="K-00042",
        order_external_id="ZAM-2026-0147",
        issued_at="2026-03-03T08:12:00+01:00",
        lines=[
            {
                "line_no": 1,
                "product_external_id": "P-1200",
                "quantity": "2",
                "serial_numbers": ["SN-24-000187", "SN-24-000188"],
            }
        ],
    )

    external_id: ExternalId | None = Field(
        None, description="Optional here; when given it must equal the id in the address."
    )
    number: Text(64)
    customer_external_id: ExternalId
    order_external_id: Optional(ExternalId) = None
    issued_at: Timestamp
    lines: list[DeliveryNoteLineIn] | None = Field(None, max_length=1000)

    _unique_line_numbers = field_validator("lines")(unique_line_numbers)


class DeliveryNoteBulkItem(DeliveryNoteIn):
    """One delivery note of a bulk request: the same fields plus its ``external_id``."""

    external_id: ExternalId


class DeliveryNoteLineOut(OutputModel):
    line_no: int
    product_external_id: str | None
    quantity: DecimalOut
    serial_numbers: list[str]


class DeliveryNoteOut(OutputModel):
    id: int
    external_id: str
    number: str
    customer_external_id: str | None
    order_external_id: str | None
    issued_at: dt.datetime
    lines: list[DeliveryNoteLineOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class DeliveryNoteQuery(ListQuery):
    """Delivery note list filters."""

    customer_external_id: ExternalId | None = None
    order_external_id: ExternalId | None = None
