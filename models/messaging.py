"""The message register: every e-mail and SMS, written before it is sent (outbox).

Besides ``Message`` this holds what happened to each one: send attempts with the provider's
replies, delivery events (webhooks, DSN bounces) and the suppression list of addresses that
bounced hard or complained (read by the newsletter module).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, str_enum, utcnow

if TYPE_CHECKING:
    from models.customers import Customer


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    BOUNCED = "bounced"


#: Statuses a message can no longer leave by sending (only delivery events move them).
FINAL_STATUSES = frozenset(
    {MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.BOUNCED}
)


class Purpose(enum.StrEnum):
    """Why a message is sent; consents are kept per purpose and channel."""

    TRANSACTIONAL = "transactional"
    PAYMENT_REMINDERS = "payment_reminders"
    MARKETING = "marketing"
    INTERNAL = "internal"


OPEN_ROWS = "status IN ('queued', 'sending')"


def status_is(status: MessageStatus):
    """``messages.status = '<value>'`` as a literal, so PostgreSQL can use the partial
    indexes of open rows also in prepared statements (a bound parameter proves nothing)."""
    return text(f"messages.status = '{MessageStatus(status).value}'")


class Message(Base):
    """One e-mail or SMS to one recipient."""

    __tablename__ = "messages"
    __table_args__ = (
        # Only open rows are indexed by status: the sender and the sweep look for queued and
        # sending rows, and a row that is sent leaves these indexes instead of adding to them.
        Index(
            "ix_messages_status_next",
            "status",
            "next_attempt_at",
            postgresql_where=text(OPEN_ROWS),
            sqlite_where=text(OPEN_ROWS),
        ),
        Index(
            "ix_messages_channel_status",
            "channel",
            "status",
            "id",
            postgresql_where=text(OPEN_ROWS),
            sqlite_where=text(OPEN_ROWS),
        ),
        Index("ix_messages_related", "related_type", "related_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    status: Mapped[MessageStatus] = mapped_column(
        str_enum(MessageStatus, "message_status"), default=MessageStatus.QUEUED
    )
    #: Dotted event type, e.g. "order.placed", "offer.sent", "return.accepted".
    event: Mapped[str] = mapped_column(String(80), index=True)
    purpose: Mapped[Purpose] = mapped_column(
        str_enum(Purpose, "purpose"), default=Purpose.TRANSACTIONAL
    )
    #: E-mail address or E.164 phone number.
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    #: The business object the message is about (e.g. "Offer", 42).
    related_type: Mapped[str | None] = mapped_column(String(64))
    related_id: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(5), default="pl")
    subject: Mapped[str | None] = mapped_column(String(300))
    body_html: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text, default="")
    #: [{"filename", "path" (inside STORAGE_DIR), "mimetype"}]
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    #: Extra headers, e.g. List-Unsubscribe for marketing mail.
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: The provider's id (SMTP queue id, SMS gateway message id).
    provider_id: Mapped[str | None] = mapped_column(String(200), index=True)
    provider_reply: Mapped[str | None] = mapped_column(Text)
    #: Guards against writing the same message twice (e.g. one order event id, one address).
    dedupe_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    #: Where the text came from: "file:<name>" or "db:<template id>".
    template_source: Mapped[str | None] = mapped_column(String(120))
    #: A resend points at the message it repeats.
    resent_from_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]
    bounced_at: Mapped[dt.datetime | None]

    customer: Mapped[Customer | None] = relationship()
    attempt_rows: Mapped[list[MessageAttempt]] = relationship(
        back_populates="message", order_by="MessageAttempt.id", cascade="all, delete-orphan"
    )
    delivery_events: Mapped[list[DeliveryEvent]] = relationship(
        back_populates="message", order_by="DeliveryEvent.id"
    )

    def message_id(self, domain: str) -> str:
        """The RFC 5322 Message-ID, the same on every attempt (receivers dedupe on it)."""
        return f"<msg-{self.id}@{domain}>"

    def __str__(self) -> str:
        return f"#{self.id} {self.channel.value} → {self.recipient}"


class AttemptOutcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # a temporary failure: tried again later
    FAILED = "failed"  # a permanent refusal
    LOST = "lost"  # the worker died while sending; the sweep queued it again


class MessageAttempt(Base):
    """One try to hand a message to the SMTP server or the SMS gateway, with its reply."""

    __tablename__ = "message_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    outcome: Mapped[AttemptOutcome] = mapped_column(str_enum(AttemptOutcome, "attempt_outcome"))
    #: SMTP reply code or HTTP status of the gateway.
    code: Mapped[int | None]
    reply: Mapped[str | None] = mapped_column(Text)
    #: host:pid of the worker.
    worker: Mapped[str | None] = mapped_column(String(120))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int | None]

    message: Mapped[Message] = relationship(back_populates="attempt_rows")


class DeliveryEventKind(enum.StrEnum):
    DELIVERED = "delivered"
    DELAYED = "delayed"
    BOUNCED = "bounced"
    FAILED = "failed"
    COMPLAINED = "complained"
    OTHER = "other"


class DeliveryEvent(Base):
    """A delivery report about a sent message: webhook, DSN bounce or IMAP mailbox."""

    __tablename__ = "message_delivery_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    kind: Mapped[DeliveryEventKind] = mapped_column(
        str_enum(DeliveryEventKind, "delivery_event_kind")
    )
    #: webhook, dsn-file, imap.
    source: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str | None] = mapped_column(String(254))
    provider_id: Mapped[str | None] = mapped_column(String(200))
    #: e.g. the DSN status "5.1.1" or the gateway's status name.
    status_code: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    #: Our id of the report to ignore repeats (a DSN's Message-ID, a webhook event id).
    report_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    message: Mapped[Message | None] = relationship(back_populates="delivery_events")


class SuppressionReason(enum.StrEnum):
    HARD_BOUNCE = "hard_bounce"
    COMPLAINT = "complaint"
    UNSUBSCRIBED = "unsubscribed"
    MANUAL = "manual"


class Suppression(Base):
    """An address that gets no marketing mail any more (hard bounce, complaint, manual)."""

    __tablename__ = "message_suppressions"
    __table_args__ = (UniqueConstraint("address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-case e-mail address or E.164 phone number.
    address: Mapped[str] = mapped_column(String(254))
    reason: Mapped[SuppressionReason] = mapped_column(
        str_enum(SuppressionReason, "suppression_reason")
    )
    detail: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(300))

    def __str__(self) -> str:
        return self.address
