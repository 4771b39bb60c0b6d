"""Sales offers (oferty handlowe): the offer, its versions, its recipients, the number sequence.

An offer has one or many recipients (customers); each gets its own documents and gives its
own answer. The content (lines, services, conditions, pricing mode) lives on versions: a
draft version is edited, sending freezes it, and changing a sent offer starts the next
version. Status changes follow ``OFFER_TRANSITIONS`` and ``RECIPIENT_TRANSITIONS`` and are
made only by ``backoffice.services.offers``.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Money, TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from models.customers import Customer
    from models.offer_documents import OfferDocument
    from models.offer_lines import OfferAcceptedItem, OfferCondition, OfferLine, OfferServiceLine
    from models.orders import Order
    from models.users import User


class OfferStatus(enum.StrEnum):
    """Where an offer (or one recipient's copy of it) stands."""

    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


S = OfferStatus

#: Allowed status changes of an offer. A sent offer goes back to draft when it is revised
#: (a new version); a partly accepted offer becomes accepted when another recipient accepts
#: everything. Accepted and cancelled offers are final.
OFFER_TRANSITIONS: dict[OfferStatus, frozenset[OfferStatus]] = {
    S.DRAFT: frozenset({S.SENT, S.CANCELLED}),
    S.SENT: frozenset(
        {S.ACCEPTED, S.PARTIALLY_ACCEPTED, S.REJECTED, S.EXPIRED, S.CANCELLED, S.DRAFT}
    ),
    S.PARTIALLY_ACCEPTED: frozenset({S.ACCEPTED}),
    S.ACCEPTED: frozenset(),
    S.REJECTED: frozenset({S.DRAFT}),
    S.EXPIRED: frozenset({S.DRAFT}),
    S.CANCELLED: frozenset(),
}

#: Allowed status changes of one recipient's copy. An answer is final for that version; a
#: recipient withdrawn from a draft (cancelled) may be reinstated while the offer is a draft.
RECIPIENT_TRANSITIONS: dict[OfferStatus, frozenset[OfferStatus]] = {
    S.DRAFT: frozenset({S.SENT, S.CANCELLED}),
    S.SENT: frozenset(
        {S.ACCEPTED, S.PARTIALLY_ACCEPTED, S.REJECTED, S.EXPIRED, S.CANCELLED, S.DRAFT}
    ),
    S.PARTIALLY_ACCEPTED: frozenset(),
    S.ACCEPTED: frozenset(),
    S.REJECTED: frozenset({S.DRAFT}),
    S.EXPIRED: frozenset({S.DRAFT}),
    S.CANCELLED: frozenset({S.DRAFT}),
}

#: Answers a customer can give (recipient statuses that count as "accepted something").
ACCEPTED_STATUSES = frozenset({S.ACCEPTED, S.PARTIALLY_ACCEPTED})


class PricingMode(enum.StrEnum):
    """Unit prices summed, or a final net total spread over the lines (tryb sumowania)."""

    UNIT_PRICES = "unit_prices"
    FINAL_TOTAL = "final_total"


class OfferNumberSequence(Base):
    """The last offer number used in a year; incremented inside the creating transaction.

    The increment is an upsert that locks the row until commit, so numbers are gapless and
    unique however many offers are created at once.
    """

    __tablename__ = "offer_number_sequences"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)


