"""Payment monitoring: reminder schedules and their stages, exclusions and holds, daily runs,
and the register of every reminder, dunning notice and thank-you with its receivables."""

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
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, Money, TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from models.customers import Customer, CustomerGroup
    from models.receivables import Receivable


class SelectionMode(enum.StrEnum):
    """Who gets messages: everybody but the excluded, or only the chosen customers."""

    ALL = "all"
    CHOSEN = "chosen"


class SelectionKind(enum.StrEnum):
    EXCLUDED = "excluded"
    CHOSEN = "chosen"


class ThankYouMode(enum.StrEnum):
    NEVER = "never"
    #: Only for receivables that got a reminder or a notice.
    AFTER_DUNNING = "after_dunning"
    ALWAYS = "always"


class NoticeKind(enum.StrEnum):
    REMINDER = "reminder"  # before (or on) the due date
    NOTICE = "notice"  # dunning notice after the due date
    THANK_YOU = "thank_you"


class NoticeStatus(enum.StrEnum):
    PLANNED = "planned"  # written by a run, its messages not yet queued
    QUEUED = "queued"  # messages written to the message register
    SKIPPED = "skipped"  # not sent on purpose (hold, no recipient); never sent later
    FAILED = "failed"


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class PaymentReminderSettings(Base):
    """The module's settings (one row): automatic runs, their Warsaw time, who takes part."""

    __tablename__ = "payment_reminder_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The daily run sends automatically.
    enabled: Mapped[bool] = mapped_column(default=True)
    #: Europe/Warsaw wall-clock time of the daily run.
    run_at: Mapped[dt.time] = mapped_column(default=dt.time(8, 0))
    mode: Mapped[SelectionMode] = mapped_column(
        str_enum(SelectionMode, "reminder_selection_mode"), default=SelectionMode.ALL
    )
    #: A stage missed by at most this many days (no run, server down) is still sent.
    catch_up_days: Mapped[int] = mapped_column(default=3)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(300))


