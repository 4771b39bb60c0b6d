"""``/api/v1/receivables`` and ``/api/v1/payments``: balances from the ERP (scope ``erp``)."""

from __future__ import annotations

from sqlalchemy.orm import joinedload

from backoffice.services.receivables import PAYMENTS, RECEIVABLES
from models.customers import Customer
from models.receivables import Payment, Receivable
from views.api.resources import ApiResource, publish
from views.api.schemas_receivables import (
    PaymentBulkItem,
    PaymentIn,
    PaymentOut,
    ReceivableBulkItem,
    ReceivableIn,
    ReceivableOut,
    ReceivableQuery,
)

_RECEIVABLE = [f for f in ReceivableOut.model_fields if f != "customer_external_id"]
_PAYMENT = [f for f in PaymentOut.model_fields if f != "receivable_external_id"]


def receivable_out(receivable: Receivable) -> ReceivableOut:
    """The API view of a receivable."""
    return ReceivableOut(
        **{c: getattr(receivable, c) for c in _RECEIVABLE},
        customer_external_id=receivable.customer.external_id,
    )


def payment_out(payment: Payment) -> PaymentOut:
    """The API view of a payment."""
    return PaymentOut(
        **{c: getattr(payment, c) for c in _PAYMENT},
        receivable_external_id=payment.receivable.external_id,
    )


def _filters(stmt, query: ReceivableQuery):
    if query.customer_external_id:
        stmt = stmt.where(
            Receivable.customer.has(Customer.external_id == query.customer_external_id)
        )
    if query.is_open is not None:
        stmt = stmt.where(Receivable.is_open.is_(query.is_open))
    return stmt


RECEIVABLE_RESOURCE = ApiResource(
    path="receivables",
    noun="receivable",
    spec=RECEIVABLES,
    body=ReceivableIn,
    bulk_item=ReceivableBulkItem,
    out=ReceivableOut,
    to_out=receivable_out,
    load=lambda stmt: stmt.options(joinedload(Receivable.customer)),
    tag="receivables",
    query=ReceivableQuery,
    filters=_filters,
)
PAYMENT_RESOURCE = ApiResource(
    path="payments",
    noun="payment",
    spec=PAYMENTS,
    body=PaymentIn,
    bulk_item=PaymentBulkItem,
    out=PaymentOut,
    to_out=payment_out,
    load=lambda stmt: stmt.options(joinedload(Payment.receivable)),
    tag="receivables",
    description=" A new payment updates the receivable's paid amount, open flag and paid time.",
)
publish(RECEIVABLE_RESOURCE)
publish(PAYMENT_RESOURCE)
