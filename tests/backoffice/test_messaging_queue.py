"""Queue fixes found while building the sender (backoffice/queue.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from backoffice.queue import RedisRunner, defer, execute, sweep_jobs
from models.base import utcnow
from models.jobs import Job, JobStatus


@pytest.mark.postgres
def test_keyed_defer_keeps_working_after_psycopg_prepares_it(db):
    # psycopg prepares a statement on its 6th run; the ON CONFLICT must still find the index.
    for i in range(12):
        defer("tasks.maintenance.ping", str(i), key=f"same-{i % 3}")
    db.session.flush()
    assert len(db.session.scalars(select(Job)).all()) == 3


def test_failed_keyed_job_with_a_pending_twin_is_superseded(db, monkeypatch):
    import tasks.maintenance

    def boom(token):
        defer("tasks.maintenance.ping", "twin", key="k")  # allowed: this one is running
        db.session.commit()
        raise RuntimeError("SMTP exploded")

    monkeypatch.setattr(tasks.maintenance, "ping", boom)
    defer("tasks.maintenance.ping", "first", key="k")
    db.session.commit()
    first = db.session.scalar(select(Job.id))
    assert execute(first) == "done"  # not an IntegrityError on its way back to pending
    db.session.expire_all()
    rows = db.session.scalars(select(Job).order_by(Job.id)).all()
    assert [r.status for r in rows] == [JobStatus.DONE, JobStatus.PENDING]
    assert "SMTP exploded" in rows[0].last_error and "superseded" in rows[0].last_error


def test_dead_keyed_job_with_a_pending_twin_does_not_break_the_sweep(db, app):
    defer("tasks.maintenance.ping", "old", key="k", timeout=60)
    db.session.commit()
    old = db.session.scalar(select(Job))
    old.status = JobStatus.RUNNING
    old.started_at = old.heartbeat_at = utcnow() - dt.timedelta(hours=1)
    db.session.commit()
    defer("tasks.maintenance.ping", "new", key="k")
    db.session.commit()
    result = sweep_jobs(app)
    assert result["revived"] == 1
    db.session.expire_all()
    assert db.session.get(Job, old.id).status == JobStatus.DONE
    assert "superseded" in db.session.get(Job, old.id).last_error
    assert db.session.scalars(select(Job.status).where(Job.key == "k").order_by(Job.id)).all() == [
        JobStatus.DONE,
        JobStatus.PENDING,
    ]


@pytest.mark.committed
def test_failed_hand_over_lets_the_next_sweep_retry_at_once(db, app):
    from redis import Redis

    from tests.fixtures.smtp import free_port

    defer("tasks.maintenance.ping", "lost")
    db.session.commit()
    job = db.session.scalar(select(Job))
    assert job.enqueued_at is not None
    dead = Redis(port=free_port(), socket_connect_timeout=1)
    runner = RedisRunner(app)
    app.extensions["backoffice.redis"], saved = dead, app.extensions.get("backoffice.redis")
    try:
        runner.submit([(job.id, job.queue, job.timeout)])
    finally:
        app.extensions["backoffice.redis"] = saved
    db.session.rollback()  # a new snapshot: the runner wrote on its own connection
    assert db.session.get(Job, job.id).enqueued_at is None
