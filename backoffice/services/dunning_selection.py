"""Which receivables reach which stage today: one set-based query, grouped per customer.

Every open receivable is evaluated against its customer's schedule (the customer's own,
else its group's, else the default one — only active ones count). For each stage the
calendar gives the range of due dates that reach it today (``dunning_calendar.due_range``);
one ``CASE`` over those ranges names the stage of each row, and a receivable whose
(receivable, stage) pair is already in the register is left out. Excluded customers (or,
in "only chosen" mode, customers not chosen) never appear; rows on hold are flagged.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, case, exists, false, func, literal, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from backoffice.extensions import db
from backoffice.services.dunning_calendar import DAY, due_range, warsaw_today
from models.customers import Customer
from models.payment_reminders import (
    NoticeItem,
    PaymentReminderSettings,
    PaymentSchedule,
    ReminderHold,
    ReminderSelection,
    SelectionKind,
    SelectionMode,
)
from models.receivables import Receivable


@dataclass(frozen=True)
class StageClause:
    """Receivables of ``schedule_id`` due in [first, last] reach ``stage_id`` today."""

    schedule_id: int
    stage_id: int
    first: dt.date
    last: dt.date
    #: Only for this customer (the wider window after a hold that keeps missed stages).
    customer_id: int | None = None
    receivable_id: int | None = None


@dataclass(frozen=True)
class DueRow:
    """One receivable that reached a stage today."""

    receivable_id: int
    customer_id: int
    schedule_id: int
    stage_id: int
    document_number: str
    issued_at: dt.date | None
    due_date: dt.date
    currency: str
    amount: Decimal
    paid: Decimal
    #: "skip": on a hold that drops missed stages; "wait": on a hold that keeps them.
    hold: str | None = None

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid


@dataclass
class DueGroup:
    """All of one customer's receivables at one stage: one notice."""

    customer_id: int
    stage_id: int
    schedule_id: int
    rows: list[DueRow] = field(default_factory=list)

    @property
    def hold(self) -> str | None:
        holds = {r.hold for r in self.rows}
        return "skip" if "skip" in holds else ("wait" if "wait" in holds else None)

    def totals(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for row in self.rows:
            out[row.currency] += row.outstanding
        return dict(out)


def settings_row(lock: bool = False) -> PaymentReminderSettings:
    """The settings row, created with defaults when missing (flushed, not committed)."""
    query = select(PaymentReminderSettings).order_by(PaymentReminderSettings.id).limit(1)
    row = db.session.scalar(query.with_for_update() if lock else query)
    if row is None:
        try:
            with db.session.begin_nested():
                row = PaymentReminderSettings(id=1)
                db.session.add(row)
        except IntegrityError:  # created concurrently: use that row
            row = db.session.scalar(query.with_for_update() if lock else query)
    return row


def stage_clauses(today: dt.date, catch_up: int) -> list[StageClause]:
    """The due-date ranges of every active stage of every active schedule for ``today``."""
    clauses = _held_back_clauses(today, catch_up)
    for schedule in _active_schedules():
        clauses.extend(_schedule_clauses(schedule, today, catch_up))
    return clauses


def _active_schedules() -> list[PaymentSchedule]:
    return list(
        db.session.scalars(
            select(PaymentSchedule).where(PaymentSchedule.active.is_(True)).order_by("id")
        )
    )


def _schedule_clauses(
    schedule: PaymentSchedule, today: dt.date, catch_up: int, **only
) -> list[StageClause]:
    stages = [s for s in schedule.stages if s.active]
    out = []
    for stage, following in zip(stages, [*stages[1:], None], strict=True):
        found = due_range(
            today,
            stage.offset_days,
            following.offset_days if following else None,
            shift=schedule.shift_off_days,
            catch_up=catch_up,
        )
        if found:
            out.append(StageClause(schedule.id, stage.id, found[0], found[1], **only))
    return out


def _held_back_clauses(today: dt.date, catch_up: int) -> list[StageClause]:
    """Holds that keep missed stages and ended lately: their stages get a window back to
    the hold's start (placed first: the CASE takes the first match)."""
    candidates = db.session.scalars(
        select(ReminderHold).where(
            ReminderHold.send_missed.is_(True),
            ReminderHold.starts_on < today,
            ReminderHold.ends_on >= today - (catch_up + 1) * DAY,
        )
    ).all()
    schedules = {s.id: s for s in _active_schedules()}
    out: list[StageClause] = []
    for hold in candidates:
        end = hold_end(hold)
        schedule = schedules.get(schedule_of(hold.customer_id) or -1)
        if schedule is None or not today - (catch_up + 1) * DAY <= end < today:
            continue
        window = (today - hold.starts_on).days + catch_up
        only = {"customer_id": hold.customer_id, "receivable_id": hold.receivable_id}
        out.extend(_schedule_clauses(schedule, today, window, **only))
    return out


def hold_end(hold: ReminderHold) -> dt.date:
    """The last day a hold was in force (the day before its release, if released early)."""
    if hold.released_at is None:
        return hold.ends_on
    return min(hold.ends_on, warsaw_today(hold.released_at) - DAY)


def schedule_of(customer_id: int) -> int | None:
    """The id of the schedule that applies to a customer (None: no active schedule)."""
    row = db.session.execute(
        _resolved(select(Customer.id)).where(Customer.id == customer_id)
    ).first()
    return row.schedule_id if row else None


def _resolved(stmt):
    """Add the customer's schedule id (own, group's, default) as ``schedule_id``."""
    own, group, default = (aliased(PaymentSchedule) for _ in range(3))
    return (
        stmt.add_columns(func.coalesce(own.id, group.id, default.id).label("schedule_id"))
        .outerjoin(own, and_(own.customer_id == Customer.id, own.active.is_(True)))
        .outerjoin(
            group, and_(group.customer_group_id == Customer.group_id, group.active.is_(True))
        )
        .outerjoin(default, and_(default.is_default.is_(True), default.active.is_(True)))
    )


def _taking_part(mode: SelectionMode):
    """Customers that may get messages in the current selection mode."""
    chosen = exists().where(
        ReminderSelection.customer_id == Receivable.customer_id,
        ReminderSelection.kind
        == (SelectionKind.CHOSEN if mode == SelectionMode.CHOSEN else SelectionKind.EXCLUDED),
    )
    return chosen if mode == SelectionMode.CHOSEN else ~chosen


def _hold_flag(today: dt.date, send_missed: bool):
    return exists().where(
        ReminderHold.customer_id == Receivable.customer_id,
        or_(ReminderHold.receivable_id.is_(None), ReminderHold.receivable_id == Receivable.id),
        ReminderHold.released_at.is_(None),
        ReminderHold.starts_on <= today,
        ReminderHold.ends_on >= today,
        ReminderHold.send_missed.is_(true() if send_missed else false()),
    )


def due_statement(today: dt.date, clauses: list[StageClause], mode: SelectionMode):
    """The SELECT of today's due set (ordered by customer, stage, due date)."""
    if not clauses:
        return None
    R = Receivable  # noqa: N806 - short alias in a long expression
    base = _resolved(select(R.id).join(Customer, Customer.id == R.customer_id))
    schedule = base.selected_columns.schedule_id
    stage = case(*[(_clause_condition(c, schedule), literal(c.stage_id)) for c in clauses])
    inner = (
        base.add_columns(
            stage.label("stage_id"),
            R.customer_id,
            R.document_number,
            R.issued_at,
            R.due_date,
            R.currency,
            R.amount,
            R.paid_amount,
            case((_hold_flag(today, False), "skip"), (_hold_flag(today, True), "wait")).label(
                "hold"
            ),
        )
        .where(R.is_open == true(), R.amount > R.paid_amount, _taking_part(mode))
        .where(or_(*[R.due_date.between(a, b) for a, b in _merged(clauses)]))
        .subquery()
    )
    sent = exists().where(
        NoticeItem.receivable_id == inner.c.id, NoticeItem.stage_id == inner.c.stage_id
    )
    return (
        select(inner)
        .where(inner.c.stage_id.is_not(None), ~sent)
        .order_by(inner.c.customer_id, inner.c.stage_id, inner.c.due_date, inner.c.id)
    )


def _clause_condition(c: StageClause, schedule):
    R = Receivable  # noqa: N806
    parts = [schedule == c.schedule_id, R.due_date.between(c.first, c.last)]
    if c.customer_id is not None:
        parts.append(R.customer_id == c.customer_id)
    if c.receivable_id is not None:
        parts.append(R.id == c.receivable_id)
    return and_(*parts)


def _merged(clauses: list[StageClause]) -> list[tuple[dt.date, dt.date]]:
    """The clauses' due-date ranges merged (an index range scan each)."""
    spans = sorted((c.first, c.last) for c in clauses)
    out = [list(spans[0])]
    for first, last in spans[1:]:
        if first <= out[-1][1] + DAY:
            out[-1][1] = max(out[-1][1], last)
        else:
            out.append([first, last])
    return [(a, b) for a, b in out]


def due_groups(today: dt.date, catch_up: int, mode: SelectionMode) -> list[DueGroup]:
    """Today's due set grouped per (customer, stage), in customer order."""
    stmt = due_statement(today, stage_clauses(today, catch_up), mode)
    if stmt is None:
        return []
    groups: list[DueGroup] = []
    for r in db.session.execute(stmt):
        row = DueRow(
            r.id, r.customer_id, r.schedule_id, r.stage_id, r.document_number, r.issued_at,
            r.due_date, r.currency, r.amount, r.paid_amount, r.hold,
        )  # fmt: skip
        last = groups[-1] if groups else None
        if last is None or (last.customer_id, last.stage_id) != (row.customer_id, row.stage_id):
            last = DueGroup(row.customer_id, row.stage_id, row.schedule_id)
            groups.append(last)
        last.rows.append(row)
    return groups
