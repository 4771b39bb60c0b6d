"""Factories of the communication module: messages in the outbox, templates, consents."""

from __future__ import annotations

import itertools

from backoffice.extensions import db
from models.messaging import Channel, Message, MessageStatus, Purpose

_seq = itertools.count(1)


def make_message(**overrides) -> Message:
    """A queued e-mail (or ``channel="sms"``) with Polish text; added and flushed."""
    n = next(_seq)
    channel = Channel(overrides.pop("channel", Channel.EMAIL))
    default_to = f"odbiorca{n}@klient.example.com" if channel == Channel.EMAIL else "+48500100200"
    message = Message(
        channel=channel,
        status=overrides.pop("status", MessageStatus.QUEUED),
        event=overrides.pop("event", "order.placed"),
        purpose=overrides.pop("purpose", Purpose.TRANSACTIONAL),
        recipient=overrides.pop("recipient", default_to),
        recipient_name=overrides.pop("recipient_name", f"Zażółć Gęślą {n}"),
        subject=overrides.pop("subject", f"Zamówienie ZAM/{n}/2026 — potwierdzenie"),
        body_html=overrides.pop(
            "body_html",
            "<html><head><style>p.lead{color:#c00}</style></head>"
            f"<body><p class='lead'>Zażółć gęślą jaźń nr {n}</p></body></html>",
        ),
        body_text=overrides.pop("body_text", f"Zażółć gęślą jaźń nr {n}"),
        **overrides,
    )
    db.session.add(message)
    db.session.flush()
    return message


def make_order_event(order, type="placed", **overrides):
    """A stored order event (as the API writes it) — not yet dispatched to the hooks."""
    from models.orders import OrderEvent, OrderEventType

    n = next(_seq)
    event = OrderEvent(
        order=order,
        event_id=overrides.pop("event_id", f"EV-{n}"),
        type=OrderEventType(type),
        **overrides,
    )
    db.session.add(event)
    db.session.flush()
    return event


def make_template(event="order.placed", channel="email", locale="pl", **overrides):
    """A console override of a message template."""
    from models.message_templates import MessageTemplate

    template = MessageTemplate(
        event=event,
        channel=Channel(channel),
        locale=locale,
        subject=overrides.pop(
            "subject", "Własny temat {{ order.number }}" if channel == "email" else None
        ),
        body_html=overrides.pop(
            "body_html", "<p>Własna treść {{ order.number }}</p>" if channel == "email" else None
        ),
        body_text=overrides.pop("body_text", "Własny tekst {{ order.number }}"),
        **overrides,
    )
    db.session.add(template)
    db.session.flush()
    return template


def set_rule(event: str, channel: str, enabled: bool, customer=None):
    """Switch a cell of the notification matrix (globally or for one customer)."""
    from models.message_templates import CustomerNotificationRule, NotificationRule

    if customer is None:
        row = NotificationRule(event=event, channel=Channel(channel), enabled=enabled)
    else:
        row = CustomerNotificationRule(
            customer_id=customer.id, event=event, channel=Channel(channel), enabled=enabled
        )
    db.session.merge(row)
    db.session.flush()
