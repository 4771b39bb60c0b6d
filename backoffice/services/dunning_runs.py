"""The run: plan today's notices in one transaction, then deliver them one by one.

Planning (``plan_run``) takes the settings row lock (runs never overlap), selects the due
set with one query, groups it per customer and stage, and writes the run, the notices and
their items in bulk — all or nothing. The items' unique (receivable, stage) pair is the last
guard against a stage going out twice. Delivery (``dunning_delivery.deliver_notices``, one
job per ``DELIVERY_CHUNK`` notices) renders each notice's messages and attachments and marks
it queued in the job's transaction, so a crash halfway leaves the notices planned for the
retry and nothing is written twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import Conflict
from backoffice.extensions import db
from backoffice.queue import defer
from backoffice.services.audit import record
from backoffice.services.dunning_calendar import WARSAW, warsaw_today
from backoffice.services.dunning_selection import DueGroup, due_groups, settings_row
from models.base import utcnow
from models.payment_reminders import (
    NoticeItem,
    NoticeStatus,
    PaymentNotice,
    PaymentStage,
    ReminderRun,
    RunStatus,
)

DELIVERY_CHUNK = 50
#: Planned notices older than this get a new delivery job from the daily tick.
STALE_AFTER = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class PlanResult:
    run: ReminderRun | None
    notice_ids: list[int]
    skipped: int


def plan_run(actor: Actor, today: dt.date | None = None, *, automatic: bool = False) -> PlanResult:
    """Write today's notices (status planned) and defer their delivery; no commit.

    The daily run (``automatic``) happens once per Warsaw day: a second call returns a
    result without a run. Raises Conflict when a concurrent run wrote the same stages.
    """
    settings = settings_row(lock=True)
    today = today or warsaw_today()
    key = f"auto:{today.isoformat()}" if automatic else None
    if key and db.session.scalar(select(ReminderRun.id).where(ReminderRun.auto_key == key)):
        return PlanResult(None, [], 0)
    run = ReminderRun(run_date=today, auto_key=key, started_by=actor.label[:300])
    db.session.add(run)
    db.session.flush()
    stages = {s.id: s for s in db.session.scalars(select(PaymentStage))}
    groups = [
        g
        for g in due_groups(today, settings.catch_up_days, settings.mode)
        if _counts(g, stages[g.stage_id])
    ]
    try:
        with db.session.begin_nested():
            ids = _write_notices(run, groups, stages, today)
    except IntegrityError as exc:
        raise Conflict(_("Another run has just sent these stages; nothing was written.")) from exc
    planned = [i for i, g in zip(ids, groups, strict=True) if g.hold is None]
    run.notices = len(planned)
    run.skipped = len(ids) - len(planned)
    run.receivables = sum(len(g.rows) for g in groups)
    for start in range(0, len(planned), DELIVERY_CHUNK):
        chunk = planned[start : start + DELIVERY_CHUNK]
        defer("tasks.payment_reminders.deliver_notices", chunk, description="payment notices")
    if not planned:
        _finish(run)
    record(actor, "payment_run.plan", run, summary=f"{run.run_date}: {run.notices} notices")
    return PlanResult(run, planned, run.skipped)


def _counts(group: DueGroup, stage: PaymentStage) -> bool:
    """Groups on a hold that keeps missed stages wait; the rest need the minimum amount."""
    if group.hold == "wait":
        return False
    return group.hold == "skip" or sum(group.totals().values()) >= stage.min_amount


def _write_notices(run: ReminderRun, groups: list[DueGroup], stages, today: dt.date) -> list[int]:
    """Bulk-insert one notice per group and its items; the notices' ids in group order."""
    if not groups:
        return []
    now = utcnow()
    notices = [_notice_values(run, g, stages[g.stage_id], now) for g in groups]
    ids = list(
        db.session.scalars(
            insert(PaymentNotice).returning(PaymentNotice.id, sort_by_parameter_order=True),
            notices,
        )
    )
    items = [
        _item_values(notice_id, row, today)
        for notice_id, group in zip(ids, groups, strict=True)
        for row in group.rows
    ]
    db.session.execute(insert(NoticeItem), items)
    return ids


def _notice_values(run: ReminderRun, group: DueGroup, stage: PaymentStage, now) -> dict:
    return {
        "run_id": run.id,
        "customer_id": group.customer_id,
        "schedule_id": group.schedule_id,
        "stage_id": stage.id,
        "kind": stage.kind,
        "stage_offset": stage.offset_days,
        "stage_name": stage.name,
        "status": NoticeStatus.SKIPPED if group.hold else NoticeStatus.PLANNED,
        "reason": "hold" if group.hold else None,
        "totals": {c: str(v) for c, v in group.totals().items()},
        "receivable_count": len(group.rows),
        "message_count": 0,
        "created_at": now,
    }


def _item_values(notice_id: int, row, today: dt.date) -> dict:
    return {
        "notice_id": notice_id,
        "receivable_id": row.receivable_id,
        "stage_id": row.stage_id,
        "document_number": row.document_number,
        "issued_at": row.issued_at,
        "due_date": row.due_date,
        "currency": row.currency,
        "amount": row.amount,
        "paid": row.paid,
        "outstanding": row.outstanding,
        "days_overdue": max((today - row.due_date).days, 0),
    }


def finish_runs() -> int:
    """Mark runs done whose notices are all delivered or skipped; returns how many."""
    open_runs = db.session.scalars(
        select(ReminderRun).where(ReminderRun.status == RunStatus.RUNNING)
    ).all()
    done = 0
    for run in open_runs:
        waiting = db.session.scalar(
            select(func.count(PaymentNotice.id)).where(
                PaymentNotice.run_id == run.id, PaymentNotice.status == NoticeStatus.PLANNED
            )
        )
        if not waiting:
            _finish(run)
            done += 1
    return done


def _finish(run: ReminderRun) -> None:
    run.status = RunStatus.DONE
    run.finished_at = utcnow()


def stale_planned_ids(now: dt.datetime | None = None) -> list[int]:
    """Planned notices whose delivery should have happened long ago (a job gave up)."""
    before = (now or utcnow()) - STALE_AFTER
    return list(
        db.session.scalars(
            select(PaymentNotice.id)
            .where(
                PaymentNotice.status == NoticeStatus.PLANNED,
                PaymentNotice.created_at < before,
            )
            .order_by(PaymentNotice.id)
        )
    )


def run_due(now: dt.datetime, run_at: dt.time) -> bool:
    """Whether the Warsaw wall-clock time ``now`` is at or past today's run time."""
    return now.astimezone(WARSAW).time() >= run_at


def mark_failed(notice_id: int, reason: str) -> None:
    """A notice that cannot be delivered (e.g. its customer has no address at all)."""
    db.session.execute(
        update(PaymentNotice)
        .where(PaymentNotice.id == notice_id, PaymentNotice.status == NoticeStatus.PLANNED)
        .values(status=NoticeStatus.FAILED, reason=reason[:2000])
    )
