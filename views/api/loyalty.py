"""Loyalty points in the API: the shop shows a customer's points while they shop."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.services import loyalty
from models.customers import Customer
from views.api.base import api_route
from views.api.schemas_discount_codes import PointsEntryOut, PointsOut, PointsQuery


@api_route(
    "/customers/<external_id>/points",
    scopes=["shop"],
    query=PointsQuery,
    response=PointsOut,
    tag="loyalty",
)
def customer_points(external_id: str, query: PointsQuery):
    """The customer's points: balance, pending, expiring soon and the latest history."""
    customer = db.session.scalar(select(Customer).where(Customer.external_id == external_id))
    if customer is None:
        raise NotFound(_("Customer %(id)s not found.", id=external_id), field="external_id")
    summary = loyalty.summary(customer.id, history=query.history)
    return PointsOut(
        customer_external_id=external_id,
        balance=summary.balance,
        pending=summary.pending,
        expiring=summary.expiring,
        expiring_at=summary.expiring_at,
        history=[
            PointsEntryOut(
                at=entry.created_at,
                kind=entry.kind.value,
                status=entry.status.value,
                points=entry.points,
                expires_at=entry.expires_at if entry.remaining else None,
                description=entry.note,
                order_external_id=entry.order.external_id if entry.order else None,
            )
            for entry in summary.history
        ],
    )
