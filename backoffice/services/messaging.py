"""Communication: every module's e-mails and text messages go through ``notify``.

``notify`` decides the channels (the console's event × channel matrix and per-customer
overrides), the recipients (the customer's address and its contacts flagged for the
audience, one message per address), applies consents and the suppression list, renders the
template (a console override for the language and customer group, else the default file)
and writes one ``Message`` row per recipient and channel in the caller's transaction (the
outbox). After commit a ``mail``-queue job sends them; see services/message_sending.py.

Templates: ``templates/emails/<event>.<locale>.html`` with the blocks ``subject``, ``html``,
``text`` and ``sms`` (each optional), rendered in an immutable sandbox with the caller's
``context`` plus ``recipient``, ``company``, ``base_url`` and ``locale``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backoffice.actors import Actor
from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services import consents
from backoffice.services.message_cache import memo
from backoffice.services.message_dispatch import defer_dispatch
from backoffice.services.message_events import enabled_channels, register_event  # noqa: F401
from backoffice.services.message_templates import (  # noqa: F401 - public names
    TemplateMissing,
    file_blocks,
    render_message,
    template_env,
)
from models.base import utcnow
from models.company import CompanyProfile
from models.customers import Customer
from models.messaging import Channel, Message, MessageStatus, Purpose

log = logging.getLogger(__name__)

#: Contact flag that selects the recipients of each audience.
AUDIENCE_FLAGS = {
    "orders": "receives_order_notices",
    "returns": "receives_return_notices",
    "payment_reminders": "receives_payment_reminders",
    "offers": "receives_offers",
}


@dataclass(frozen=True)
class Recipient:
    """Where one message goes; ``email`` for e-mail, ``phone`` (E.164) for SMS."""

    email: str | None = None
    phone: str | None = None
    name: str | None = None
    customer_id: int | None = None
    contact_id: int | None = None
    locale: str = "pl"

    def address(self, channel: Channel) -> str | None:
        return self.email if channel == Channel.EMAIL else self.phone


@dataclass(frozen=True)
class Attachment:
    """A stored file to attach: ``path`` is relative to STORAGE_DIR."""

    filename: str
    path: str
    mimetype: str


def render_blocks(event: str, locale: str, context: dict) -> dict[str, str]:
    """The default file's blocks for ``locale`` (Polish when missing) — kept for callers."""
    blocks = file_blocks(event, locale, context)
    return blocks if blocks is not None else (file_blocks(event, "pl", context) or {})


def default_recipients(customer: Customer, audience: str | None) -> list[Recipient]:
    """The customer's own address plus its contacts flagged for the audience."""
    out: list[Recipient] = []
    if customer.email or customer.phone:
        out.append(
            Recipient(
                customer.email, customer.phone, customer.name, customer.id, None, customer.locale
            )
        )
    flag = AUDIENCE_FLAGS.get(audience or "")
    for contact in customer.contacts:
        if flag and getattr(contact, flag):
            out.append(
                Recipient(
                    contact.email,
                    contact.phone,
                    contact.name,
                    customer.id,
                    contact.id,
                    customer.locale,
                )
            )
    return out


def common_context() -> dict:
    """Variables every template gets: our company and the application's address."""
    return dict(memo("common", None, _load_common_context))


def _load_common_context() -> dict:
    profile = db.session.scalar(select(CompanyProfile).order_by(CompanyProfile.id).limit(1))
    company = {"name": current_app.config.get("MAIL_FROM", "").partition("<")[0].strip()}
    if profile is not None:
        company = {
            c: getattr(profile, c)
            for c in ("name", "street", "postal_code", "city", "nip", "email", "phone", "website")
        }
    return {"company": company, "base_url": current_app.config["BASE_URL"]}


