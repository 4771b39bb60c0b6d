"""Message templates edited in the console, and which events notify on which channel.

A ``MessageTemplate`` overrides the default file template (``templates/emails/<event>.<locale>
.html``) for one event, channel and language — optionally only for one customer group
("profiled per contractor"). ``NotificationRule`` is the console's event × channel matrix;
``CustomerNotificationRule`` overrides it for one customer.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin, str_enum, utcnow
from models.customers import Customer, CustomerGroup
from models.messaging import Channel


class MessageTemplate(TimestampMixin, Base):
    """A staff-edited template for one event × channel × language (× customer group)."""

    __tablename__ = "message_templates"
    __table_args__ = (
        UniqueConstraint("event", "channel", "locale", "customer_group_id"),
        # NULLs are distinct in a UNIQUE constraint: one general template per key needs this.
        Index(
            "uq_message_templates_general",
            "event",
            "channel",
            "locale",
            unique=True,
            postgresql_where=text("customer_group_id IS NULL"),
            sqlite_where=text("customer_group_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(80), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    locale: Mapped[str] = mapped_column(String(5), default="pl")
    #: Only for customers of this group; NULL = everyone else.
    customer_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_groups.id", ondelete="CASCADE")
    )
    #: E-mail subject (Jinja); unused for SMS.
    subject: Mapped[str | None] = mapped_column(String(300))
    #: E-mail HTML content (Jinja), placed inside the e-mail layout; unused for SMS.
    body_html: Mapped[str | None] = mapped_column(Text)
    #: Plain-text part of an e-mail, or the SMS text (Jinja).
    body_text: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[str | None] = mapped_column(String(300))

    customer_group: Mapped[CustomerGroup | None] = relationship()

    def __str__(self) -> str:
        group = f" [{self.customer_group}]" if self.customer_group_id else ""
        return f"{self.event} · {self.channel.value} · {self.locale}{group}"


class NotificationRule(Base):
    """Whether an event sends on a channel (a cell of the console matrix)."""

    __tablename__ = "notification_rules"

    event: Mapped[str] = mapped_column(String(80), primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(300))


class CustomerNotificationRule(Base):
    """One customer's exception to the matrix (e.g. SMS on for a VIP, e-mail off)."""

    __tablename__ = "customer_notification_rules"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    event: Mapped[str] = mapped_column(String(80), primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"), primary_key=True)
    enabled: Mapped[bool]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(300))

    customer: Mapped[Customer] = relationship()
