"""The message register: every e-mail and SMS, written before it is sent (outbox)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, str_enum, utcnow


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


class Purpose(enum.StrEnum):
    """Why a message is sent; consents are kept per purpose and channel."""

    TRANSACTIONAL = "transactional"
    PAYMENT_REMINDERS = "payment_reminders"
    MARKETING = "marketing"
    INTERNAL = "internal"


class Message(Base):
    """One e-mail or SMS to one recipient."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_status_next", "status", "next_attempt_at"),
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
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]

    def message_id(self, domain: str) -> str:
        """The RFC 5322 Message-ID, the same on every attempt (receivers dedupe on it)."""
        return f"<msg-{self.id}@{domain}>"
