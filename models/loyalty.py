"""The loyalty programme: its settings and earning rules, the points ledger, rewards and
their redemptions.

Points are never a counter: every earn, spend, expiry, reversal and adjustment is a row of
``points_entries`` and the balance is their sum. Positive confirmed rows are also *lots*
whose ``remaining`` points are consumed oldest-first by spending and expiry
(``points_allocations`` says which lot paid for which debit).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, Money, TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from models.customers import Customer, CustomerGroup
    from models.discount_codes import DiscountCode
    from models.orders import Order
    from models.products import Product, ProductGroup


class EarnTrigger(enum.StrEnum):
    """The order event that confirms pending points."""

    PAID = "paid"
    DELIVERED = "delivered"


class LoyaltyProgramme(TimestampMixin, Base):
    """The programme's settings; a single row (id 1)."""

    __tablename__ = "loyalty_programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    active: Mapped[bool] = mapped_column(default=True)
    earn_on: Mapped[EarnTrigger] = mapped_column(
        str_enum(EarnTrigger, "loyalty_earn_trigger"), default=EarnTrigger.PAID
    )
    #: Show points as pending when an order is placed (confirmed by ``earn_on``).
    pending_on_placed: Mapped[bool] = mapped_column(default=True)
    #: Points expire this many months after they were confirmed (NULL: never).
    expiry_months: Mapped[int | None]


class RuleKind(enum.StrEnum):
    QUANTITY = "quantity"  # points per unit of a product or product group
    VALUE = "value"  # points per X PLN of the order's net value
    MULTIPLIER = "multiplier"  # customer group multiplier


class PointsRule(TimestampMixin, Base):
    """One earning rule, valid between two dates (inclusive, Warsaw time)."""

    __tablename__ = "points_rules"
    __table_args__ = (
        CheckConstraint(
            "kind <> 'quantity' OR (points > 0 AND "
            "(product_id IS NOT NULL OR product_group_id IS NOT NULL))",
            name="quantity_rule",
        ),
        CheckConstraint("kind <> 'value' OR (points > 0 AND per_amount > 0)", name="value_rule"),
        CheckConstraint(
            "kind <> 'multiplier' OR (multiplier > 0 AND customer_group_id IS NOT NULL)",
            name="multiplier_rule",
        ),
        CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to",
            name="date_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[RuleKind] = mapped_column(str_enum(RuleKind, "points_rule_kind"))
    active: Mapped[bool] = mapped_column(default=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    #: The group and all its subgroups.
    product_group_id: Mapped[int | None] = mapped_column(ForeignKey("product_groups.id"))
    #: Multiplier: the group it applies to; other rules: only this group (NULL: everyone).
    customer_group_id: Mapped[int | None] = mapped_column(ForeignKey("customer_groups.id"))
    #: Points per unit (quantity) or per step of ``per_amount`` PLN (value).
    points: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    per_amount: Mapped[Decimal | None] = mapped_column(Money)
    multiplier: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]

    product: Mapped[Product | None] = relationship()
    product_group: Mapped[ProductGroup | None] = relationship()
    customer_group: Mapped[CustomerGroup | None] = relationship()

    def __str__(self) -> str:
        return self.name

    def valid_on(self, day: dt.date) -> bool:
        return (
            self.active
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_to is None or day <= self.valid_to)
        )


class PointsAccount(Base):
    """A customer's account; its row is locked (FOR UPDATE) around every ledger change."""

    __tablename__ = "points_accounts"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship()


class EntryKind(enum.StrEnum):
    EARN = "earn"
    SPEND = "spend"
    EXPIRY = "expiry"
    REVERSAL = "reversal"
    ADJUSTMENT = "adjustment"


class EntryStatus(enum.StrEnum):
    PENDING = "pending"  # earned on a placed order, not yet paid/delivered
    CONFIRMED = "confirmed"  # counts in the balance
    VOID = "void"  # a pending earn whose order was cancelled


