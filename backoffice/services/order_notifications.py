"""E-mail and SMS to the customer when an order is placed, paid, shipped or delivered.

``handle_order_event`` is called by ``services/order_hooks.py`` in the transaction that
stored a new order event. Which channels send is the console's matrix (default: e-mail on
for the four events, SMS off) with per-customer overrides; recipients are the customer's
address and its contacts flagged for order notices. A repeated event writes nothing new.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.services.message_events import register_event
from models.orders import Order, OrderEvent, OrderEventType

#: Order event type → message event.
ORDER_EVENTS = {
    OrderEventType.PLACED: "order.placed",
    OrderEventType.PAID: "order.paid",
    OrderEventType.SHIPPED: "order.shipped",
    OrderEventType.DELIVERED: "order.delivered",
}

#: Parcel tracking pages of the carriers common in Poland ({} = waybill number).
TRACKING_URLS = {
    "inpost": "https://inpost.pl/sledzenie-przesylek?number={}",
    "dpd": "https://tracktrace.dpd.com.pl/parcelDetails?typ=1&p1={}",
    "dhl": "https://www.dhl.com/pl-pl/home/sledzenie-przesylek.html?tracking-id={}",
    "gls": "https://gls-group.com/PL/pl/sledzenie-paczek?match={}",
    "ups": "https://www.ups.com/track?loc=pl_PL&tracknum={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "poczta polska": "https://emonitoring.poczta-polska.pl/?numer={}",
    "pocztex": "https://emonitoring.poczta-polska.pl/?numer={}",
    "geis": "https://www.geis.pl/pl/sledzenie-przesylki?p={}",
    "raben": "https://myraben.com/link/ShipmentInformation?ShipmentNumber={}",
}

ORDER_VARIABLES = {
    "order": _l(
        "number, placed_at, status, currency, total_net, total_vat, total_gross, waybill, "
        "carrier, tracking_url, cod_amount, paid_at, shipped_at, delivered_at, lines (line_no, "
        "name, sku, quantity, unit_price_net, vat_rate, total_net)"
    ),
    "customer": _l("name, nip, external_id"),
    "event": _l("type, at, waybill, carrier, tracking_url, cod_amount"),
}


def tracking_url(carrier: str | None, waybill: str | None) -> str | None:
    """The carrier's public tracking page for a waybill, when the carrier is known."""
    if not carrier or not waybill:
        return None
    key = carrier.strip().lower()
    for name, pattern in TRACKING_URLS.items():
        if key.startswith(name):
            return pattern.format(waybill.strip())
    return None


def order_context(order: Order, event: OrderEvent | None = None) -> dict:
    """Plain values about the order and the event for templates (no ORM objects)."""
    waybill = (event.waybill if event is not None else None) or order.waybill
    carrier = (event.carrier if event is not None else None) or order.carrier
    lines = [
        {
            "line_no": line.line_no,
            "name": line.name or (line.product.name if line.product else ""),
            "sku": line.product.sku if line.product else None,
            "quantity": line.quantity,
            "unit_price_net": line.unit_price_net,
            "vat_rate": line.vat_rate,
            "total_net": (line.quantity * line.unit_price_net).quantize(line.unit_price_net)
            if line.unit_price_net is not None
            else None,
        }
        for line in order.lines
    ]
    values = {
        c: getattr(order, c)
        for c in (
            "number",
            "external_id",
            "placed_at",
            "currency",
            "total_net",
            "total_vat",
            "total_gross",
            "cod_amount",
            "paid_at",
            "shipped_at",
            "delivered_at",
        )
    }
    values.update(
        status=order.status.value,
        waybill=waybill,
        carrier=carrier,
        tracking_url=tracking_url(carrier, waybill),
        lines=lines,
    )
    customer = order.customer
    ctx = {
        "order": values,
        "customer": {
            "name": customer.name,
            "nip": customer.nip,
            "external_id": customer.external_id,
        },
        "event": None,
    }
    if event is not None:
        ctx["event"] = {
            "type": event.type.value,
            "at": event.at,
            "waybill": waybill,
            "carrier": carrier,
            "tracking_url": tracking_url(carrier, waybill),
            "cod_amount": event.cod_amount,
        }
    return ctx


def handle_order_event(actor: Actor, order: Order, event: OrderEvent) -> list:
    """Queue the event's messages (no commit); nothing for other event types or repeats."""
    from backoffice.services.messaging import notify

    name = ORDER_EVENTS.get(OrderEventType(event.type))
    if name is None:
        return []
    return notify(
        actor,
        name,
        context=order_context(order, event),
        customer=order.customer,
        related=order,
        audience="orders",
        dedupe_key=f"order:{order.id}:{event.event_id}",
    )


def _sample(event_type: OrderEventType):
    def sample(ref: str | None) -> dict:
        query = select(Order).order_by(Order.id.desc()).limit(1)
        if ref:
            query = select(Order).where(Order.number == ref.strip())
        order = db.session.scalar(query)
        if order is None:
            return {}
        event = OrderEvent(
            event_id="preview",
            type=event_type,
            waybill=order.waybill,
            carrier=order.carrier,
            cod_amount=order.cod_amount,
            at=order.updated_at or order.placed_at,
        )
        return order_context(order, event)

    return sample


for _type, _description in (
    (OrderEventType.PLACED, _l("Order placed")),
    (OrderEventType.PAID, _l("Payment for an order accepted")),
    (OrderEventType.SHIPPED, _l("Order shipped (waybill created)")),
    (OrderEventType.DELIVERED, _l("Order delivered")),
):
    register_event(
        ORDER_EVENTS[_type],
        _description,
        variables=ORDER_VARIABLES,
        channels=("email",),
        sample=_sample(_type),
        sample_label=_l("Order number"),
    )