class PaymentSchedule(TimestampMixin, Base):
    """Ordered stages relative to the due date; the default one, a group's or a customer's."""

    __tablename__ = "payment_schedules"
    __table_args__ = (
        Index(
            "uq_payment_schedules_default",
            "is_default",
            unique=True,
            postgresql_where=text("is_default"),
            sqlite_where=text("is_default"),
        ),
        CheckConstraint(
            "(CASE WHEN is_default THEN 1 ELSE 0 END) + "
            "(CASE WHEN customer_group_id IS NULL THEN 0 ELSE 1 END) + "
            "(CASE WHEN customer_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_scope",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    is_default: Mapped[bool] = mapped_column(default=False)
    customer_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_groups.id", ondelete="CASCADE"), unique=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), unique=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    #: A stage date on a Saturday, Sunday or Polish public holiday moves to the next working day.
    shift_off_days: Mapped[bool] = mapped_column(default=False)
    thank_you: Mapped[ThankYouMode] = mapped_column(
        str_enum(ThankYouMode, "thank_you_mode"), default=ThankYouMode.AFTER_DUNNING
    )
    #: Thank also for a payment that leaves part of the receivable open.
    thank_partial: Mapped[bool] = mapped_column(default=False)
    thank_email: Mapped[bool] = mapped_column(default=True)
    thank_sms: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)

    customer_group: Mapped[CustomerGroup | None] = relationship()
    customer: Mapped[Customer | None] = relationship()
    stages: Mapped[list[PaymentStage]] = relationship(
        back_populates="schedule",
        cascade="all, delete-orphan",
        order_by="PaymentStage.offset_days",
    )

    def __str__(self) -> str:
        return self.name


class PaymentStage(Base):
    """One step of a schedule: N days before (negative) or after the due date."""

    __tablename__ = "payment_schedule_stages"
    __table_args__ = (UniqueConstraint("schedule_id", "offset_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("payment_schedules.id", ondelete="CASCADE"), index=True
    )
    #: Days relative to the due date: -7 = a week before, 0 = on the day, 14 = two weeks late.
    offset_days: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    send_email: Mapped[bool] = mapped_column(default=True)
    #: The message event (template) of the e-mail, e.g. "payment.notice_1".
    email_event: Mapped[str] = mapped_column(String(80), default="payment.reminder")
    send_sms: Mapped[bool] = mapped_column(default=False)
    sms_event: Mapped[str] = mapped_column(String(80), default="payment.reminder")
    #: Nothing is sent when the customer's outstanding total at this stage is lower.
    min_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    attach_pdf: Mapped[bool] = mapped_column(default=False)
    attach_xlsx: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    schedule: Mapped[PaymentSchedule] = relationship(back_populates="stages")

    @property
    def kind(self) -> NoticeKind:
        return NoticeKind.REMINDER if self.offset_days <= 0 else NoticeKind.NOTICE

    def __str__(self) -> str:
        return f"{self.name} ({self.offset_days:+d})"


class ReminderSelection(Base):
    """A customer excluded from reminders, or chosen for them ("only chosen" mode)."""

    __tablename__ = "payment_reminder_selections"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[SelectionKind] = mapped_column(str_enum(SelectionKind, "reminder_selection"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(300))

    customer: Mapped[Customer] = relationship()

    def __str__(self) -> str:
        return f"{self.customer} ({self.kind.value})"


class ReminderHold(Base):
    """Reminders stopped for a customer (or one disputed document) until an end date."""

    __tablename__ = "payment_reminder_holds"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    #: Only this document is held; NULL = every receivable of the customer.
    receivable_id: Mapped[int | None] = mapped_column(
        ForeignKey("receivables.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    #: Stages that fell due during the hold are sent after it (else they are skipped for good).
    send_missed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(300))
    released_at: Mapped[dt.datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(300))

    customer: Mapped[Customer] = relationship()
    receivable: Mapped[Receivable | None] = relationship()

    def active_on(self, day: dt.date) -> bool:
        return self.released_at is None and self.starts_on <= day <= self.ends_on

    def __str__(self) -> str:
        return f"{self.customer}: {self.starts_on}–{self.ends_on}"


class ReminderRun(Base):
    """One evaluation of all open receivables (the daily job or a run started by hand)."""

    __tablename__ = "payment_reminder_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The Warsaw calendar day the run evaluated.
    run_date: Mapped[dt.date] = mapped_column(index=True)
    #: "auto:<date>" for the daily run (one per day); NULL for runs started by hand.
    auto_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[RunStatus] = mapped_column(
        str_enum(RunStatus, "reminder_run_status"), default=RunStatus.RUNNING
    )
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    started_by: Mapped[str] = mapped_column(String(300), default="system")
    notices: Mapped[int] = mapped_column(default=0)
    receivables: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)

    def __str__(self) -> str:
        return f"#{self.id} {self.run_date}"


class PaymentNotice(Base):
    """One message (per channel) to one customer: a reminder, a notice or a thank-you."""

    __tablename__ = "payment_notices"
    __table_args__ = (
        Index("ix_payment_notices_status", "status", "id"),
        Index("ix_payment_notices_customer", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("payment_reminder_runs.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    #: The schedule and stage the notice was planned from, as plain ids without foreign
    #: keys, like the name and offset below: the notice is a record of what went out and
    #: outlives changes to the schedule (a deleted stage's notices keep its id, and
    #: ``stage`` is then None). Key checks on these two cost the daily run a tenth of its time.
    schedule_id: Mapped[int | None]
    stage_id: Mapped[int | None]
    kind: Mapped[NoticeKind] = mapped_column(str_enum(NoticeKind, "payment_notice_kind"))
    #: The stage as it was when the notice was made (the schedule may change later).
    stage_offset: Mapped[int | None]
    stage_name: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[NoticeStatus] = mapped_column(
        str_enum(NoticeStatus, "payment_notice_status"), default=NoticeStatus.PLANNED
    )
    #: Why a notice was skipped or failed.
    reason: Mapped[str | None] = mapped_column(Text)
    #: {currency: outstanding total as a string}
    totals: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    receivable_count: Mapped[int] = mapped_column(default=0)
    message_count: Mapped[int] = mapped_column(default=0)
    pdf_path: Mapped[str | None] = mapped_column(String(500))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    xlsx_path: Mapped[str | None] = mapped_column(String(500))
    xlsx_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    delivered_at: Mapped[dt.datetime | None]

    customer: Mapped[Customer] = relationship()
    run: Mapped[ReminderRun | None] = relationship()
    stage: Mapped[PaymentStage | None] = relationship(
        primaryjoin="foreign(PaymentNotice.stage_id) == PaymentStage.id", viewonly=True
    )
    items: Mapped[list[NoticeItem]] = relationship(
        back_populates="notice",
        primaryjoin="PaymentNotice.id == foreign(NoticeItem.notice_id)",
        cascade="all, delete-orphan",
        order_by="NoticeItem.due_date",
    )

    def __str__(self) -> str:
        return f"#{self.id}"


class NoticeItem(Base):
    """One receivable in a notice, with its figures at that moment.

    (receivable, stage) is unique: the last guard against sending a stage twice; a
    thank-you item has a unique ``thanks_key`` instead.

    An append-only record without foreign keys: every figure it shows is copied in, the daily
    run writes the items in the same statement as their notices (from the notices' RETURNING
    and the receivables it has just read), and nothing in the application deletes notices or
    receivables (the register is read-only, the API only upserts receivables). Checking three
    keys per item took 40 % of the daily run over a million receivables; deleting a notice
    through the ORM still deletes its items.
    """

    __tablename__ = "payment_notice_items"
    __table_args__ = (
        #: Also serves lookups by receivable (its leading column).
        UniqueConstraint("receivable_id", "stage_id"),
        Index(
            "uq_payment_notice_items_thanks_key",
            "thanks_key",
            unique=True,
            postgresql_where=text("thanks_key IS NOT NULL"),
            sqlite_where=text("thanks_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notice_id: Mapped[int] = mapped_column(BigId, index=True)
    receivable_id: Mapped[int]
    #: The stage this receivable was sent, as the guard's key (NULL on thank-you items); a
    #: deleted stage's items keep it, so the record that the stage went out stays.
    stage_id: Mapped[int | None]
    #: "full:<receivable id>" or "part:<payment id>" for thank-you items (unique when set).
    thanks_key: Mapped[str | None] = mapped_column(String(80))
    document_number: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.date | None]
    due_date: Mapped[dt.date]
    currency: Mapped[str] = mapped_column(String(3), default="PLN")
    amount: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money)
    outstanding: Mapped[Decimal] = mapped_column(Money)
    days_overdue: Mapped[int] = mapped_column(default=0)

    notice: Mapped[PaymentNotice] = relationship(
        back_populates="items", primaryjoin="foreign(NoticeItem.notice_id) == PaymentNotice.id"
    )
    receivable: Mapped[Receivable] = relationship(
        primaryjoin="foreign(NoticeItem.receivable_id) == Receivable.id", viewonly=True
    )

    def as_row(self) -> dict[str, Any]:
        """The plain values shown in messages and statements."""
        return {
            "document": self.document_number,
            "issued_at": self.issued_at,
            "due_date": self.due_date,
            "currency": self.currency,
            "amount": self.amount,
            "paid": self.paid,
            "outstanding": self.outstanding,
            "days_overdue": self.days_overdue,
        }
