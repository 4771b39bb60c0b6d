"""Payment monitoring jobs: the daily run and the delivery of its notices.

The cron entry ticks every 15 minutes (Warsaw time); ``daily_run`` plans the day's run once
the configured Warsaw time has come (console: Payment reminders → Settings), so the time
can change without a restart. Each tick also finishes runs and re-delivers notices whose
delivery job gave up.
"""

from __future__ import annotations

import datetime as dt
import logging

from backoffice.actors import SYSTEM
from backoffice.errors import Conflict
from backoffice.extensions import db
from backoffice.queue import defer, heartbeat
from backoffice.schedule import Periodic
from backoffice.services import (
    dunning_delivery,
    payment_reminders,  # noqa: F401 - the message events
)
from backoffice.services.dunning_runs import (
    DELIVERY_CHUNK,
    finish_runs,
    plan_run,
    run_due,
    stale_planned_ids,
)
from backoffice.services.dunning_selection import settings_row
from models.base import utcnow

log = logging.getLogger(__name__)

#: Notices delivered (and committed) together inside one delivery job.
BATCH = 50

SCHEDULE = [
    Periodic("payment-reminders-daily", "tasks.payment_reminders.daily_run", "*/15 * * * *"),
]


def daily_run(now: str | None = None) -> int:
    """Plan today's run if its time has come and it has not run yet; returns notices planned.

    ``now`` (ISO, aware) is for tests and reruns; default: the current time.
    """
    moment = dt.datetime.fromisoformat(now) if now else utcnow()
    settings = settings_row()
    planned = 0
    if settings.enabled and run_due(moment, settings.run_at):
        try:
            result = plan_run(SYSTEM, _warsaw_day(moment), automatic=True)
            planned = len(result.notice_ids)
            db.session.commit()
        except Conflict:
            db.session.rollback()
            log.warning("payment run collided with another run; the next tick retries")
    _redeliver_stale(moment)
    finish_runs()
    db.session.commit()
    return planned


def _warsaw_day(moment: dt.datetime) -> dt.date:
    from backoffice.services.dunning_calendar import warsaw_today

    return warsaw_today(moment)


def _redeliver_stale(moment: dt.datetime) -> None:
    ids = stale_planned_ids(moment)
    for start in range(0, len(ids), DELIVERY_CHUNK):
        chunk = ids[start : start + DELIVERY_CHUNK]
        defer("tasks.payment_reminders.deliver_notices", chunk, key=f"redeliver-{chunk[0]}")


def deliver_notices(notice_ids: list[int]) -> int:
    """Deliver planned notices, committing every ``BATCH``; returns how many were handled.

    A notice already delivered is skipped, so a retried or duplicated job sends nothing
    twice; a database error rolls the current batch back and the job is retried.
    """
    done = 0
    ids = [int(i) for i in notice_ids]
    for start in range(0, len(ids), BATCH):
        if start:
            heartbeat()  # a long job tells the sweep it is alive
        done += dunning_delivery.deliver_notices(ids[start : start + BATCH])
        db.session.commit()
    finish_runs()
    db.session.commit()
    return done
