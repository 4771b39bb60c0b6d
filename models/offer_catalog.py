"""Dictionaries the administrator keeps for offers: extra services and condition templates."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Money, TimestampMixin
from models.products import VatRate


class ExtraService(TimestampMixin, Base):
    """A service the company prices on offers (transport, installation, training, …)."""

    __tablename__ = "offer_extra_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(16), default="usł.")
    default_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    vat_rate: Mapped[Decimal] = mapped_column(VatRate, default=Decimal("23"))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


class OfferConditionTemplate(TimestampMixin, Base):
    """A condition the rep can pick for an offer, with its default wording."""

    __tablename__ = "offer_condition_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Heading printed on the offer, e.g. "Warunki płatności".
    title: Mapped[str] = mapped_column(String(200), unique=True)
    default_text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    #: Picked automatically on new offers.
    preselected: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.title
