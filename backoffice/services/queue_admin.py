"""Operating the job queue from the console: requeue failed jobs, send a test job."""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.errors import Conflict, NotFound
from backoffice.extensions import db
from backoffice.queue import defer, requeue_job
from backoffice.services.audit import record
from models.jobs import Job, JobStatus

PING = "tasks.maintenance.ping"


def requeue_failed_job(actor: Actor, job_id: int) -> Job:
    """Give a failed job a fresh set of attempts (failed → pending), audited as job.requeue.

    Raises NotFound for an unknown id and Conflict when the job is not failed (any more):
    a second click, or another admin was quicker, requeues nothing twice.
    """
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound(_("There is no such job."))
    if not requeue_job(job_id):
        raise Conflict(
            _("Only a failed job can be requeued; this one is %(status)s.", status=job.status.value)
        )
    db.session.refresh(job)
    record(actor, "job.requeue", job, summary=job.func)
    return job


def requeue_all_failed(actor: Actor, limit: int = 500) -> int:
    """Requeue up to ``limit`` failed jobs, oldest first; returns how many."""
    ids = db.session.scalars(
        select(Job.id).where(Job.status == JobStatus.FAILED).order_by(Job.id).limit(limit)
    ).all()
    count = sum(1 for job_id in ids if requeue_job(job_id))
    if count:
        record(actor, "job.requeue_all", object_type="Job", summary=str(count))
    return count


def send_test_job(actor: Actor) -> str:
    """Queue ``tasks.maintenance.ping`` with a fresh token; it shows as done once a worker ran.

    Returns the token (the job's argument, and the object id of its queue.ping audit entry).
    """
    token = secrets.token_hex(6)
    defer(PING, token, description=_("Test job sent by %(who)s", who=actor.label)[:300])
    record(actor, "queue.test_job", object_type="Queue", object_id=token)
    return token


def recent_test_jobs(limit: int = 5) -> list[Job]:
    """The latest test jobs, newest first."""
    return db.session.scalars(
        select(Job).where(Job.func == PING).order_by(Job.id.desc()).limit(limit)
    ).all()
