"""Customers (kontrahenci), their groups, addresses and contacts."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin, str_enum

if TYPE_CHECKING:
    from models.users import User


class CustomerGroup(TimestampMixin, Base):
    """A group of customers (e.g. wholesale, retail, VIP) used by rules and templates."""

    __tablename__ = "customer_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    description: Mapped[str | None] = mapped_column(Text)

    def __str__(self) -> str:
        return self.name


class Customer(TimestampMixin, Base):
    """A business customer (kontrahent)."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The ERP's / shop's id of this customer.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    #: Polish tax id, 10 digits without dashes.
    nip: Mapped[str | None] = mapped_column(String(10), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("customer_groups.id"), index=True)
    account_manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="pl")
    #: Months back a delivery note may be returned; NULL means the global default.
    return_window_months: Mapped[int | None]
    #: Partner's logo printed on offers (path inside STORAGE_DIR).
    logo_path: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)

    group: Mapped[CustomerGroup | None] = relationship()
    account_manager: Mapped[User | None] = relationship()
    addresses: Mapped[list[Address]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Address.id"
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Contact.id"
    )

    def __str__(self) -> str:
        return self.name

    def address(self, kind: str) -> Address | None:
        """The default address of a kind, else the first one of it."""
        found = [a for a in self.addresses if a.kind.value == kind]
        return next((a for a in found if a.is_default), found[0] if found else None)


class AddressKind(enum.StrEnum):
    BILLING = "billing"
    SHIPPING = "shipping"


class Address(Base):
    """A postal address of a customer (billing or shipping; several allowed)."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AddressKind] = mapped_column(
        str_enum(AddressKind, "address_kind"), default=AddressKind.BILLING
    )
    name: Mapped[str | None] = mapped_column(String(300))
    street: Mapped[str] = mapped_column(String(300))
    postal_code: Mapped[str] = mapped_column(String(16))
    city: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2), default="PL")
    region: Mapped[str | None] = mapped_column(String(64))
    is_default: Mapped[bool] = mapped_column(default=False)

    customer: Mapped[Customer] = relationship(back_populates="addresses")

    def __str__(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"


class Contact(Base):
    """A person at a customer, with the notices they receive."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[str | None] = mapped_column(String(120))
    receives_order_notices: Mapped[bool] = mapped_column(default=False)
    receives_return_notices: Mapped[bool] = mapped_column(default=False)
    receives_payment_reminders: Mapped[bool] = mapped_column(default=False)
    receives_offers: Mapped[bool] = mapped_column(default=False)
    may_file_returns: Mapped[bool] = mapped_column(default=False)

    customer: Mapped[Customer] = relationship(back_populates="contacts")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name
