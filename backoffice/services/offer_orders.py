"""Converting a customer's acceptance of an offer into an order (source "offer").

The order carries the accepted lines and services with the offer's prices; the ERP reads it
through ``GET /api/v1/orders?source=offer``. Each acceptance converts at most once: the
offer row is locked, the recipient remembers its order, and both ``orders.external_id`` and
``offer_recipients.order_id`` are unique, so even two simultaneous clicks give one order.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import Conflict, InvalidTransition
from backoffice.extensions import db
from backoffice.services.audit import record
from backoffice.services.offer_editing import lock_offer
from models.base import utcnow
from models.offers import ACCEPTED_STATUSES, OfferRecipient
from models.orders import Order, OrderLine, OrderStatus


def order_external_id(recipient: OfferRecipient) -> str:
    """The order's id for the ERP: one per offer recipient."""
    return f"OFFER-{recipient.offer_id}-{recipient.customer_id}"


def convert_to_order(actor: Actor, recipient: OfferRecipient) -> Order:
    """Accepted (whole or part) → an order with the accepted lines and prices.

    Raises InvalidTransition when nothing was accepted and Conflict when already converted.
    """
    offer = lock_offer(recipient.offer_id)
    db.session.refresh(recipient)
    if recipient.status not in ACCEPTED_STATUSES:
        raise InvalidTransition(_("Only an accepted offer can be converted into an order."))
    if recipient.order_id is not None:
        raise Conflict(
            _("This acceptance is already order %(number)s.", number=recipient.order.number)
        )
    taken = db.session.scalar(
        select(Order.id).where(Order.external_id == order_external_id(recipient))
    )
    if taken:
        raise Conflict(_("An order for this acceptance already exists."))
    single = len(offer.active_recipients) == 1
    order = Order(
        external_id=order_external_id(recipient),
        number=offer.number if single else f"{offer.number}/{recipient.position}",
        customer_id=recipient.customer_id,
        placed_at=utcnow(),
        currency=offer.currency,
        status=OrderStatus.PLACED,
        source="offer",
        source_ref=offer.number,
        total_net=recipient.accepted_net,
        total_gross=recipient.accepted_gross,
        total_vat=(recipient.accepted_gross or Decimal("0")) - (recipient.accepted_net or 0),
    )
    order.lines = _order_lines(recipient)
    try:
        with db.session.begin_nested():
            db.session.add(order)
            db.session.flush()
            recipient.order_id, recipient.converted_at = order.id, utcnow()
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(_("An order for this acceptance already exists.")) from exc
    record(
        actor,
        "offer.convert",
        offer,
        summary=_(
            "Order %(number)s created for %(customer)s.",
            number=order.number,
            customer=recipient.customer.name,
        ),
        changes={"order_id": order.id, "recipient": recipient.customer_id},
    )
    return order


def _order_lines(recipient: OfferRecipient) -> list[OrderLine]:
    lines = []
    items = sorted(
        recipient.accepted_items,
        key=lambda i: (i.line is None, (i.line or i.service_line).position),
    )
    for no, item in enumerate(items, start=1):
        source = item.line or item.service_line
        unit = (item.net_amount / item.quantity).quantize(Decimal("0.01"), ROUND_HALF_UP)
        lines.append(
            OrderLine(
                line_no=no,
                product_id=item.line.product_id if item.line else None,
                name=source.name,
                quantity=item.quantity,
                unit_price_net=unit,
                vat_rate=source.vat_rate,
            )
        )
    return lines
