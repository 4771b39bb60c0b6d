"""Housekeeping jobs."""

import datetime as dt

from sqlalchemy import delete

from backoffice.extensions import db
from backoffice.schedule import Periodic
from models.base import utcnow
from models.jobs import Job, JobStatus

SCHEDULE = [
    Periodic("cleanup-jobs", "tasks.maintenance.cleanup_jobs", "17 3 * * *"),
]


def cleanup_jobs(keep_days: int = 14) -> None:
    """Delete finished job rows older than ``keep_days`` (failed ones are kept)."""
    cutoff = utcnow() - dt.timedelta(days=keep_days)
    db.session.execute(delete(Job).where(Job.status == JobStatus.DONE, Job.finished_at < cutoff))
    db.session.commit()


def ping(token: str) -> None:
    """Record that a worker ran a job (the console's "test the queue" button)."""
    from backoffice.actors import SYSTEM
    from backoffice.services.audit import record

    record(SYSTEM, "queue.ping", object_type="Queue", object_id=token[:64], summary="pong")
    db.session.commit()
