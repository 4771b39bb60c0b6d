"""The periodic schedule: turns `tasks/schedule.py` entries into deferred jobs.

Cron expressions are evaluated in Europe/Warsaw time (not UTC, unlike RQ's own cron).
Each entry's last queued slot is kept in ``schedule_state`` and advanced with a
conditional update, so several cron processes (or the embedded runner) never queue the
same slot twice. Missed slots collapse into one run.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from croniter import croniter
from flask import Flask
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from backoffice.extensions import db
from backoffice.queue import defer, sweep_jobs
from models.base import utcnow
from models.jobs import ScheduleState

log = logging.getLogger(__name__)
WARSAW = ZoneInfo("Europe/Warsaw")


@dataclass(frozen=True)
class Periodic:
    """A job queued on a cron schedule (minute hour day month weekday, Warsaw time)."""

    name: str
    func: str
    cron: str
    queue: str = "periodic"
    kwargs: dict = field(default_factory=dict)
    timeout: int = 600

    def latest_slot(self, now: dt.datetime) -> dt.datetime:
        """The most recent scheduled instant at or before ``now`` (aware, UTC)."""
        local = now.astimezone(WARSAW) + dt.timedelta(microseconds=1)
        prev = croniter(self.cron, local).get_prev(dt.datetime)
        return prev.astimezone(dt.UTC)


def schedule_entries() -> list[Periodic]:
    """The declared schedule, possibly adjusted by configuration."""
    from tasks.schedule import SCHEDULE

    return list(SCHEDULE)


def tick_schedule(app: Flask, now: dt.datetime | None = None) -> list[str]:
    """Queue every entry whose latest slot has not been queued yet; returns their names."""
    now = now or utcnow()
    queued = []
    with app.app_context():
        try:
            for entry in schedule_entries():
                if _claim_slot(entry, now):
                    queued.append(entry.name)
        finally:
            db.session.remove()
    return queued


def _claim_slot(entry: Periodic, now: dt.datetime) -> bool:
    slot = entry.latest_slot(now)
    last = db.session.scalar(
        select(ScheduleState.last_slot_at).where(ScheduleState.name == entry.name)
    )
    if last is not None and last >= slot:
        return False
    try:
        if last is None:
            db.session.execute(insert(ScheduleState).values(name=entry.name, last_slot_at=slot))
        else:
            won = db.session.execute(
                update(ScheduleState)
                .where(ScheduleState.name == entry.name, ScheduleState.last_slot_at == last)
                .values(last_slot_at=slot)
            ).rowcount
            if not won:
                db.session.rollback()
                return False
        defer(
            entry.func,
            queue=entry.queue,
            key=f"cron-{entry.name}",
            timeout=entry.timeout,
            description=f"cron {entry.name} @ {slot.isoformat()}",
            **entry.kwargs,
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def run_cron(app: Flask, interval: float = 15, once: bool = False) -> None:
    """The cron process: tick the schedule and sweep lost jobs every ``interval`` seconds."""
    log.info("cron started: %d periodic entries", len(schedule_entries()))
    while True:
        try:
            names = tick_schedule(app)
            if names:
                log.info("queued: %s", ", ".join(names))
            swept = sweep_jobs(app)
            if any(swept.values()):
                log.info("sweep: %s", swept)
        except Exception:  # noqa: BLE001 - a database or Redis hiccup must not stop cron
            log.exception("cron tick failed")
        if once:
            return
        time.sleep(interval)
