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
