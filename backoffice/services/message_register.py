"""Operations on the message register from the console: resend, test messages, counts."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import func, select

from backoffice.actors import Actor
from backoffice.errors import InvalidTransition, ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from backoffice.services.consents import normalise_address
from backoffice.services.message_dispatch import defer_dispatch
from models.base import utcnow
from models.messaging import Channel, Message, MessageStatus, Purpose

#: Statuses from which staff may send a message again.
RESENDABLE = frozenset({MessageStatus.FAILED, MessageStatus.BOUNCED})
COPIED = (
    "channel",
    "event",
    "purpose",
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
    "template_source",
)


def resend_message(actor: Actor, message: Message, recipient: str | None = None) -> Message:
    """Queue a copy of a failed or bounced message (optionally to a corrected address).

    The original row stays as it was (its history is the record of what happened); the
    copy points back at it. Raises InvalidTransition for other statuses, ValidationFailed
    for a malformed address. No commit.
    """
    if message.status not in RESENDABLE:
        raise InvalidTransition(
            _(
                "Only a failed or bounced message can be sent again (this one is %(status)s).",
                status=message.status.value,
            )
        )
    address = normalise_address(recipient or message.recipient, message.channel)
    if not address:
        raise ValidationFailed(_("An address is required."), field="recipient")
    copy = Message(**{name: getattr(message, name) for name in COPIED})
    copy.recipient = address
    copy.resent_from_id = message.id
    db.session.add(copy)
    db.session.flush()
    record(
        actor,
        "message.resend",
        copy,
        summary=f"#{message.id} → #{copy.id} ({address})",
        changes={"resent_from": message.id, "recipient": [message.recipient, address]},
    )
    defer_dispatch(copy.channel)
    return copy


def queue_test_message(actor: Actor, channel: Channel | str, address: str) -> Message:
    """A short test e-mail or SMS to check the transport settings; no commit."""
    channel = Channel(channel)
    normalised = normalise_address(address, channel)
    if not normalised:
        raise ValidationFailed(_("An address is required."), field="address")
    text = _("This is a test message from the back office. If you can read it, sending works.")
    message = Message(
        channel=channel,
        event="system.test",
        purpose=Purpose.INTERNAL,
        recipient=normalised,
        subject=_("Test message — zażółć gęślą jaźń") if channel == Channel.EMAIL else None,
        body_html=f"<p>{text}</p>" if channel == Channel.EMAIL else None,
        body_text=text,
    )
    db.session.add(message)
    db.session.flush()
    record(actor, "message.test", message, summary=f"{channel.value} → {normalised}")
    defer_dispatch(channel)
    return message


def status_counts(since: dt.datetime | None = None) -> dict[str, int]:
    """Messages per status (for the dashboard and the register header)."""
    query = select(Message.status, func.count()).group_by(Message.status)
    if since is not None:
        query = query.where(Message.created_at >= since)
    counts = {status.value: 0 for status in MessageStatus}
    counts.update({s.value: n for s, n in db.session.execute(query)})
    return counts


def failed_last_week() -> int:
    """Failed or bounced messages of the last 7 days (a dashboard counter)."""
    since = utcnow() - dt.timedelta(days=7)
    return db.session.scalar(
        select(func.count()).where(
            Message.status.in_((MessageStatus.FAILED, MessageStatus.BOUNCED)),
            Message.created_at >= since,
        )
    )


def queued_now() -> int:
    """Messages waiting to be sent (queued or being sent)."""
    return db.session.scalar(
        select(func.count()).where(
            Message.status.in_((MessageStatus.QUEUED, MessageStatus.SENDING))
        )
    )
