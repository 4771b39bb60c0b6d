"""Delivery notes (WZ) issued by the ERP, with their lines and serial numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Quantity, TimestampMixin

if TYPE_CHECKING:
    from models.customers import Customer
    from models.orders import Order
    from models.products import Product


class DeliveryNote(TimestampMixin, Base):
    """A delivery note (WZ, wydanie zewnętrzne), possibly issued before this system existed."""

    __tablename__ = "delivery_notes"
    __table_args__ = (Index("ix_delivery_notes_updated", "updated_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    number: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(index=True)

    customer: Mapped[Customer] = relationship()
    order: Mapped[Order | None] = relationship()
    lines: Mapped[list[DeliveryNoteLine]] = relationship(
        back_populates="delivery_note",
        cascade="all, delete-orphan",
        order_by="DeliveryNoteLine.line_no",
    )

    def __str__(self) -> str:
        return self.number


class DeliveryNoteLine(Base):
    """One line of a delivery note."""

    __tablename__ = "delivery_note_lines"
    __table_args__ = (UniqueConstraint("delivery_note_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_note_id: Mapped[int] = mapped_column(
        ForeignKey("delivery_notes.id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)

    delivery_note: Mapped[DeliveryNote] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
    serials: Mapped[list[DeliveredSerial]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="DeliveredSerial.id"
    )

    @property
    def serial_numbers(self) -> list[str]:
        return [s.serial for s in self.serials]


class DeliveredSerial(Base):
    """A serial number delivered on a delivery note line."""

    __tablename__ = "delivered_serials"
    __table_args__ = (UniqueConstraint("line_id", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(
        ForeignKey("delivery_note_lines.id", ondelete="CASCADE"), index=True
    )
    serial: Mapped[str] = mapped_column(String(100), index=True)

    line: Mapped[DeliveryNoteLine] = relationship(back_populates="serials")
