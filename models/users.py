"""Staff users with roles, and portal users of customers and suppliers."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin, str_enum

if TYPE_CHECKING:
    from models.customers import Customer
    from models.suppliers import Supplier


def login_id(kind: str, user_id: int, password_hash: str) -> str:
    """The id Flask-Login keeps in the session and the remember cookie: "staff:7:<print>".

    The print is taken from the password hash, so a new password ends every session and
    remember cookie made with the old one (the session of the change itself is renewed).
    """
    fingerprint = hashlib.sha256(password_hash.encode()).hexdigest()[:16]
    return f"{kind}:{user_id}:{fingerprint}"


class Role(enum.StrEnum):
    """Staff roles; a user may hold several."""

    ADMIN = "admin"
    SALES = "sales"
    RMA = "rma"
    SERVICE = "service"
    MARKETING = "marketing"
    FINANCE = "finance"
    PURCHASING = "purchasing"
    LOGISTICS = "logistics"


class User(TimestampMixin, Base):
    """A member of staff who logs in to the console."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    #: UI language chosen by the user ("pl" or "en").
    locale: Mapped[str] = mapped_column(String(5), default="pl")
    phone: Mapped[str | None] = mapped_column(String(32))
    last_login_at: Mapped[dt.datetime | None]

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    kind = "staff"

    @property
    def roles(self) -> set[str]:
        return {r.role.value for r in self.role_rows}

    @roles.setter
    def roles(self, values) -> None:
        wanted = {Role(v) for v in values}
        self.role_rows = [r for r in self.role_rows if r.role in wanted]
        have = {r.role for r in self.role_rows}
        self.role_rows.extend(UserRole(role=r) for r in sorted(wanted - have))

    def has_role(self, *roles: str) -> bool:
        """True when the user holds any of the roles (admins hold every role)."""
        mine = self.roles
        return Role.ADMIN in mine or bool(mine & {str(r) for r in roles})

    # Flask-Login protocol, kept here so models need no Flask import.
    @property
    def is_active(self) -> bool:
        return self.active

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return login_id("staff", self.id, self.password_hash)

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class UserRole(Base):
    """One role held by one staff user."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class PortalUser(TimestampMixin, Base):
    """An employee of a customer or a supplier who logs in to the portal."""

    __tablename__ = "portal_users"
    __table_args__ = (
        CheckConstraint("(customer_id IS NULL) <> (supplier_id IS NULL)", name="one_company"),
        UniqueConstraint("email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(5), default="pl")
    last_login_at: Mapped[dt.datetime | None]
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), index=True)
    #: May manage the company's other portal users and profile.
    is_company_admin: Mapped[bool] = mapped_column(default=False)
    can_file_returns: Mapped[bool] = mapped_column(default=False)
    can_accept_offers: Mapped[bool] = mapped_column(default=True)
    can_file_service_tickets: Mapped[bool] = mapped_column(default=True)
    can_redeem_points: Mapped[bool] = mapped_column(default=True)

    customer: Mapped[Customer | None] = relationship()
    supplier: Mapped[Supplier | None] = relationship()

    kind = "portal"

    @property
    def is_active(self) -> bool:
        return self.active

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return login_id("portal", self.id, self.password_hash)

    @property
    def company(self):
        return self.customer or self.supplier

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"
