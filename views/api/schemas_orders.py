"""Request and response bodies of ``/api/v1/orders`` and its events."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from flask_babel import gettext as _
from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from views.api.schemas_common import (
    Currency,
    DecimalOut,
    ExternalId,
    InputModel,
    ListQuery,
    Money,
    Optional,
    OutputModel,
    PositiveQuantity,
    Text,
    Timestamp,
    VatRate,
    unique_line_numbers,
    with_example,
)


class OrderLineIn(InputModel):
    """An order line; ``product_external_id`` may be left out for a non-catalogue line
    (transport, a service) that has a ``name``."""

    line_no: int | None = Field(None, ge=1, le=100_000, description="Defaults to the position.")
    product_external_id: Optional(ExternalId) = None
    name: Optional(Text(300)) = None
    quantity: PositiveQuantity
    unit_price_net: Optional(Money) = None
    vat_rate: Optional(VatRate) = Field(None, description="Defaults to the product's rate.")

    @model_validator(mode="after")
    def _product_or_name(self):
        if self.product_external_id is None and self.name is None:
            raise PydanticCustomError(
                "line_product", _("A line needs a product_external_id or a name.")
            )
        return self


class OrderIn(InputModel):
    """An order. Required: ``number`` and ``customer_external_id``; totals left out are
    computed from the lines (VAT rounded per line)."""

    model_config = with_example(
        number="ZAM/2026/03/0147",
        customer_external_id="K-00042",
        placed_at="2026-03-02T09:30:00+01:00",
        currency="PLN",
        lines=[
            {"product_external_id": "P-1200", "quantity": "2", "unit_price_net": "349.00"},
            {"name": "Transport", "quantity": "1", "unit_price_net": "25.00", "vat_rate": "23"},
        ],
    )

    external_id: ExternalId | None = Field(
        None, description="Optional here; when given it must equal the id in the address."
    )
    number: Text(64)
    customer_external_id: ExternalId
    placed_at: Optional(Timestamp) = None
    currency: Currency = "PLN"
    source: Literal["shop", "erp"] | None = Field(
        None, description="Where the order was born; defaults by the token's scope."
    )
    source_ref: Optional(Text(64)) = None
    lines: list[OrderLineIn] | None = Field(None, max_length=1000)
    total_net: Optional(Money) = None
    total_vat: Optional(Money) = None
    total_gross: Optional(Money) = None

    _unique_line_numbers = field_validator("lines")(unique_line_numbers)


class OrderBulkItem(OrderIn):
    """One order of a bulk request: the same fields plus its ``external_id``."""

    external_id: ExternalId


class OrderLineOut(OutputModel):
    line_no: int
    product_external_id: str | None
    name: str | None
    quantity: DecimalOut
    unit_price_net: DecimalOut | None
    vat_rate: DecimalOut | None


class OrderEventOut(OutputModel):
    id: str = Field(description="The caller's event id.")
    type: str
    at: dt.datetime
    waybill: str | None
    carrier: str | None
    cod_amount: DecimalOut | None
    received_at: dt.datetime


class OrderOut(OutputModel):
    """An order with its lines and events (``source`` offer: converted from an offer)."""

    id: int
    external_id: str
    number: str
    customer_external_id: str | None
    placed_at: dt.datetime | None
    currency: str
    status: str
    source: str
    source_ref: str | None
    total_net: DecimalOut | None
    total_vat: DecimalOut | None
    total_gross: DecimalOut | None
    waybill: str | None
    carrier: str | None
    cod_amount: DecimalOut | None
    paid_at: dt.datetime | None
    shipped_at: dt.datetime | None
    delivered_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    lines: list[OrderLineOut]
    events: list[OrderEventOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class OrderQuery(ListQuery):
    """Order list filters."""

    source: Literal["shop", "erp", "offer"] | None = Field(None, description="Where it was born.")
    status: Literal["placed", "paid", "shipped", "delivered", "cancelled"] | None = None
    customer_external_id: ExternalId | None = None


class OrderEventIn(InputModel):
    """Something that happened to an order; an ``id`` seen before is accepted and ignored."""

    model_config = with_example(
        id="evt-000981",
        type="shipped",
        at="2026-03-03T14:05:00+01:00",
        waybill="00359007738090012345",
        carrier="DPD",
        cod_amount="429.27",
    )

    id: ExternalId = Field(description="The caller's unique id of this event.")
    type: Literal["placed", "paid", "shipped", "delivered", "cancelled"]
    at: Timestamp
    waybill: Optional(Text(64)) = None
    carrier: Optional(Text(64)) = None
    cod_amount: Optional(Money) = Field(None, description="Cash on delivery (pobranie).")


class OrderStateOut(OutputModel):
    external_id: str
    status: str
    waybill: str | None
    carrier: str | None
    cod_amount: DecimalOut | None
    paid_at: dt.datetime | None
    shipped_at: dt.datetime | None
    delivered_at: dt.datetime | None
    cancelled_at: dt.datetime | None


class OrderEventResult(OutputModel):
    """The stored event and the order after it (``duplicate``: the id was seen before)."""

    duplicate: bool
    event: OrderEventOut
    order: OrderStateOut
