"""Service tickets (zgłoszenia serwisowe), their history, parts/work lines and attachments."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, Money, Quantity, TimestampMixin, str_enum, utcnow
from models.products import VatRate
from models.service_procedures import ProcedureStatus, ServiceProcedure, TicketKind

if TYPE_CHECKING:
    from models.customers import Customer
    from models.products import Product
    from models.service_products import RegisteredProduct
    from models.users import User


class TicketSource(enum.StrEnum):
    PORTAL = "portal"
    API = "api"
    STAFF = "staff"
    RETURN = "return"


class WorkLineKind(enum.StrEnum):
    PART = "part"
    LABOUR = "labour"
    OTHER = "other"


class AttachmentKind(enum.StrEnum):
    FAULT = "fault"
    PROOF_OF_PURCHASE = "proof_of_purchase"
    SHIPMENT = "shipment"
    LABEL = "label"
    REPAIR_REPORT = "repair_report"
    OTHER = "other"


class ServiceTicket(TimestampMixin, Base):
    """A request to service one registered unit, following its kind's procedure."""

    __tablename__ = "service_tickets"
    __table_args__ = (
        Index("ix_service_tickets_open_age", "is_open", "status_changed_at"),
        UniqueConstraint("return_line_id"),
        UniqueConstraint("external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SRV/2026/00042, from a gapless per-year sequence.
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    registered_product_id: Mapped[int] = mapped_column(
        ForeignKey("registered_products.id"), index=True
    )
    kind: Mapped[TicketKind] = mapped_column(str_enum(TicketKind, "ticket_kind"), index=True)
    #: Staff changed the kind the date decided; the reason is required.
    kind_overridden: Mapped[bool] = mapped_column(default=False)
    kind_override_reason: Mapped[str | None] = mapped_column(Text)
    #: The unit's warranty end on the filing day (why the kind was decided).
    warranty_end_at_filing: Mapped[dt.date | None]
    procedure_id: Mapped[int] = mapped_column(ForeignKey("service_procedures.id"))
    status_id: Mapped[int] = mapped_column(ForeignKey("service_procedure_statuses.id"), index=True)
    status_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: False once a final status is reached (the open queue filters on it).
    is_open: Mapped[bool] = mapped_column(default=True)
    closed_at: Mapped[dt.datetime | None]
    source: Mapped[TicketSource] = mapped_column(str_enum(TicketSource, "ticket_source"))
    #: The shop's id of the request (a retried API call finds the same ticket).
    external_id: Mapped[str | None] = mapped_column(String(64))
    #: The return line the ticket came from (RMA disposition "repair").
    return_line_id: Mapped[int | None]
    return_reference: Mapped[str | None] = mapped_column(String(64))
    filed_on: Mapped[dt.date]
    fault_description: Mapped[str] = mapped_column(Text)
    #: What came with the unit (charger, case, …).
    accessories: Mapped[str | None] = mapped_column(String(500))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    notify_email: Mapped[bool] = mapped_column(default=True)
    notify_sms: Mapped[bool] = mapped_column(default=False)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    diagnosis: Mapped[str | None] = mapped_column(Text)
    repair_notes: Mapped[str | None] = mapped_column(Text)
    quote_amount: Mapped[Decimal | None] = mapped_column(Money)
    quote_notes: Mapped[str | None] = mapped_column(Text)
    #: accepted / rejected, set when the customer (or staff for them) decided.
    quote_decision: Mapped[str | None] = mapped_column(String(16))
    quote_decided_at: Mapped[dt.datetime | None]
    #: Warsaw dates bounding the time at the service (warranty extension).
    goods_received_on: Mapped[dt.date | None]
    returned_on: Mapped[dt.date | None]
    inbound_carrier: Mapped[str | None] = mapped_column(String(64))
    inbound_waybill: Mapped[str | None] = mapped_column(String(64), index=True)
    outbound_carrier: Mapped[str | None] = mapped_column(String(64))
    outbound_waybill: Mapped[str | None] = mapped_column(String(64), index=True)

    customer: Mapped[Customer] = relationship()
    registered_product: Mapped[RegisteredProduct] = relationship(back_populates="tickets")
    procedure: Mapped[ServiceProcedure] = relationship()
    status: Mapped[ProcedureStatus] = relationship()
    assigned_to: Mapped[User | None] = relationship()
    events: Mapped[list[ServiceTicketEvent]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="ServiceTicketEvent.id"
    )
    lines: Mapped[list[ServiceWorkLine]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="ServiceWorkLine.id"
    )
    attachments: Mapped[list[ServiceAttachment]] = relationship(
        back_populates="ticket", order_by="ServiceAttachment.id"
    )

    def __str__(self) -> str:
        return self.number

    @property
    def cost_net(self) -> Decimal:
        return sum((line.total_net for line in self.lines), Decimal("0.00"))

    @property
    def cost_gross(self) -> Decimal:
        return sum((line.total_gross for line in self.lines), Decimal("0.00"))

    def days_in_status(self, today: dt.date) -> int:
        """Whole days since the last status change (the queue's ageing)."""
        from zoneinfo import ZoneInfo

        changed = self.status_changed_at.astimezone(ZoneInfo("Europe/Warsaw")).date()
        return max((today - changed).days, 0)


class ServiceTicketEvent(Base):
    """One entry of a ticket's history: a status change, a note, a type change, …"""

    __tablename__ = "service_ticket_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("service_tickets.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: status, note, kind, assign, quote, courier, attachment, created.
    kind: Mapped[str] = mapped_column(String(16))
    from_status_id: Mapped[int | None] = mapped_column(ForeignKey("service_procedure_statuses.id"))
    to_status_id: Mapped[int | None] = mapped_column(ForeignKey("service_procedure_statuses.id"))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_label: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    #: Shown to the customer in the portal.
    public: Mapped[bool] = mapped_column(default=True)

    ticket: Mapped[ServiceTicket] = relationship(back_populates="events")
    from_status: Mapped[ProcedureStatus | None] = relationship(foreign_keys=[from_status_id])
    to_status: Mapped[ProcedureStatus | None] = relationship(foreign_keys=[to_status_id])


class ServiceWorkLine(Base):
    """A part used or work done on a ticket, with its cost."""

    __tablename__ = "service_work_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("service_tickets.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[WorkLineKind] = mapped_column(str_enum(WorkLineKind, "work_line_kind"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price_net: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[Decimal] = mapped_column(VatRate, default=Decimal("23"))
    added_by: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    ticket: Mapped[ServiceTicket] = relationship(back_populates="lines")
    product: Mapped[Product | None] = relationship()

    @property
    def total_net(self) -> Decimal:
        return (self.quantity * self.unit_price_net).quantize(Decimal("0.01"))

    @property
    def total_gross(self) -> Decimal:
        return (self.total_net * (1 + self.vat_rate / 100)).quantize(Decimal("0.01"))


class ServiceAttachment(Base):
    """A stored file of a ticket or of a registered product (proof of purchase)."""

    __tablename__ = "service_attachments"
    __table_args__ = (
        CheckConstraint(
            "ticket_id IS NOT NULL OR registered_product_id IS NOT NULL", name="has_owner"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("service_tickets.id"), index=True)
    registered_product_id: Mapped[int | None] = mapped_column(
        ForeignKey("registered_products.id"), index=True
    )
    kind: Mapped[AttachmentKind] = mapped_column(str_enum(AttachmentKind, "attachment_kind"))
    filename: Mapped[str] = mapped_column(String(255))
    #: Path inside STORAGE_DIR.
    path: Mapped[str] = mapped_column(String(500))
    mimetype: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(300))
    #: Visible to the customer's users (staff-only files are not).
    public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    ticket: Mapped[ServiceTicket | None] = relationship(back_populates="attachments")
    registered_product: Mapped[RegisteredProduct | None] = relationship(
        back_populates="attachments"
    )


class ServiceNumberSequence(Base):
    """The last ticket number used in a year (gapless numbering under a row lock)."""

    __tablename__ = "service_number_sequences"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)
