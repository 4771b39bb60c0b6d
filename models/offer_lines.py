"""What an offer version contains: product lines, extra services, conditions; and what a
recipient accepted of it."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Money, Quantity
from models.products import VatRate

if TYPE_CHECKING:
    from models.offer_catalog import ExtraService, OfferConditionTemplate
    from models.offers import OfferRecipient, OfferVersion
    from models.products import PackagingUnit, Product

Percent = Numeric(5, 2)
#: Unit prices after spreading a final total may need more than two decimals.
UnitPrice = Numeric(14, 4)


class OfferLine(Base):
    """A product (or free-text) line of an offer version; amounts are computed on save."""

    __tablename__ = "offer_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("offer_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(16), default="szt.")
    packaging_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("packaging_units.id", ondelete="SET NULL")
    )
    #: Packaging name and size at the time of saving (e.g. "karton", 12).
    packaging_name: Mapped[str | None] = mapped_column(String(64))
    package_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    #: The product's list price when the line was saved.
    list_price: Mapped[Decimal | None] = mapped_column(Money)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    discount_pct: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    vat_rate: Mapped[Decimal] = mapped_column(VatRate)
    #: Shown on the document but not summed; the customer may accept it.
    optional: Mapped[bool] = mapped_column(default=False)
    #: Purchase price when known (margins, staff only).
    purchase_price: Mapped[Decimal | None] = mapped_column(Money)
    #: Net unit price after discount and after spreading a final total.
    final_unit_price: Mapped[Decimal] = mapped_column(UnitPrice, default=Decimal("0"))
    net_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))

    version: Mapped[OfferVersion] = relationship(back_populates="lines")
    product: Mapped[Product | None] = relationship()
    packaging_unit: Mapped[PackagingUnit | None] = relationship()


class OfferServiceLine(Base):
    """An extra service priced on an offer version (transport, installation, training, …)."""

    __tablename__ = "offer_service_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("offer_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    extra_service_id: Mapped[int | None] = mapped_column(
        ForeignKey("offer_extra_services.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(16), default="usł.")
    quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("1"))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[Decimal] = mapped_column(VatRate)
    net_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))

    version: Mapped[OfferVersion] = relationship(back_populates="services")
    extra_service: Mapped[ExtraService | None] = relationship()


class OfferCondition(Base):
    """A condition printed on an offer version (payment, transport, validity, remarks, …)."""

    __tablename__ = "offer_conditions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("offer_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("offer_condition_templates.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)

    version: Mapped[OfferVersion] = relationship(back_populates="conditions")
    template: Mapped[OfferConditionTemplate | None] = relationship()


class OfferAcceptedItem(Base):
    """A line or service a recipient accepted, with the accepted quantity and its value."""

    __tablename__ = "offer_accepted_items"
    __table_args__ = (
        CheckConstraint("(line_id IS NULL) <> (service_line_id IS NULL)", name="one_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("offer_recipients.id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[int | None] = mapped_column(ForeignKey("offer_lines.id", ondelete="CASCADE"))
    service_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("offer_service_lines.id", ondelete="CASCADE")
    )
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    net_amount: Mapped[Decimal] = mapped_column(Money)

    recipient: Mapped[OfferRecipient] = relationship(back_populates="accepted_items")
    line: Mapped[OfferLine | None] = relationship()
    service_line: Mapped[OfferServiceLine | None] = relationship()