class PointsEntry(Base):
    """One row of the points ledger (signed points)."""

    __tablename__ = "points_entries"
    __table_args__ = (
        CheckConstraint("points <> 0", name="points_not_zero"),
        CheckConstraint("remaining >= 0", name="remaining_not_negative"),
        CheckConstraint("remaining = 0 OR points > 0", name="remaining_only_on_credit"),
        Index("ix_points_entries_customer", "customer_id", "id"),
        Index(
            "ix_points_entries_lots",
            "customer_id",
            "expires_at",
            postgresql_where=text("remaining > 0"),
            sqlite_where=text("remaining > 0"),
        ),
        Index(
            "uq_points_entries_earn_order",
            "order_id",
            unique=True,
            postgresql_where=text("kind = 'earn'"),
            sqlite_where=text("kind = 'earn'"),
        ),
        Index(
            "uq_points_entries_reverses",
            "reverses_id",
            unique=True,
            postgresql_where=text("reverses_id IS NOT NULL"),
            sqlite_where=text("reverses_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, "points_entry_kind"))
    status: Mapped[EntryStatus] = mapped_column(
        str_enum(EntryStatus, "points_entry_status"), default=EntryStatus.CONFIRMED
    )
    points: Mapped[int]
    #: Lot bookkeeping: points of this credit not yet spent or expired.
    remaining: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    confirmed_at: Mapped[dt.datetime | None]
    #: When this credit or spend was undone (cancelled order, cancelled redemption).
    reversed_at: Mapped[dt.datetime | None]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    redemption_id: Mapped[int | None] = mapped_column(
        ForeignKey("reward_redemptions.id"), index=True
    )
    #: The entry this one undoes (a cancelled order's earn, a cancelled redemption's spend).
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"))
    #: Reason given by staff, or what the entry is about.
    note: Mapped[str | None] = mapped_column(Text)
    #: How earned points were computed (rules, lines, multiplier).
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actor_label: Mapped[str | None] = mapped_column(String(300))

    customer: Mapped[Customer] = relationship()
    order: Mapped[Order | None] = relationship()

    def __str__(self) -> str:
        return f"{self.kind.value} {self.points:+d}"


class PointsAllocation(Base):
    """Which lot paid how many points of a debit (spend, expiry, reversal, adjustment)."""

    __tablename__ = "points_allocations"
    __table_args__ = (CheckConstraint("points > 0", name="points_positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    debit_id: Mapped[int] = mapped_column(ForeignKey("points_entries.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("points_entries.id"), index=True)
    points: Mapped[int]


class RewardKind(enum.StrEnum):
    ITEM = "item"  # an article outside the shop's offer, with its own stock
    PRODUCT = "product"  # a chosen catalogue product
    DISCOUNT = "discount"  # a value discount, issued as a discount code


class Reward(TimestampMixin, Base):
    """An entry of the rewards catalogue."""

    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint("points_price > 0", name="points_price_positive"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint("kind <> 'item' OR stock IS NOT NULL", name="item_has_stock"),
        CheckConstraint("kind <> 'product' OR product_id IS NOT NULL", name="product_set"),
        CheckConstraint("kind <> 'discount' OR discount_value > 0", name="discount_value_positive"),
        CheckConstraint(
            "available_from IS NULL OR available_to IS NULL OR available_from <= available_to",
            name="availability_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[RewardKind] = mapped_column(str_enum(RewardKind, "reward_kind"))
    points_price: Mapped[int]
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    #: Pieces left (NULL: not counted); never negative.
    stock: Mapped[int | None]
    discount_value: Mapped[Decimal | None] = mapped_column(Money)
    #: Days the issued discount code stays valid.
    code_valid_days: Mapped[int] = mapped_column(default=90)
    available_from: Mapped[dt.date | None]
    available_to: Mapped[dt.date | None]
    active: Mapped[bool] = mapped_column(default=True)
    #: Inside STORAGE_DIR.
    image_path: Mapped[str | None] = mapped_column(String(500))
    image_type: Mapped[str | None] = mapped_column(String(40))

    product: Mapped[Product | None] = relationship()

    def __str__(self) -> str:
        return self.name

    def available_on(self, day: dt.date) -> bool:
        """Active, within its dates and (if counted) in stock."""
        return (
            self.active
            and (self.available_from is None or self.available_from <= day)
            and (self.available_to is None or day <= self.available_to)
            and (self.stock is None or self.stock > 0)
        )


class RedemptionStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    SHIPPED = "shipped"
    ISSUED = "issued"
    CANCELLED = "cancelled"


#: Allowed workflow steps: requested → approved → shipped (goods) | issued (code); or cancel.
REDEMPTION_TRANSITIONS: dict[RedemptionStatus, frozenset[RedemptionStatus]] = {
    RedemptionStatus.REQUESTED: frozenset({RedemptionStatus.APPROVED, RedemptionStatus.CANCELLED}),
    RedemptionStatus.APPROVED: frozenset(
        {RedemptionStatus.SHIPPED, RedemptionStatus.ISSUED, RedemptionStatus.CANCELLED}
    ),
    RedemptionStatus.SHIPPED: frozenset(),
    RedemptionStatus.ISSUED: frozenset(),
    RedemptionStatus.CANCELLED: frozenset(),
}


class RewardRedemption(TimestampMixin, Base):
    """A customer exchanging points for a reward; the points are taken at the request."""

    __tablename__ = "reward_redemptions"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("points > 0", name="points_positive"),
        Index("ix_reward_redemptions_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=1)
    points: Mapped[int]
    status: Mapped[RedemptionStatus] = mapped_column(
        str_enum(RedemptionStatus, "redemption_status"), default=RedemptionStatus.REQUESTED
    )
    #: portal, console or api.
    requested_via: Mapped[str] = mapped_column(String(16), default="console")
    requested_by: Mapped[str | None] = mapped_column(String(300))
    portal_user_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id"))
    shipping_address: Mapped[str | None] = mapped_column(Text)
    customer_note: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[dt.datetime | None]
    shipped_at: Mapped[dt.datetime | None]
    issued_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    waybill: Mapped[str | None] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(64))
    discount_code_id: Mapped[int | None] = mapped_column(ForeignKey("discount_codes.id"))

    customer: Mapped[Customer] = relationship()
    reward: Mapped[Reward] = relationship()
    discount_code: Mapped[DiscountCode | None] = relationship()

    @property
    def number(self) -> str:
        return f"NG/{self.id:06d}"

    def __str__(self) -> str:
        return self.number

    def can_become(self, status: RedemptionStatus) -> bool:
        return status in REDEMPTION_TRANSITIONS[self.status]
