"""Request and response bodies of the discount-code and points API (pydantic)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from views.api.schemas_common import (
    Amount,
    ExternalId,
    InputModel,
    Money,
    Optional,
    OutputModel,
    Quantity,
    Text,
    Timestamp,
)

Percent = Amount(2, gt=0)
CodeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Prefix = Annotated[str, StringConstraints(max_length=12, pattern=r"^([A-Za-z0-9][A-Za-z0-9-]*)?$")]


class BatchIn(InputModel):
    """A new batch of codes; ``external_id`` makes a retried call return the same batch."""

    name: Text(200)
    count: int = Field(ge=1, le=1_000_000, description="How many codes to generate.")
    kind: Literal["percent", "amount"]
    value: Percent = Field(description="Percent (up to 100) or an amount in PLN.")
    prefix: Optional(Prefix) = None
    code_length: int = Field(10, ge=6, le=20, description="Random characters after the prefix.")
    max_discount: Optional(Money) = None
    min_order_value: Optional(Money) = None
    valid_from: Optional(Timestamp) = None
    valid_to: Optional(Timestamp) = None
    usage_limit_total: int | None = Field(1, ge=1, description="Uses of each code; null: any.")
    usage_limit_per_customer: int | None = Field(None, ge=1, description="Across the batch.")
    first_order_only: bool = False
    customer_groups: list[Text(120)] = Field(
        default_factory=list, max_length=100, description="Customer group codes or names."
    )
    product_groups: list[Text(200)] = Field(
        default_factory=list, max_length=100, description="Product group codes."
    )
    customer_external_ids: list[ExternalId] = Field(
        default_factory=list,
        max_length=100_000,
        description="Each of these customers gets one personal code of the batch.",
    )
    external_id: Optional(ExternalId) = None
    notes: Optional(Text(2000)) = None


class BatchOut(OutputModel):
    id: int
    external_id: str | None
    name: str
    status: Literal["generating", "ready", "failed"]
    active: bool
    count: int
    generated: int
    progress: int = Field(description="Percent of the codes generated so far.")
    kind: Literal["percent", "amount"]
    value: Money
    max_discount: Money | None
    min_order_value: Money | None
    valid_from: dt.datetime | None
    valid_to: dt.datetime | None
    usage_limit_total: int | None
    usage_limit_per_customer: int | None
    first_order_only: bool


class CodesQuery(InputModel):
    cursor: int = Field(0, ge=0, le=2**62, description="next_cursor of the previous page.")
    limit: int = Field(1000, ge=1, le=10_000)


class CodeOut(OutputModel):
    code: str
    customer_external_id: str | None = None
    assigned_at: dt.datetime | None
    use_count: int
    blocked: bool


class CodesPage(OutputModel):
    items: list[CodeOut]
    next_cursor: int | None


class LineIn(InputModel):
    product_external_id: Optional(ExternalId) = None
    quantity: Quantity = Decimal(1)
    unit_price_net: Optional(Money) = None
    net_value: Optional(Money) = Field(None, description="The line's net value, if known.")


class ValidateIn(InputModel):
    code: CodeText
    customer_external_id: ExternalId
    order_value: Money = Field(description="The basket's net value in PLN.")
    order_external_id: Optional(ExternalId) = None
    lines: list[LineIn] = Field(default_factory=list, max_length=1000)


class ValidateOut(OutputModel):
    valid: bool
    discount: Money
    reason: str | None = Field(description="Why the code does not apply, for the customer.")
    reason_code: str | None = Field(
        description="unknown, inactive, not_started, expired, blocked, not_for_customer, "
        "customer_group, first_order, min_order_value, no_eligible_lines, exhausted, "
        "customer_limit, order_has_code"
    )


class RedeemIn(InputModel):
    code: CodeText
    customer_external_id: ExternalId
    order_external_id: ExternalId
    order_value: Money
    lines: list[LineIn] = Field(default_factory=list, max_length=1000)


class RedeemOut(OutputModel):
    code: str
    order_external_id: str
    customer_external_id: str
    order_value: Money
    discount: Money
    used_at: dt.datetime


class PointsQuery(InputModel):
    history: int = Field(20, ge=0, le=200, description="How many latest ledger rows.")


class PointsEntryOut(OutputModel):
    at: dt.datetime
    kind: Literal["earn", "spend", "expiry", "reversal", "adjustment"]
    status: Literal["pending", "confirmed", "void"]
    points: int
    expires_at: dt.datetime | None
    description: str | None
    order_external_id: str | None


class PointsOut(OutputModel):
    customer_external_id: str
    balance: int = Field(description="Points that can be spent now.")
    pending: int = Field(description="Points of orders not yet paid or delivered.")
    expiring: int = Field(description="Points expiring within 30 days.")
    expiring_at: dt.datetime | None
    history: list[PointsEntryOut]
