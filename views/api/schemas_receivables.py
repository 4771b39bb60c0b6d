"""Request and response bodies of ``/api/v1/receivables`` and ``/api/v1/payments``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from views.api.schemas_common import (
    Amount,
    Currency,
    Date,
    DecimalOut,
    ExternalId,
    InputModel,
    ListQuery,
    Money,
    Optional,
    OutputModel,
    Text,
    Timestamp,
    with_example,
)


class ReceivableIn(InputModel):
    """An amount a customer owes on one document. Required: ``customer_external_id``,
    ``document_number``, ``due_date`` and ``amount``."""

    model_config = with_example(
        customer_external_id="K-00042",
        document_number="FV/2026/03/0098",
        issued_at="2026-03-03",
        due_date="2026-03-17",
        amount="1476.00",
        currency="PLN",
        paid_amount="0.00",
    )

    external_id: ExternalId | None = Field(
        None, description="Optional here; when given it must equal the id in the address."
    )
    customer_external_id: ExternalId
    document_number: Text(64)
    issued_at: Optional(Date) = None
    due_date: Date
    amount: Amount(2, gt=0)
    currency: Currency = "PLN"
    paid_amount: Money = Field(
        Decimal("0.00"),
        description="Paid so far as the ERP knows it; the balance is the larger of this and "
        "the sum of payments pushed to /payments.",
    )

    @field_validator("due_date")
    @classmethod
    def _due_after_issue(cls, value, info: ValidationInfo):
        issued = info.data.get("issued_at")
        if issued and value < issued:
            raise PydanticCustomError("due_date", _("The due date is before the issue date."))
        return value


class ReceivableBulkItem(ReceivableIn):
    """One receivable of a bulk request: the same fields plus its ``external_id``."""

    external_id: ExternalId


class ReceivableOut(OutputModel):
    id: int
    external_id: str
    customer_external_id: str | None
    document_number: str
    issued_at: dt.date | None
    due_date: dt.date
    amount: DecimalOut
    currency: str
    paid_amount: DecimalOut
    outstanding: DecimalOut
    is_open: bool
    paid_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ReceivableQuery(ListQuery):
    """Receivable list filters."""

    customer_external_id: ExternalId | None = None
    is_open: bool | None = None


class PaymentIn(InputModel):
    """A payment booked against a receivable. All fields are required."""

    model_config = with_example(
        receivable_external_id="FV/2026/03/0098",
        amount="1476.00",
        paid_at="2026-03-15T11:20:00+01:00",
    )

    external_id: ExternalId | None = Field(
        None, description="Optional here; when given it must equal the id in the address."
    )
    receivable_external_id: ExternalId
    amount: Amount(2, gt=0)
    paid_at: Timestamp


class PaymentBulkItem(PaymentIn):
    """One payment of a bulk request: the same fields plus its ``external_id``."""

    external_id: ExternalId


class PaymentOut(OutputModel):
    id: int
    external_id: str
    receivable_external_id: str
    amount: DecimalOut
    paid_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
