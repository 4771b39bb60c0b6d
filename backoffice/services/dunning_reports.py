"""What the console shows about payment monitoring: the dry run, receivables ageing and a
customer's dunning history. Read-only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from backoffice.extensions import db
from backoffice.services import messaging
from backoffice.services.dunning_calendar import stage_date, warsaw_today
from backoffice.services.dunning_selection import DueGroup, due_groups, settings_row
from models.customers import Customer
from models.messaging import Message
from models.payment_reminders import (
    PaymentNotice,
    PaymentSchedule,
    PaymentStage,
    ReminderHold,
)
from models.receivables import Receivable

#: Ageing buckets: (key, first day overdue, last day overdue or None).
BUCKETS = (("b1", 1, 30), ("b2", 31, 60), ("b3", 61, 90), ("b4", 91, None))
ZERO = Decimal("0.00")


@dataclass
class PreviewEntry:
    """One notice the next run would write, to whom and why (or why not)."""

    customer: Customer
    stage: PaymentStage
    schedule: PaymentSchedule
    group: DueGroup
    #: "send", "hold" (skipped for good), "wait" (hold keeps it), "minimum", "no_address".
    outcome: str
    addresses: list[str] = field(default_factory=list)

    def stage_day(self, due: dt.date) -> dt.date:
        return stage_date(due, self.stage.offset_days, self.schedule.shift_off_days)


def preview_run(today: dt.date | None = None, limit: int = 500) -> tuple[list[PreviewEntry], int]:
    """What a run on ``today`` would write (first ``limit`` entries) and how many in all."""
    settings = settings_row()
    today = today or warsaw_today()
    groups = due_groups(today, settings.catch_up_days, settings.mode)
    customers = {
        c.id: c
        for c in db.session.scalars(
            select(Customer)
            .where(Customer.id.in_({g.customer_id for g in groups[:limit]}))
            .options(selectinload(Customer.contacts))
        )
    }
    entries = []
    for group in groups[:limit]:
        stage = db.session.get(PaymentStage, group.stage_id)
        customer = customers[group.customer_id]
        entry = PreviewEntry(customer, stage, stage.schedule, group, _outcome(group, stage))
        entry.addresses = _addresses(customer, stage)
        if entry.outcome == "send" and not entry.addresses:
            entry.outcome = "no_address"
        entries.append(entry)
    return entries, len(groups)


def _outcome(group: DueGroup, stage: PaymentStage) -> str:
    if group.hold == "skip":
        return "hold"
    if group.hold == "wait":
        return "wait"
    if sum(group.totals().values()) < stage.min_amount:
        return "minimum"
    return "send"


def _addresses(customer: Customer, stage: PaymentStage) -> list[str]:
    out = []
    for recipient in messaging.default_recipients(customer, "payment_reminders"):
        if stage.send_email and recipient.email:
            out.append(recipient.email)
        if stage.send_sms and recipient.phone:
            out.append(recipient.phone)
    return list(dict.fromkeys(out))


# --- ageing ------------------------------------------------------------------------------------


def _bucket_columns(today: dt.date):
    outstanding = Receivable.amount - Receivable.paid_amount
    cols = [func.sum(case((Receivable.due_date >= today, outstanding), else_=0)).label("not_due")]
    for key, first, last in BUCKETS:
        newest = today - dt.timedelta(days=first)
        cond = Receivable.due_date <= newest
        if last is not None:
            cond = cond & (Receivable.due_date >= today - dt.timedelta(days=last))
        cols.append(func.sum(case((cond, outstanding), else_=0)).label(key))
    cols.append(func.sum(outstanding).label("total"))
    return cols


def _open():
    return [Receivable.is_open.is_(True), Receivable.amount > Receivable.paid_amount]


def ageing(
    search: str | None = None, page: int = 0, per_page: int = 50, today: dt.date | None = None
) -> tuple[list[dict], int]:
    """Outstanding amounts per customer and currency in the ageing buckets, most overdue
    first; (one page of rows, how many rows in all)."""
    today = today or warsaw_today()
    cols = _bucket_columns(today)
    overdue = func.sum(
        case((Receivable.due_date < today, Receivable.amount - Receivable.paid_amount), else_=0)
    )
    stmt = (
        select(Customer.id, Customer.name, Customer.nip, Receivable.currency, *cols)
        .join(Customer, Customer.id == Receivable.customer_id)
        .where(*_open())
        .group_by(Customer.id, Customer.name, Customer.nip, Receivable.currency)
    )
    if search:
        term = f"%{search.strip()}%"
        stmt = stmt.where(or_(Customer.name.ilike(term), Customer.nip.ilike(term)))
    count = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(
        stmt.order_by(overdue.desc(), Customer.name).limit(per_page).offset(page * per_page)
    ).mappings()
    return [_money_row(r) for r in rows], count or 0


def ageing_totals(customer_id: int | None = None, today: dt.date | None = None) -> list[dict]:
    """The buckets summed per currency (all customers, or one)."""
    today = today or warsaw_today()
    stmt = select(Receivable.currency, *_bucket_columns(today)).where(*_open())
    if customer_id is not None:
        stmt = stmt.where(Receivable.customer_id == customer_id)
    stmt = stmt.group_by(Receivable.currency).order_by(Receivable.currency)
    return [_money_row(r) for r in db.session.execute(stmt).mappings()]


def _money_row(row) -> dict:
    out = dict(row)
    for key in ("not_due", "b1", "b2", "b3", "b4", "total"):
        out[key] = Decimal(str(out[key] or 0)).quantize(Decimal("0.01"))
    return out


# --- a customer's history ------------------------------------------------------------------------


def customer_history(customer_id: int, limit: int = 200) -> list[PaymentNotice]:
    """The customer's notices, newest first, with their items."""
    return list(
        db.session.scalars(
            select(PaymentNotice)
            .where(PaymentNotice.customer_id == customer_id)
            .options(selectinload(PaymentNotice.items))
            .order_by(PaymentNotice.id.desc())
            .limit(limit)
        )
    )


def notice_messages(notice_ids: list[int]) -> dict[int, list[Message]]:
    """The message-register rows of notices (their delivery status), per notice id."""
    out: dict[int, list[Message]] = {i: [] for i in notice_ids}
    if not notice_ids:
        return out
    rows = db.session.scalars(
        select(Message)
        .where(
            Message.related_type == "PaymentNotice",
            Message.related_id.in_([str(i) for i in notice_ids]),
        )
        .order_by(Message.id)
    )
    for message in rows:
        out[int(message.related_id)].append(message)
    return out


def customer_holds(customer_id: int) -> list[ReminderHold]:
    """The customer's holds, newest first."""
    return list(
        db.session.scalars(
            select(ReminderHold)
            .where(ReminderHold.customer_id == customer_id)
            .order_by(ReminderHold.starts_on.desc(), ReminderHold.id.desc())
        )
    )
