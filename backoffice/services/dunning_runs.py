"""The run: plan today's notices in one transaction, then deliver them one by one.

Planning (``plan_run``) takes the settings row lock (runs never overlap) and writes the run,
a notice per customer and stage and their items with set-based SQL (``dunning_writing``) —
all or nothing. The items' unique (receivable, stage) pair is the last
guard against a stage going out twice. Delivery (``dunning_delivery.deliver_notices``, one
job per ``DELIVERY_CHUNK`` notices, committed in batches) renders each notice's messages and
attachments and marks it queued in the batch's transaction, so a crash halfway leaves the
rest planned for the retry and nothing is written twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import Conflict
from backoffice.extensions import db
from backoffice.queue import defer
from backoffice.services.audit import record
from backoffice.services.dunning_calendar import WARSAW, warsaw_today
from backoffice.services.dunning_selection import settings_row
from backoffice.services.dunning_writing import write_run
from models.base import utcnow
from models.payment_reminders import (
    NoticeStatus,
    PaymentNotice,
    ReminderRun,
    RunStatus,
)

DELIVERY_CHUNK = 500
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
    try:
        with db.session.begin_nested():
            write_run(run, today, settings.catch_up_days, settings.mode)
    except IntegrityError as exc:
        raise Conflict(_("Another run has just sent these stages; nothing was written.")) from exc
    written = db.session.execute(
        select(PaymentNotice.id, PaymentNotice.status, PaymentNotice.receivable_count)
        .where(PaymentNotice.run_id == run.id)
        .order_by(PaymentNotice.id)
    ).all()
    planned = [n.id for n in written if n.status == NoticeStatus.PLANNED]
    run.receivables = sum(n.receivable_count for n in written)
    run.notices = len(planned)
    run.skipped = sum(1 for n in written if n.status == NoticeStatus.SKIPPED)
    for start in range(0, len(planned), DELIVERY_CHUNK):
        chunk = planned[start : start + DELIVERY_CHUNK]
        defer("tasks.payment_reminders.deliver_notices", chunk, description="payment notices")
    if not planned:
        _finish(run)
    record(actor, "payment_run.plan", run, summary=f"{run.run_date}: {run.notices} notices")
    return PlanResult(run, planned, run.skipped)


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