def notify(
    actor: Actor,
    event: str,
    *,
    context: dict,
    customer: Customer | None = None,
    related: object | None = None,
    purpose: Purpose | str = Purpose.TRANSACTIONAL,
    audience: str | None = None,
    recipients: Sequence[Recipient] | None = None,
    channels: Iterable[str] | None = None,
    attachments: Sequence[Attachment] = (),
    headers: dict[str, str] | None = None,
    dedupe_key: str | None = None,
) -> list[Message]:
    """Queue ``event``'s messages; one row per recipient address and channel. No commit.

    Recipients default to the customer's address and its contacts flagged for ``audience``
    (``orders``, ``returns``, ``payment_reminders``, ``offers``). ``channels`` limits the
    channels the matrix enables (default: all it enables). Addresses without consent for
    ``purpose`` get nothing; a malformed address gets a ``failed`` row saying so.
    ``dedupe_key`` (e.g. "order-event:17") makes a repeated call write nothing new.
    ``related`` is the object the message is about. Sent after the caller commits.
    """
    purpose = Purpose(purpose)
    if recipients is None:
        recipients = default_recipients(customer, audience) if customer is not None else []
    customer_id = customer.id if customer is not None else None
    group_id = customer.group_id if customer is not None else None
    base = {**common_context(), **context}
    rows: list[Message] = []
    for channel in enabled_channels(event, customer_id, channels):
        targets = _targets(recipients, channel)
        allowed = consents.allowed_addresses([a for a, _r in targets if a], channel, purpose)
        for address, recipient in targets:
            if address is not None and address not in allowed:
                continue
            message = _message(event, channel, purpose, address, recipient, base, group_id)
            if message is None:
                continue
            message.customer_id = recipient.customer_id or customer_id
            if related is not None:
                message.related_type = type(related).__name__
                message.related_id = str(related.id)
            message.attachments = [asdict(a) for a in attachments] or None
            message.headers = dict(headers) if headers else None
            if dedupe_key:
                message.dedupe_key = f"{dedupe_key}|{channel.value}|{message.recipient}"[:300]
            rows.append(message)
    rows = _store(rows)
    for channel in {m.channel for m in rows if m.status == MessageStatus.QUEUED}:
        defer_dispatch(channel)
    return rows


def _targets(recipients: Sequence[Recipient], channel: Channel):
    """(normalised address or None if malformed, recipient) — each address once."""
    seen: set[str] = set()
    out = []
    for recipient in recipients:
        raw = recipient.address(channel)
        if not raw or not str(raw).strip():
            continue
        try:
            address = consents.normalise_address(raw, channel)
        except ValidationFailed:
            address = None
        key = address or str(raw).strip().lower()
        if key in seen:
            continue
        seen.add(key)
        out.append((address, recipient))
    return out


def _message(event, channel, purpose, address, recipient, base, group_id) -> Message | None:
    context = {
        **base,
        "recipient": {"name": recipient.name, "email": recipient.email, "phone": recipient.phone},
    }
    rendered = render_message(event, channel, recipient.locale, context, group_id)
    if rendered is None:
        return None  # the event has no text for this channel (e.g. no SMS block)
    message = Message(
        channel=channel,
        event=event,
        purpose=purpose,
        recipient=(address or str(recipient.address(channel)))[:254],
        recipient_name=recipient.name,
        contact_id=recipient.contact_id,
        locale=recipient.locale,
        subject=rendered.subject[:300] if rendered.subject else None,
        body_html=rendered.html,
        body_text=rendered.text,
        template_source=rendered.source,
    )
    if address is None:
        message.status = MessageStatus.FAILED
        message.failed_at = utcnow()
        message.last_error = (
            "invalid e-mail address" if channel == Channel.EMAIL else "invalid phone number"
        )
    return message


_STORED = (
    "channel",
    "status",
    "event",
    "purpose",
    "recipient",
    "recipient_name",
    "customer_id",
    "contact_id",
    "related_type",
    "related_id",
    "locale",
    "subject",
    "body_html",
    "body_text",
    "attachments",
    "headers",
    "dedupe_key",
    "template_source",
    "last_error",
    "failed_at",
)


def _store(rows: list[Message]) -> list[Message]:
    """Insert the rows in one statement, skipping any whose dedupe key exists (also one
    written concurrently: ``ON CONFLICT DO NOTHING``); returns the stored rows."""
    if not rows:
        return []
    now = utcnow()
    values = [
        {
            **{name: getattr(m, name) for name in _STORED},
            "status": m.status or MessageStatus.QUEUED,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for m in rows
    ]
    dialect_insert = (
        pg_insert if db.session.get_bind().dialect.name == "postgresql" else (sqlite_insert)
    )
    stmt = (
        dialect_insert(Message)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Message)
    )
    return list(db.session.scalars(stmt, values))
