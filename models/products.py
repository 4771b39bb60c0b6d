"""Products (asortyment), the product group tree and packaging units."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Money, Quantity, TimestampMixin

VatRate = Numeric(5, 2)


class ProductGroup(TimestampMixin, Base):
    """A node of the product group tree."""

    __tablename__ = "product_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("product_groups.id"), index=True)

    parent: Mapped[ProductGroup | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[ProductGroup]] = relationship(back_populates="parent")

    @property
    def path(self) -> str:
        """Names from the root down, e.g. "Elektronika / Kable"."""
        names, node, seen = [], self, set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))

    def __str__(self) -> str:
        return self.path


class Product(TimestampMixin, Base):
    """A catalogue product."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    ean: Mapped[str | None] = mapped_column(String(14), index=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(16), default="szt.")
    price_net: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    #: Purchase price, used only for margins shown to staff.
    purchase_price: Mapped[Decimal | None] = mapped_column(Money)
    vat_rate: Mapped[Decimal] = mapped_column(VatRate, default=Decimal("23"))
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    volume_m3: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("product_groups.id"), index=True)
    warranty_months: Mapped[int] = mapped_column(default=24)
    serial_tracked: Mapped[bool] = mapped_column(default=False)
    returnable: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    image_url: Mapped[str | None] = mapped_column(String(500))

    group: Mapped[ProductGroup | None] = relationship()
    packaging: Mapped[list[PackagingUnit]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="PackagingUnit.quantity"
    )

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"


class PackagingUnit(Base):
    """A way the product is packed (sposób pakowania), e.g. a carton of 12."""

    __tablename__ = "packaging_units"
    __table_args__ = (UniqueConstraint("product_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    ean: Mapped[str | None] = mapped_column(String(14))

    product: Mapped[Product] = relationship(back_populates="packaging")

    def __str__(self) -> str:
        return f"{self.name} ({self.quantity.normalize():f})"
