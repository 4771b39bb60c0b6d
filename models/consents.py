"""Consents to be contacted, per address, purpose and channel, with their full history.

A consent belongs to an address (a lower-case e-mail or an E.164 phone number) because that
is what a message goes to; it remembers whose address it is (a customer's contact, a portal
user, later a newsletter subscriber). Every change is a ``ConsentChange`` row: when, what,
from which source, by whom and from which IP — the proof GDPR asks for.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, str_enum, utcnow
from models.messaging import Channel, Purpose


class ConsentSource(enum.StrEnum):
    PORTAL = "portal"
    CONSOLE = "console"
    API = "api"
    IMPORT = "import"
    UNSUBSCRIBE = "unsubscribe"
    SIGNUP_FORM = "signup_form"


class Consent(Base):
    """The current decision of one address about one purpose on one channel."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("address", "channel", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    purpose: Mapped[Purpose] = mapped_column(str_enum(Purpose, "purpose"))
    granted: Mapped[bool]
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    portal_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_users.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    changes: Mapped[list[ConsentChange]] = relationship(
        back_populates="consent", order_by="ConsentChange.id", cascade="all, delete-orphan"
    )


class ConsentChange(Base):
    """One change of a consent (rows are only ever inserted)."""

    __tablename__ = "consent_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    consent_id: Mapped[int] = mapped_column(
        ForeignKey("consents.id", ondelete="CASCADE"), index=True
    )
    granted: Mapped[bool]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source: Mapped[ConsentSource] = mapped_column(str_enum(ConsentSource, "consent_source"))
    #: staff, portal, api, system or anonymous (e.g. an unsubscribe link).
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(String(45))
    note: Mapped[str | None] = mapped_column(Text)

    consent: Mapped[Consent] = relationship(back_populates="changes")
