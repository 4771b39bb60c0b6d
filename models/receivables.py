"""Receivables (należności) from the ERP and the payments against them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Money, TimestampMixin

if TYPE_CHECKING:
    from models.customers import Customer


def _reported_default(context) -> Decimal:
    """Rows made without a reported amount report what they were created as paid."""
    return context.get_current_parameters().get("paid_amount") or Decimal("0.00")


class Receivable(TimestampMixin, Base):
    """An amount a customer owes on one document (invoice), with its due date."""

    __tablename__ = "receivables"
    __table_args__ = (
        Index("ix_receivables_updated", "updated_at", "id"),
        Index("ix_receivables_open_due", "is_open", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    document_number: Mapped[str] = mapped_column(String(64), index=True)
    issued_at: Mapped[dt.date | None]
    due_date: Mapped[dt.date]
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="PLN")
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    #: Paid amount as the ERP last reported it; paid_amount = max(this, sum of payments).
    reported_paid_amount: Mapped[Decimal] = mapped_column(Money, default=_reported_default)
    #: Kept equal to paid_amount < amount by the service layer; indexed for daily runs.
    is_open: Mapped[bool] = mapped_column(default=True)
    paid_at: Mapped[dt.datetime | None]

    customer: Mapped[Customer] = relationship()
    payments: Mapped[list[Payment]] = relationship(
        back_populates="receivable", cascade="all, delete-orphan", order_by="Payment.paid_at"
    )

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid_amount

    def __str__(self) -> str:
        return self.document_number


class Payment(TimestampMixin, Base):
    """A payment booked against a receivable."""

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_updated", "updated_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    receivable_id: Mapped[int] = mapped_column(ForeignKey("receivables.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_at: Mapped[dt.datetime]

    receivable: Mapped[Receivable] = relationship(back_populates="payments")
