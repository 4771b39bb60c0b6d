"""Discount codes: batches, the codes themselves, who they were given to, and every use.

A batch holds the rules (value, limits, validity, restrictions); its codes are generated in
bulk (millions) and kept narrow. The register of a code is its assignments and its uses.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, Money, TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from models.customers import Customer, CustomerGroup
    from models.products import ProductGroup

#: No 0/O, 1/I/L: nothing a customer can misread when typing a printed code.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class DiscountKind(enum.StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"


class BatchStatus(enum.StrEnum):
    GENERATING = "generating"
    READY = "ready"
    FAILED = "failed"


class BatchSource(enum.StrEnum):
    CONSOLE = "console"
    API = "api"
    REWARD = "reward"


class UseStatus(enum.StrEnum):
    ACTIVE = "active"
    RELEASED = "released"


class ExportStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


batch_customer_groups = Table(
    "discount_batch_customer_groups",
    Base.metadata,
    Column(
        "batch_id",
        ForeignKey("discount_code_batches.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("customer_group_id", ForeignKey("customer_groups.id"), primary_key=True),
)

batch_product_groups = Table(
    "discount_batch_product_groups",
    Base.metadata,
    Column(
        "batch_id",
        ForeignKey("discount_code_batches.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("product_group_id", ForeignKey("product_groups.id"), primary_key=True),
)


class DiscountCodeBatch(TimestampMixin, Base):
    """A promotion: how many codes, what they are worth and who may use them when."""

    __tablename__ = "discount_code_batches"
    __table_args__ = (
        CheckConstraint("count >= 1", name="count_positive"),
        CheckConstraint("code_length BETWEEN 4 AND 24", name="code_length_range"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind <> 'percent' OR value <= 100", name="percent_max"),
        CheckConstraint("generated >= 0 AND generated <= count", name="generated_range"),
        CheckConstraint(
            "usage_limit_total IS NULL OR usage_limit_total >= 1", name="usage_limit_total"
        ),
        CheckConstraint(
            "usage_limit_per_customer IS NULL OR usage_limit_per_customer >= 1",
            name="usage_limit_per_customer",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The caller's id (ERP); a repeated POST with the same id returns the same batch.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    source: Mapped[BatchSource] = mapped_column(
        str_enum(BatchSource, "discount_batch_source"), default=BatchSource.CONSOLE
    )
    prefix: Mapped[str] = mapped_column(String(16), default="")
    #: Random characters after the prefix.
    code_length: Mapped[int] = mapped_column(default=10)
    count: Mapped[int]
    kind: Mapped[DiscountKind] = mapped_column(str_enum(DiscountKind, "discount_kind"))
    #: Percent (0–100] or an amount in PLN, per ``kind``.
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    #: Upper limit of the discount in PLN (useful for percentages).
    max_discount: Mapped[Decimal | None] = mapped_column(Money)
    min_order_value: Mapped[Decimal | None] = mapped_column(Money)
    valid_from: Mapped[dt.datetime | None]
    valid_to: Mapped[dt.datetime | None]
    #: Uses of each code, by anyone (NULL: unlimited).
    usage_limit_total: Mapped[int | None]
    #: Uses by one customer across all codes of the batch (NULL: unlimited).
    usage_limit_per_customer: Mapped[int | None]
    first_order_only: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    status: Mapped[BatchStatus] = mapped_column(
        str_enum(BatchStatus, "discount_batch_status"), default=BatchStatus.GENERATING
    )
    #: Codes stored so far (progress of the generating job).
    generated: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    #: Customer ids waiting to get one code each once the codes exist.
    pending_assignees: Mapped[list[int] | None] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(300))

    customer_groups: Mapped[list[CustomerGroup]] = relationship(
        secondary=batch_customer_groups, order_by="CustomerGroup.name"
    )
    product_groups: Mapped[list[ProductGroup]] = relationship(
        secondary=batch_product_groups, order_by="ProductGroup.name"
    )

    def __str__(self) -> str:
        return self.name

    @property
    def progress(self) -> int:
        """Percent of the codes generated so far."""
        return 100 if not self.count else min(100, self.generated * 100 // self.count)

    def is_open(self, now: dt.datetime) -> bool:
        """Active, generated and within its validity window at ``now``."""
        return (
            self.active
            and self.status == BatchStatus.READY
            and (self.valid_from is None or self.valid_from <= now)
            and (self.valid_to is None or now <= self.valid_to)
        )


class DiscountCode(Base):
    """One code. Kept narrow: a batch may hold a million of them."""

    __tablename__ = "discount_codes"
    __table_args__ = (
        CheckConstraint("use_count >= 0", name="use_count_not_negative"),
        Index("ix_discount_codes_batch", "batch_id", "id"),
        Index(
            "ix_discount_codes_free",
            "batch_id",
            "id",
            postgresql_where=text("assigned_at IS NULL"),
            sqlite_where=text("assigned_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("discount_code_batches.id"))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: Active uses (released ones not counted); guarded by a row lock at redemption.
    use_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    #: A personal code: only this customer may use it.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    assigned_at: Mapped[dt.datetime | None]
    blocked: Mapped[bool] = mapped_column(default=False, server_default=text("false"))

    batch: Mapped[DiscountCodeBatch] = relationship()
    customer: Mapped[Customer | None] = relationship()
    uses: Mapped[list[DiscountCodeUse]] = relationship(
        back_populates="code", order_by="DiscountCodeUse.used_at.desc()"
    )
    assignment: Mapped[DiscountCodeAssignment | None] = relationship(
        back_populates="code", uselist=False
    )

    def __str__(self) -> str:
        return self.code


class DiscountCodeAssignment(Base):
    """Who a code was given to: a customer, a newsletter recipient, a reward."""

    __tablename__ = "discount_code_assignments"
    __table_args__ = (UniqueConstraint("batch_id", "recipient_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("discount_code_batches.id"))
    code_id: Mapped[int] = mapped_column(ForeignKey("discount_codes.id"), unique=True)
    #: The caller's key of the recipient (e.g. "customer:12", "newsletter:5:anna@x.pl").
    recipient_key: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    #: manual, group, newsletter, reward, batch.
    source: Mapped[str] = mapped_column(String(16))
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    assigned_by: Mapped[str | None] = mapped_column(String(300))

    code: Mapped[DiscountCode] = relationship(back_populates="assignment")
    customer: Mapped[Customer | None] = relationship()


class DiscountCodeUse(Base):
    """A code applied to an order at checkout; released again if the order is cancelled."""

    __tablename__ = "discount_code_uses"
    __table_args__ = (
        UniqueConstraint("code_id", "order_external_id"),
        Index("ix_discount_code_uses_customer", "batch_id", "customer_external_id"),
        #: One code per order at a time.
        Index(
            "uq_discount_code_uses_active_order",
            "order_external_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
        CheckConstraint("discount >= 0", name="discount_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("discount_codes.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("discount_code_batches.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    #: The shop's customer id (a customer may not be known here yet).
    customer_external_id: Mapped[str] = mapped_column(String(64))
    order_external_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    order_value: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[UseStatus] = mapped_column(
        str_enum(UseStatus, "discount_use_status"), default=UseStatus.ACTIVE
    )
    used_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    released_at: Mapped[dt.datetime | None]
    release_reason: Mapped[str | None] = mapped_column(String(300))

    code: Mapped[DiscountCode] = relationship(back_populates="uses")
    customer: Mapped[Customer | None] = relationship()


class DiscountCodeExport(Base):
    """A batch written to XLSX or CSV by a job; the file is kept under STORAGE_DIR."""

    __tablename__ = "discount_code_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("discount_code_batches.id", ondelete="CASCADE"), index=True
    )
    #: xlsx or csv.
    format: Mapped[str] = mapped_column(String(8))
    status: Mapped[ExportStatus] = mapped_column(
        str_enum(ExportStatus, "discount_export_status"), default=ExportStatus.PENDING
    )
    #: Relative to STORAGE_DIR.
    path: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    rows: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]

    batch: Mapped[DiscountCodeBatch] = relationship()

    @property
    def filename(self) -> str:
        return f"kody-rabatowe-{self.batch_id}-{self.id}.{self.format}"
