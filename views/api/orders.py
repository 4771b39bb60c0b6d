"""``/api/v1/orders`` and their events: from the shop and the ERP (scopes erp, shop)."""

from __future__ import annotations

from flask import g
from sqlalchemy.orm import joinedload, selectinload

from backoffice.actors import current_actor
from backoffice.services.orders import ORDERS, record_order_event
from models.customers import Customer
from models.orders import Order, OrderEvent, OrderLine
from views.api.base import api_route
from views.api.resources import ApiResource, check_external_id, in_transaction, publish
from views.api.schemas_orders import (
    OrderBulkItem,
    OrderEventIn,
    OrderEventOut,
    OrderEventResult,
    OrderIn,
    OrderLineOut,
    OrderOut,
    OrderQuery,
    OrderStateOut,
)

SCOPES = ("erp", "shop")
_STATE = [f for f in OrderStateOut.model_fields if f != "status"]
_COLUMNS = [
    "id", "external_id", "number", "placed_at", "currency", "source", "source_ref",
    "total_net", "total_vat", "total_gross", "waybill", "carrier", "cod_amount", "paid_at",
    "shipped_at", "delivered_at", "cancelled_at", "created_at", "updated_at",
]  # fmt: skip


def event_out(event: OrderEvent) -> OrderEventOut:
    return OrderEventOut(
        id=event.event_id,
        type=event.type.value,
        at=event.at,
        waybill=event.waybill,
        carrier=event.carrier,
        cod_amount=event.cod_amount,
        received_at=event.received_at,
    )


def order_out(order: Order) -> OrderOut:
    """The API view of an order."""
    return OrderOut(
        **{c: getattr(order, c) for c in _COLUMNS},
        status=order.status.value,
        customer_external_id=order.customer.external_id,
        lines=[
            OrderLineOut(
                line_no=ln.line_no,
                product_external_id=ln.product.external_id if ln.product else None,
                name=ln.name,
                quantity=ln.quantity,
                unit_price_net=ln.unit_price_net,
                vat_rate=ln.vat_rate,
            )
            for ln in order.lines
        ],
        events=[event_out(e) for e in order.events],
    )


def _filters(stmt, query: OrderQuery):
    if query.source:
        stmt = stmt.where(Order.source == query.source)
    if query.status:
        stmt = stmt.where(Order.status == query.status)
    if query.customer_external_id:
        stmt = stmt.where(Order.customer.has(Customer.external_id == query.customer_external_id))
    return stmt


def _load(stmt):
    return stmt.options(
        joinedload(Order.customer),
        selectinload(Order.lines).joinedload(OrderLine.product),
        selectinload(Order.events),
    )


def _default_source() -> dict:
    """New orders sent with a shop-only token come from the shop, others from the ERP."""
    token = g.get("api_token")
    return {"source": "shop" if token is not None and token.scope_set == {"shop"} else "erp"}


RESOURCE = ApiResource(
    path="orders",
    noun="order",
    spec=ORDERS,
    body=OrderIn,
    bulk_item=OrderBulkItem,
    out=OrderOut,
    to_out=order_out,
    load=_load,
    scopes=SCOPES,
    tag="orders",
    query=OrderQuery,
    filters=_filters,
    insert_defaults=_default_source,
)
publish(RESOURCE)


@api_route(
    "/orders/<path:external_id>/events",
    ["POST"],
    scopes=SCOPES,
    body=OrderEventIn,
    response=OrderEventResult,
    status=201,
    tag="orders",
    responses={200: "The event id was seen before: nothing changed"},
)
def post_order_event(external_id: str, body: OrderEventIn):
    """Report an order event (placed, paid, shipped, delivered, cancelled)
    201 when stored and applied to the order (status, waybill, carrier, cash on delivery,
    paid/delivered times) — notifications and loyalty points follow from it. An event id
    seen before for this order answers 200 and changes nothing."""
    check_external_id(external_id)
    data = body.model_dump(exclude_none=True)
    event, order, created = in_transaction(
        lambda: record_order_event(current_actor(), external_id, data)
    )
    result = OrderEventResult(
        duplicate=not created,
        event=event_out(event),
        order=OrderStateOut(**{c: getattr(order, c) for c in _STATE}, status=order.status.value),
    )
    return result, 201 if created else 200
