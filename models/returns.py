"""Returns (RMA): requests filed against delivery notes, their lines, dictionaries,
attachments, history and number sequence; and B2B account applications.

A return moves submitted → accepted | rejected → received → assessed → resolved → closed
(``RETURN_TRANSITIONS``); while it is submitted or accepted the customer may cancel it.
Each line is decided on its own (partial acceptance), assessed and given a disposition.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, Quantity, TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from models.customers import Customer
    from models.delivery_notes import DeliveryNote, DeliveryNoteLine
    from models.products import Product
    from models.users import PortalUser, User


class ReturnStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RECEIVED = "received"
    ASSESSED = "assessed"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


#: Allowed status changes; every other pair is refused by the services.
RETURN_TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    ReturnStatus.SUBMITTED: frozenset(
        {ReturnStatus.ACCEPTED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED}
    ),
    ReturnStatus.ACCEPTED: frozenset({ReturnStatus.RECEIVED, ReturnStatus.CANCELLED}),
    ReturnStatus.RECEIVED: frozenset({ReturnStatus.ASSESSED}),
    ReturnStatus.ASSESSED: frozenset({ReturnStatus.RESOLVED}),
    ReturnStatus.RESOLVED: frozenset({ReturnStatus.CLOSED}),
    ReturnStatus.REJECTED: frozenset(),
    ReturnStatus.CLOSED: frozenset(),
    ReturnStatus.CANCELLED: frozenset(),
}
#: Returns whose lines no longer hold back any returnable quantity.
RELEASED_STATUSES = (ReturnStatus.REJECTED, ReturnStatus.CANCELLED)


class LineDecision(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Disposition(enum.StrEnum):
    """What happens to returned goods after assessment."""

    CREDIT_NOTE = "credit_note"
    EXCHANGE = "exchange"
    REPAIR = "repair"
    RETURN_TO_CUSTOMER = "return_to_customer"
    SCRAP = "scrap"


class AttachmentKind(enum.StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"
    WAYBILL = "waybill"


class ReturnReason(Base):
    """A reason for a return (dictionary managed by administrators)."""

    __tablename__ = "return_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Name shown to English-speaking users (the Polish name when empty).
    name_en: Mapped[str | None] = mapped_column(String(200))
    #: The customer must describe the problem when choosing this reason (e.g. "other").
    requires_description: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)

    def label(self, locale: str = "pl") -> str:
        return (self.name_en or self.name) if locale == "en" else self.name

    def __str__(self) -> str:
        return self.name


class ReturnCondition(Base):
    """A condition of returned goods: unopened, opened, damaged, … (dictionary)."""

    __tablename__ = "return_conditions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)

    def label(self, locale: str = "pl") -> str:
        return (self.name_en or self.name) if locale == "en" else self.name

    def __str__(self) -> str:
        return self.name


class ReturnNumberSequence(Base):
    """The last return number issued in a year (gapless: taken in the filing transaction)."""

    __tablename__ = "return_number_sequences"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)


class ReturnRequest(TimestampMixin, Base):
    """A return (RMA) of goods from one delivery note."""

    __tablename__ = "return_requests"
    __table_args__ = (Index("ix_return_requests_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: System number, e.g. RMA/2026/00042; also the label's barcode.
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    delivery_note_id: Mapped[int] = mapped_column(ForeignKey("delivery_notes.id"), index=True)
    status: Mapped[ReturnStatus] = mapped_column(
        str_enum(ReturnStatus, "return_status"), default=ReturnStatus.SUBMITTED
    )
    #: Where it was filed: portal, api or staff.
    channel: Mapped[str] = mapped_column(String(16), default="portal")
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id"), index=True)
    filed_by_label: Mapped[str] = mapped_column(String(300))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    customer_notes: Mapped[str | None] = mapped_column(Text)
    #: Waybill number of the shipment the customer sends the goods back with.
    waybill_number: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The officer's reason or remarks given with the decision (shown to the customer).
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[dt.datetime | None]
    assessed_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    #: The stored label PDF (path inside STORAGE_DIR) and its SHA-256.
    label_path: Mapped[str | None] = mapped_column(String(500))
    label_sha256: Mapped[str | None] = mapped_column(String(64))
    label_generated_at: Mapped[dt.datetime | None]

    customer: Mapped[Customer] = relationship()
    delivery_note: Mapped[DeliveryNote] = relationship()
    filed_by: Mapped[PortalUser | None] = relationship()
    decided_by: Mapped[User | None] = relationship()
    lines: Mapped[list[ReturnLine]] = relationship(
        back_populates="return_request",
        cascade="all, delete-orphan",
        order_by="ReturnLine.line_no",
    )
    attachments: Mapped[list[ReturnAttachment]] = relationship(
        back_populates="return_request",
        cascade="all, delete-orphan",
        order_by="ReturnAttachment.id",
    )
    events: Mapped[list[ReturnEvent]] = relationship(
        back_populates="return_request",
        cascade="all, delete-orphan",
        order_by="ReturnEvent.id",
    )

    def can_move_to(self, status: ReturnStatus) -> bool:
        return status in RETURN_TRANSITIONS[self.status]

    @property
    def accepted_lines(self) -> list[ReturnLine]:
        return [line for line in self.lines if line.decision == LineDecision.ACCEPTED]

    @property
    def total_quantity(self) -> Decimal:
        return sum((line.quantity for line in self.lines), Decimal(0))

    @property
    def label_available(self) -> bool:
        return self.label_path is not None and self.status in (
            ReturnStatus.ACCEPTED,
            ReturnStatus.RECEIVED,
            ReturnStatus.ASSESSED,
            ReturnStatus.RESOLVED,
            ReturnStatus.CLOSED,
        )

    def __str__(self) -> str:
        return self.number


class ReturnLine(Base):
    """Goods returned from one delivery-note line (one unit per line when serial-tracked)."""

    __tablename__ = "return_lines"
    __table_args__ = (
        UniqueConstraint("return_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("return_requests.id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int]
    delivery_note_line_id: Mapped[int] = mapped_column(
        ForeignKey("delivery_note_lines.id"), index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    serial_number: Mapped[str | None] = mapped_column(String(100), index=True)
    reason_id: Mapped[int] = mapped_column(ForeignKey("return_reasons.id"))
    condition_id: Mapped[int] = mapped_column(ForeignKey("return_conditions.id"))
    description: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[LineDecision] = mapped_column(
        str_enum(LineDecision, "return_line_decision"), default=LineDecision.PENDING
    )
    decision_note: Mapped[str | None] = mapped_column(Text)
    #: Condition the officer found on receipt, with notes.
    found_condition_id: Mapped[int | None] = mapped_column(ForeignKey("return_conditions.id"))
    assessment_notes: Mapped[str | None] = mapped_column(Text)
    disposition: Mapped[Disposition | None] = mapped_column(
        str_enum(Disposition, "return_disposition")
    )
    #: E.g. the number of the credit note or exchange order issued in the ERP.
    resolution_reference: Mapped[str | None] = mapped_column(String(64))
    #: The service ticket created for a repair (service module; no FK across modules).
    service_ticket_id: Mapped[int | None]
    service_ticket_number: Mapped[str | None] = mapped_column(String(64))

    return_request: Mapped[ReturnRequest] = relationship(back_populates="lines")
    delivery_note_line: Mapped[DeliveryNoteLine] = relationship()
    product: Mapped[Product] = relationship()
    reason: Mapped[ReturnReason] = relationship()
    condition: Mapped[ReturnCondition] = relationship(foreign_keys=[condition_id])
    found_condition: Mapped[ReturnCondition | None] = relationship(
        foreign_keys=[found_condition_id]
    )


class ReturnAttachment(Base):
    """A photo, document or waybill file added to a return (stored in STORAGE_DIR)."""

    __tablename__ = "return_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("return_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AttachmentKind] = mapped_column(
        str_enum(AttachmentKind, "return_attachment_kind"), default=AttachmentKind.DOCUMENT
    )
    #: Path inside STORAGE_DIR (random name); ``filename`` is the name the user gave.
    path: Mapped[str] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(200))
    mimetype: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uploaded_by_kind: Mapped[str] = mapped_column(String(16))
    uploaded_by_label: Mapped[str] = mapped_column(String(300))

    return_request: Mapped[ReturnRequest] = relationship(back_populates="attachments")


class ReturnEvent(Base):
    """One step in a return's history, as shown to the customer and staff."""

    __tablename__ = "return_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("return_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: What happened: submitted, accepted, label, waybill, received, … (see services).
    action: Mapped[str] = mapped_column(String(40))
    #: The return's status after the step.
    status: Mapped[ReturnStatus] = mapped_column(str_enum(ReturnStatus, "return_event_status"))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_label: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    #: False for staff-only entries (internal notes).
    public: Mapped[bool] = mapped_column(default=True)

    return_request: Mapped[ReturnRequest] = relationship(back_populates="events")


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class AccountApplication(Base):
    """A company's application for a B2B portal account (public form), reviewed by staff."""

    __tablename__ = "account_applications"
    __table_args__ = (Index("ix_account_applications_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus, "account_application_status"),
        default=ApplicationStatus.PENDING,
    )
    company_name: Mapped[str] = mapped_column(String(300))
    nip: Mapped[str] = mapped_column(String(10), index=True)
    street: Mapped[str] = mapped_column(String(300))
    postal_code: Mapped[str] = mapped_column(String(16))
    city: Mapped[str] = mapped_column(String(120))
    contact_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    #: The applicant asks for the permission to file returns (RMA module).
    wants_returns: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(5), default="pl")
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    portal_user_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id"))

    decided_by: Mapped[User | None] = relationship()
    customer: Mapped[Customer | None] = relationship()
    portal_user: Mapped[PortalUser | None] = relationship()

    def __str__(self) -> str:
        return f"{self.company_name} ({self.email})"
