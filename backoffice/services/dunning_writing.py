"""Writing a run's notices and items inside the database, set-based.

The due set (``dunning_selection.due_statement``) goes into a temporary table once; one
``INSERT … SELECT … GROUP BY`` makes a notice per customer and stage (skipped on a hold,
left out while a hold keeps it or below the stage's minimum amount), a second one copies the
receivables into the notices' items. No row travels to Python and back.
"""

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
    text,
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


def write_run(run: ReminderRun, today: dt.date, catch_up: int, mode: SelectionMode) -> int:
    """Write the run's notices and items; returns how many receivables they hold."""
    stmt = due_statement(today, stage_clauses(today, catch_up), mode)
    if stmt is None:
        return 0
    conn = db.session.connection()
    DUE.drop(conn, checkfirst=True)  # a leftover of this connection (SQLite keeps them)
    DUE.create(conn)
    sub = stmt.order_by(None).subquery()
    columns = [c.name for c in DUE.c]
    conn.execute(DUE.insert().from_select(columns, select(*[sub.c[c] for c in columns])))
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {DUE.name}"))  # a temporary table has no statistics
    conn.execute(_insert_notices(run, conn.dialect.name))
    conn.execute(_insert_items(run, today, conn.dialect.name))
    DUE.drop(conn)  # on an error the caller's rollback removes it with everything else
    notices = PaymentNotice.__table__.c
    return conn.execute(
        select(func.coalesce(func.sum(notices.receivable_count), 0)).where(notices.run_id == run.id)
    ).scalar_one()


def _insert_notices(run: ReminderRun, dialect: str):
    outstanding = DUE.c.amount - DUE.c.paid_amount
    per_currency = (
        select(
            DUE.c.customer_id,
            DUE.c.stage_id,
            DUE.c.schedule_id,
            DUE.c.currency,
            func.sum(outstanding).label("total"),
            func.count().label("n"),
            func.max(case((DUE.c.hold == "skip", 1), else_=0)).label("skip"),
            func.max(case((DUE.c.hold == "wait", 1), else_=0)).label("wait"),
        )
        .group_by(DUE.c.customer_id, DUE.c.stage_id, DUE.c.schedule_id, DUE.c.currency)
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


def _insert_items(run: ReminderRun, today: dt.date, dialect: str):
    notice = PaymentNotice.__table__.c
    if dialect == "postgresql":
        late = literal(today) - DUE.c.due_date
    else:
        late = cast(func.julianday(literal(today)) - func.julianday(DUE.c.due_date), Integer)
    rows = select(
        notice.id,
        DUE.c.id,
        DUE.c.stage_id,
        DUE.c.document_number,
        DUE.c.issued_at,
        DUE.c.due_date,
        DUE.c.currency,
        DUE.c.amount,
        DUE.c.paid_amount,
        DUE.c.amount - DUE.c.paid_amount,
        case((DUE.c.due_date < today, late), else_=0),
    ).join_from(
        DUE,
        PaymentNotice,
        and_(
            notice.run_id == run.id,
            notice.customer_id == DUE.c.customer_id,
            notice.stage_id == DUE.c.stage_id,
        ),
    )
    columns = ["notice_id", "receivable_id", "stage_id", "document_number", "issued_at",
               "due_date", "currency", "amount", "paid", "outstanding", "days_overdue"]  # fmt: skip
    return NoticeItem.__table__.insert().from_select(columns, rows)
