"""Writing a run's notices and items inside the database, set-based.

The due set (``dunning_selection.due_statement``) is selected once; an ``INSERT … SELECT …
GROUP BY`` makes a notice per customer and stage from it (skipped on a hold, left out while
a hold keeps it or below the stage's minimum amount), and the receivables are copied into
the notices' items. On PostgreSQL that is one statement, the due set and the inserted
notices being CTEs; SQLite, which has no INSERT inside WITH, keeps the due set in a
temporary table for the two inserts. No row travels to Python and back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    type_coerce,
)

from backoffice.extensions import db
from backoffice.services.dunning_selection import due_statement, stage_clauses
from models.base import utcnow
from models.payment_reminders import (
    NoticeItem,
    NoticeKind,
    NoticeStatus,
    PaymentNotice,
    PaymentStage,
    ReminderRun,
    SelectionMode,
)

_META = MetaData()
DUE = Table(
    "tmp_payment_due",
    _META,
    Column("id", Integer),
    Column("schedule_id", Integer),
    Column("stage_id", Integer),
    Column("customer_id", Integer),
    Column("document_number", String(64)),
    Column("issued_at", Date),
    Column("due_date", Date),
    Column("currency", String(3)),
    Column("amount", Numeric(12, 2)),
    Column("paid_amount", Numeric(12, 2)),
    Column("hold", String(8)),
    prefixes=["TEMPORARY"],
)


def write_run(run: ReminderRun, today: dt.date, catch_up: int, mode: SelectionMode) -> None:
    """Write the run's notices and items."""
    stmt = due_statement(today, stage_clauses(today, catch_up), mode)
    if stmt is None:
        return
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        # One statement: the due set once (a CTE), the notices inserted from it and their
        # ids returned straight into the items' insert.
        due = stmt.order_by(None).cte("due")
        notices = _insert_notices(run, due, "postgresql").returning(*_NOTICE_KEY).cte("notices")
        conn.execute(_insert_items(notices, due, today, "postgresql").add_cte(due, notices))
    else:
        # SQLite has no INSERT inside WITH: the due set goes into a temporary table.
        DUE.drop(conn, checkfirst=True)  # a leftover of this connection (SQLite keeps them)
        DUE.create(conn)
        sub = stmt.order_by(None).subquery()
        columns = [c.name for c in DUE.c]
        conn.execute(DUE.insert().from_select(columns, select(*[sub.c[c] for c in columns])))
        conn.execute(_insert_notices(run, DUE, conn.dialect.name))
        this_run = select(*_NOTICE_KEY).where(PaymentNotice.run_id == run.id).subquery()
        conn.execute(_insert_items(this_run, DUE, today, conn.dialect.name))
        DUE.drop(conn)  # on an error the caller's rollback removes it with everything else


_NOTICE_KEY = (
    PaymentNotice.__table__.c.id,
    PaymentNotice.__table__.c.customer_id,
    PaymentNotice.__table__.c.stage_id,
)


def _insert_notices(run: ReminderRun, due, dialect: str):
    outstanding = due.c.amount - due.c.paid_amount
    per_currency = (
        select(
            due.c.customer_id,
            due.c.stage_id,
            due.c.schedule_id,
            due.c.currency,
            func.sum(outstanding).label("total"),
            func.count().label("n"),
            func.max(case((due.c.hold == "skip", 1), else_=0)).label("skip"),
            func.max(case((due.c.hold == "wait", 1), else_=0)).label("wait"),
        )
        .group_by(due.c.customer_id, due.c.stage_id, due.c.schedule_id, due.c.currency)
        .subquery()
    )
    c = per_currency.c
    agg = func.json_object_agg if dialect == "postgresql" else func.json_group_object
    skip, wait = func.max(c.skip), func.max(c.wait)
    stage = PaymentStage.__table__.c
    grouped = (
        select(
            literal(run.id).label("run_id"),
            c.customer_id,
            c.schedule_id,
            c.stage_id,
            case(
                (stage.offset_days <= 0, NoticeKind.REMINDER.value), else_=NoticeKind.NOTICE.value
            ),
            stage.offset_days,
            stage.name,
            case((skip == 1, NoticeStatus.SKIPPED.value), else_=NoticeStatus.PLANNED.value),
            case((skip == 1, "hold"), else_=None),
            type_coerce(agg(c.currency, cast(c.total, String)), JSON),
            func.sum(c.n),
            literal(0),
            literal(utcnow(), type_=PaymentNotice.__table__.c.created_at.type),
        )
        .join_from(per_currency, PaymentStage, PaymentStage.id == c.stage_id)
        .group_by(
            c.customer_id,
            c.schedule_id,
            c.stage_id,
            stage.offset_days,
            stage.name,
            stage.min_amount,
        )  # fmt: skip
        .having((skip == 1) | and_(wait == 0, func.sum(c.total) >= stage.min_amount))
    )
    columns = ["run_id", "customer_id", "schedule_id", "stage_id", "kind", "stage_offset",
               "stage_name", "status", "reason", "totals", "receivable_count", "message_count",
               "created_at"]  # fmt: skip
    return PaymentNotice.__table__.insert().from_select(columns, grouped)


def _insert_items(notices, due, today: dt.date, dialect: str):
    """Copy the due receivables into ``notices`` (id, customer_id, stage_id of this run's)."""
    if dialect == "postgresql":
        late = literal(today) - due.c.due_date
    else:
        late = cast(func.julianday(literal(today)) - func.julianday(due.c.due_date), Integer)
    rows = (
        select(
            notices.c.id,
            due.c.id,
            due.c.stage_id,
            due.c.document_number,
            due.c.issued_at,
            due.c.due_date,
            due.c.currency,
            due.c.amount,
            due.c.paid_amount,
            due.c.amount - due.c.paid_amount,
            case((due.c.due_date < today, late), else_=0),
        )
        .join_from(
            due,
            notices,
            and_(notices.c.customer_id == due.c.customer_id, notices.c.stage_id == due.c.stage_id),
        )
        .order_by(due.c.id)  # the receivables' key checks then walk their index in order
    )
    columns = ["notice_id", "receivable_id", "stage_id", "document_number", "issued_at",
               "due_date", "currency", "amount", "paid", "outstanding", "days_overdue"]  # fmt: skip
    return NoticeItem.__table__.insert().from_select(columns, rows)