class Offer(TimestampMixin, Base):
    """A sales offer for one or many customers."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("year", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: System number, e.g. OF/2026/00042 (format from OFFER_NUMBER_FORMAT).
    number: Mapped[str] = mapped_column(String(64), unique=True)
    year: Mapped[int]
    sequence: Mapped[int]
    title: Mapped[str | None] = mapped_column(String(300))
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="PLN")
    valid_until: Mapped[dt.date] = mapped_column(index=True)
    status: Mapped[OfferStatus] = mapped_column(
        str_enum(OfferStatus, "offer_status"), default=OfferStatus.DRAFT, index=True
    )
    #: Never printed: for the rep and colleagues only.
    internal_notes: Mapped[str | None] = mapped_column(Text)
    #: Number of the version being edited or last sent.
    current_version_no: Mapped[int] = mapped_column(default=1)
    #: Totals of the current version (kept for sorting and lists).
    total_net: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    total_gross: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    #: Shown in the customers' portal since then (None: not published).
    published_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    expired_at: Mapped[dt.datetime | None]
    duplicated_from_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))

    rep: Mapped[User] = relationship()
    duplicated_from: Mapped[Offer | None] = relationship(remote_side=[id])
    versions: Mapped[list[OfferVersion]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="OfferVersion.number"
    )
    recipients: Mapped[list[OfferRecipient]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="OfferRecipient.position"
    )

    def __str__(self) -> str:
        return self.number

    @property
    def current_version(self) -> OfferVersion:
        return next(v for v in self.versions if v.number == self.current_version_no)

    @property
    def active_recipients(self) -> list[OfferRecipient]:
        """Recipients taking part in the current version (not withdrawn)."""
        return [r for r in self.recipients if r.status != OfferStatus.CANCELLED]

    @property
    def is_editable(self) -> bool:
        return self.status == OfferStatus.DRAFT

    def may_move_to(self, status: OfferStatus) -> bool:
        return status in OFFER_TRANSITIONS[self.status]


class OfferVersion(Base):
    """One version of an offer's content; read-only once sent."""

    __tablename__ = "offer_versions"
    __table_args__ = (UniqueConstraint("offer_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    #: Incremented by every save of the draft; documents remember the revision they show.
    revision: Mapped[int] = mapped_column(default=1)
    pricing_mode: Mapped[PricingMode] = mapped_column(
        str_enum(PricingMode, "offer_pricing_mode"), default=PricingMode.UNIT_PRICES
    )
    #: In final-total mode: the net total of the (non-optional) product lines.
    final_total_net: Mapped[Decimal | None] = mapped_column(Money)
    #: Text printed above the lines ("Szanowni Państwo, …").
    intro: Mapped[str | None] = mapped_column(Text)
    total_net: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    total_vat: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    total_gross: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(300))
    #: Frozen (read-only) since this moment; None while it is a draft.
    sent_at: Mapped[dt.datetime | None]

    offer: Mapped[Offer] = relationship(back_populates="versions")
    lines: Mapped[list[OfferLine]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="OfferLine.position"
    )
    services: Mapped[list[OfferServiceLine]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="OfferServiceLine.position"
    )
    conditions: Mapped[list[OfferCondition]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="OfferCondition.position"
    )
    documents: Mapped[list[OfferDocument]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="OfferDocument.id"
    )

    @property
    def is_frozen(self) -> bool:
        return self.sent_at is not None

    def __str__(self) -> str:
        return f"v{self.number}"


class OfferRecipient(Base):
    """One customer an offer is made to, with that customer's own answer and order."""

    __tablename__ = "offer_recipients"
    __table_args__ = (UniqueConstraint("offer_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    status: Mapped[OfferStatus] = mapped_column(
        str_enum(OfferStatus, "offer_recipient_status"), default=OfferStatus.DRAFT, index=True
    )
    #: Contact ids printed on the document as the customer's contact persons.
    contact_ids: Mapped[list[int] | None] = mapped_column(JSON)
    sent_at: Mapped[dt.datetime | None]
    #: The version the customer answered, when, who (label) and why (for a rejection).
    responded_version_no: Mapped[int | None]
    responded_at: Mapped[dt.datetime | None]
    responded_by: Mapped[str | None] = mapped_column(String(300))
    response_note: Mapped[str | None] = mapped_column(Text)
    accepted_net: Mapped[Decimal | None] = mapped_column(Money)
    accepted_gross: Mapped[Decimal | None] = mapped_column(Money)
    #: The order this recipient's acceptance was converted into (at most one).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), unique=True)
    converted_at: Mapped[dt.datetime | None]

    offer: Mapped[Offer] = relationship(back_populates="recipients")
    customer: Mapped[Customer] = relationship()
    order: Mapped[Order | None] = relationship()
    accepted_items: Mapped[list[OfferAcceptedItem]] = relationship(
        back_populates="recipient", cascade="all, delete-orphan", order_by="OfferAcceptedItem.id"
    )

    def may_move_to(self, status: OfferStatus) -> bool:
        return status in RECIPIENT_TRANSITIONS[self.status]

    def __str__(self) -> str:
        return str(self.customer)
