"""Orders from the shop or the ERP, their lines and their events."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, Money, Quantity, TimestampMixin, str_enum, utcnow
from models.products import VatRate

if TYPE_CHECKING:
    from models.customers import Customer
    from models.products import Product


class OrderStatus(enum.StrEnum):
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class OrderEventType(enum.StrEnum):
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Order(TimestampMixin, Base):
    """A customer's order as the shop or ERP knows it (or as converted from an offer)."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_updated", "updated_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    number: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    placed_at: Mapped[dt.datetime | None]
    currency: Mapped[str] = mapped_column(String(3), default="PLN")
    status: Mapped[OrderStatus] = mapped_column(
        str_enum(OrderStatus, "order_status"), default=OrderStatus.PLACED
    )
    #: shop, erp or offer — where the order was born.
    source: Mapped[str] = mapped_column(String(16), default="shop", index=True)
    #: Reference in the source (e.g. the offer number it was converted from).
    source_ref: Mapped[str | None] = mapped_column(String(64))
    total_net: Mapped[Decimal | None] = mapped_column(Money)
    total_vat: Mapped[Decimal | None] = mapped_column(Money)
    total_gross: Mapped[Decimal | None] = mapped_column(Money)
    waybill: Mapped[str | None] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(64))
    #: Cash on delivery collected by the carrier (pobranie).
    cod_amount: Mapped[Decimal | None] = mapped_column(Money)
    paid_at: Mapped[dt.datetime | None]
    shipped_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]

    customer: Mapped[Customer] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.line_no"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.at"
    )

    def __str__(self) -> str:
        return self.number


class OrderLine(Base):
    """One line of an order."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int]
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price_net: Mapped[Decimal | None] = mapped_column(Money)
    vat_rate: Mapped[Decimal | None] = mapped_column(VatRate)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product | None] = relationship()


class OrderEvent(Base):
    """Something that happened to an order, reported once by the shop or ERP."""

    __tablename__ = "order_events"
    __table_args__ = (UniqueConstraint("order_id", "event_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    #: The caller's id of the event; a repeated id is ignored.
    event_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[OrderEventType] = mapped_column(str_enum(OrderEventType, "order_event_type"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    waybill: Mapped[str | None] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(64))
    cod_amount: Mapped[Decimal | None] = mapped_column(Money)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
