"""Orders from the shop and the ERP: upserts with their lines, and order events.

An order's status moves only through events (``record_order_event``): placed → paid →
shipped → delivered by rank (a late "paid" after "delivered", as with cash on delivery,
records ``paid_at`` without moving the status back), cancelled from any status but
delivered. Each event id is stored once per order; the other modules react to a new
event through ``backoffice.services.order_hooks``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from backoffice.actors import Actor
from backoffice.errors import InvalidTransition, NotFound
from backoffice.extensions import db
from backoffice.services import audit, order_hooks
from backoffice.services.upsert_children import Children, chunks, one_of
from backoffice.services.upserts import Errors, Item, Ref, UpsertSpec, is_postgres
from models.customers import Customer
from models.orders import Order, OrderEvent, OrderEventType, OrderLine, OrderStatus
from models.products import Product

CENT = Decimal("0.01")
WARSAW = ZoneInfo("Europe/Warsaw")

CUSTOMER_REF = Ref(
    "customer_external_id",
    "customer_id",
    Customer,
    unknown=_l("No customer has the external id %(value)s."),
)
PRODUCT_REF = Ref(
    "product_external_id",
    "product_id",
    Product,
    unknown=_l("No product has the external id %(value)s."),
)
TOTALS = ("total_net", "total_vat", "total_gross")


def _line_defaults(items: list[Item], errors: Errors) -> None:
    """Lines without a VAT rate take the product's; totals left out are computed."""
    lines = [ln for it in items for ln in it.children.get("lines", [])]
    missing = {
        ln["product_id"] for ln in lines if ln.get("vat_rate") is None and ln.get("product_id")
    }
    rates: dict[int, Decimal] = {}
    for ids in chunks(sorted(missing)):
        rates.update(
            db.session.execute(
                select(Product.id, Product.vat_rate).where(one_of(Product.id, ids))
            ).all()
        )
    for line in lines:
        if line.get("vat_rate") is None and line.get("product_id") in rates:
            line["vat_rate"] = rates[line["product_id"]]
    for item in items:
        if "lines" in item.children and not any(t in item.values for t in TOTALS):
            item.values.update(order_totals(item.children["lines"]))


def order_totals(lines: list[dict[str, Any]]) -> dict[str, Decimal | None]:
    """Net, VAT (rounded per line) and gross of lines; None when a line has no price."""
    if any(ln.get("unit_price_net") is None for ln in lines):
        return dict.fromkeys(TOTALS)
    net = vat = Decimal("0.00")
    for line in lines:
        line_net = (Decimal(line["quantity"]) * line["unit_price_net"]).quantize(
            CENT, ROUND_HALF_UP
        )
        rate = line.get("vat_rate") or Decimal("0")
        net += line_net
        vat += (line_net * rate / 100).quantize(CENT, ROUND_HALF_UP)
    return {"total_net": net, "total_vat": vat, "total_gross": net + vat}


ORDERS = UpsertSpec(
    name="order",
    model=Order,
    refs=(CUSTOMER_REF,),
    children=(
        Children(
            "lines",
            OrderLine,
            "order_id",
            key="line_no",
            numbered="line_no",
            refs=(PRODUCT_REF,),
        ),
    ),
    prepare=_line_defaults,
)

#: How far along an order is; a status never moves back to a lower rank.
RANK = {
    OrderStatus.PLACED: 0,
    OrderStatus.PAID: 1,
    OrderStatus.SHIPPED: 2,
    OrderStatus.DELIVERED: 3,
}


def record_order_event(
    actor: Actor, order_external_id: str, data: dict[str, Any]
) -> tuple[OrderEvent, Order, bool]:
    """Store an order event once and apply it; returns (event, order, newly stored).

    ``data``: id, type, at, and optional waybill, carrier, cod_amount. A repeated event id
    changes nothing (also when two copies arrive at once: the order row is locked and
    the insert ignores a duplicate). Raises NotFound for an unknown order and
    InvalidTransition for cancelling a delivered order. Calls ``order_hooks.dispatch``.
    """
    order = db.session.scalars(
        select(Order).where(Order.external_id == order_external_id).with_for_update()
    ).first()
    if order is None:
        raise NotFound(_("No order has the external id %(id)s.", id=order_external_id))
    kind = OrderEventType(data["type"])
    existing = _stored_event(order.id, data["id"])
    if existing is not None:
        return existing, order, False
    if kind == OrderEventType.CANCELLED and order.status == OrderStatus.DELIVERED:
        raise InvalidTransition(
            _("A delivered order cannot be cancelled; register a return instead.")
        )
    event_id = _insert_event(order.id, kind, data)
    if event_id is None:  # the same event stored by a concurrent request
        return _stored_event(order.id, data["id"]), order, False
    event = db.session.get(OrderEvent, event_id)
    apply_event(order, event)
    audit.record(actor, "order.event", order, summary=f"{kind.value} ({data['id']})")
    order_hooks.dispatch(actor, order, event)
    return event, order, True


def _stored_event(order_id: int, event_id: str) -> OrderEvent | None:
    stmt = select(OrderEvent).where(
        OrderEvent.order_id == order_id, OrderEvent.event_id == event_id
    )
    return db.session.scalars(stmt).first()


def _insert_event(order_id: int, kind: OrderEventType, data: dict[str, Any]) -> int | None:
    table = OrderEvent.__table__
    dialect = postgresql if is_postgres() else sqlite
    values = {
        "order_id": order_id,
        "event_id": data["id"],
        "type": kind,
        "at": data["at"],
        "waybill": data.get("waybill"),
        "carrier": data.get("carrier"),
        "cod_amount": data.get("cod_amount"),
        "payload": _jsonable(data),
    }
    stmt = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["order_id", "event_id"])
        .returning(table.c.id)
    )
    return db.session.scalar(stmt)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """The event as sent, for handlers that need more than the columns."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Decimal):
            value = format(value, "f")
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out[key] = value
    return out


def apply_event(order: Order, event: OrderEvent) -> None:
    """Copy an event's facts onto its order and move the status forward."""
    for name in ("waybill", "carrier", "cod_amount"):
        if getattr(event, name) is not None:
            setattr(order, name, getattr(event, name))
    kind = event.type
    if kind == OrderEventType.PLACED:
        order.placed_at = order.placed_at or event.at
    elif kind == OrderEventType.PAID:
        order.paid_at = order.paid_at or event.at
    elif kind == OrderEventType.SHIPPED:
        order.shipped_at = event.at
    elif kind == OrderEventType.DELIVERED:
        order.delivered_at = event.at
    else:
        order.cancelled_at = event.at
    if kind == OrderEventType.CANCELLED:
        order.status = OrderStatus.CANCELLED
    elif order.status != OrderStatus.CANCELLED:
        target = OrderStatus(kind.value)
        if RANK[target] > RANK[order.status]:
            order.status = target


def count_orders_placed_on(day) -> int:
    """Orders placed on a Warsaw calendar day (the dashboard's "orders today")."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=WARSAW)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=WARSAW)
    stmt = (
        select(func.count())
        .select_from(Order)
        .where(Order.placed_at >= start, Order.placed_at < end)
    )
    return db.session.scalar(stmt) or 0
