"""Registered products: a customer's unit of a product (by serial) and its warranty."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from models.customers import Customer
    from models.delivery_notes import DeliveryNote
    from models.products import Product
    from models.service_tickets import ServiceAttachment, ServiceTicket
    from models.users import User


class RegistrationStatus(enum.StrEnum):
    VERIFIED = "verified"
    #: Registered by a customer without a matching delivery note: staff check the proof.
    TO_VERIFY = "to_verify"
    REJECTED = "rejected"


class PurchaseSource(enum.StrEnum):
    """Where the purchase date comes from."""

    DELIVERY_NOTE = "delivery_note"
    PROOF_OF_PURCHASE = "proof_of_purchase"
    STAFF = "staff"


class RegisteredProduct(TimestampMixin, Base):
    """One unit of a product owned by a customer, with its computed warranty end."""

    __tablename__ = "registered_products"
    __table_args__ = (UniqueConstraint("product_id", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    #: Serial number as printed on the unit (upper-case, trimmed); empty for untracked units.
    serial: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(
        str_enum(RegistrationStatus, "registration_status"),
        default=RegistrationStatus.VERIFIED,
        index=True,
    )
    purchase_date: Mapped[dt.date]
    purchase_source: Mapped[PurchaseSource] = mapped_column(
        str_enum(PurchaseSource, "purchase_source")
    )
    delivery_note_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_notes.id"), index=True
    )
    #: Copied from the product at registration; staff may override (audited).
    warranty_months: Mapped[int]
    #: purchase date + months + days spent in warranty repairs; kept current by the service.
    warranty_ends_on: Mapped[dt.date] = mapped_column(index=True)
    warranty_extension_days: Mapped[int] = mapped_column(default=0)
    #: portal, staff, api or return: who registered it.
    source: Mapped[str] = mapped_column(String(16), default="staff")
    registered_by: Mapped[str | None] = mapped_column(String(300))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[dt.datetime | None]
    #: Why a registration was rejected, or staff notes.
    notes: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship()
    product: Mapped[Product] = relationship()
    delivery_note: Mapped[DeliveryNote | None] = relationship()
    verified_by: Mapped[User | None] = relationship()
    extensions: Mapped[list[WarrantyExtension]] = relationship(
        back_populates="registered_product",
        cascade="all, delete-orphan",
        order_by="WarrantyExtension.starts_on",
    )
    tickets: Mapped[list[ServiceTicket]] = relationship(
        back_populates="registered_product", order_by="ServiceTicket.id"
    )
    attachments: Mapped[list[ServiceAttachment]] = relationship(
        back_populates="registered_product", order_by="ServiceAttachment.id"
    )

    def __str__(self) -> str:
        serial = f" · {self.serial}" if self.serial else ""
        return f"{self.product.name if self.product else '?'}{serial}"


class WarrantyExtension(Base):
    """Days a unit spent in a warranty repair (goods received → returned).

    One row per warranty ticket; the service keeps it in step with the ticket's dates and
    type. Overlapping rows are merged when the warranty end is computed.
    """

    __tablename__ = "warranty_extensions"
    __table_args__ = (UniqueConstraint("ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registered_product_id: Mapped[int] = mapped_column(
        ForeignKey("registered_products.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_tickets.id", ondelete="CASCADE"))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    #: Days this interval added after merging with earlier overlapping ones.
    days_added: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    registered_product: Mapped[RegisteredProduct] = relationship(back_populates="extensions")
    ticket: Mapped[ServiceTicket] = relationship()

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days
