"""Durable jobs: after-commit hand-over, rollback, dedupe, retries, sweep, real workers."""

import datetime as dt
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from backoffice.queue import defer, execute, retry_delay, sweep_jobs
from models import AuditEntry, Job, JobStatus
from models.base import utcnow


def pings(db, token):
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "queue.ping", AuditEntry.object_id == token)
    ).all()


def test_deferred_job_runs_after_commit(db, run_jobs):
    defer("tasks.maintenance.ping", "a1")
    db.session.commit()
    assert run_jobs() == 1
    assert len(pings(db, "a1")) == 1
    job = db.session.scalars(select(Job)).one()
    assert job.status == JobStatus.DONE and job.attempts == 1


def test_rollback_drops_the_job(db, run_jobs):
    defer("tasks.maintenance.ping", "gone")
    db.session.rollback()
    assert run_jobs() == 0
    assert db.session.scalars(select(Job)).all() == []


def test_key_dedupes_pending_jobs(db):
    defer("tasks.maintenance.ping", "k", key="same")
    defer("tasks.maintenance.ping", "k", key="same")
    db.session.commit()
    assert len(db.session.scalars(select(Job)).all()) == 1


def test_job_runs_once_even_if_executed_twice(db, run_jobs):
    defer("tasks.maintenance.ping", "twice")
    db.session.commit()
    job_id = db.session.scalar(select(Job.id))
    assert execute(job_id) == "done"
    assert execute(job_id) == "skipped"
    assert len(pings(db, "twice")) == 1


def test_failure_is_retried_with_backoff_then_failed(db, monkeypatch):
    import tasks.maintenance

    def boom(token):
        raise RuntimeError("SMTP exploded")

    monkeypatch.setattr(tasks.maintenance, "ping", boom)
    defer("tasks.maintenance.ping", "x", max_attempts=2)
    db.session.commit()
    job_id = db.session.scalar(select(Job.id))
    assert execute(job_id) == "pending"
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    assert job.attempts == 1 and "SMTP exploded" in job.last_error
    assert job.not_before > utcnow() + dt.timedelta(seconds=retry_delay(1) - 5)
    assert execute(job_id) == "skipped"  # not due yet
    job.not_before = utcnow()
    db.session.commit()
    assert execute(job_id) == "failed"


def test_sweep_revives_a_job_whose_worker_died(db, app):
    defer("tasks.maintenance.ping", "dead", timeout=60)
    db.session.commit()
    job = db.session.scalars(select(Job)).one()
    job.status = JobStatus.RUNNING
    job.attempts = 1
    job.started_at = job.heartbeat_at = utcnow() - dt.timedelta(minutes=5)
    db.session.commit()
    assert sweep_jobs(app)["revived"] == 1
    db.session.refresh(job)
    assert job.status == JobStatus.PENDING
    assert execute(job.id) == "done"


def test_only_tasks_may_run(db):
    defer("os.system", "echo hacked")
    db.session.commit()
    job_id = db.session.scalar(select(Job.id))
    assert execute(job_id) == "pending"
    assert "tasks/" in db.session.get(Job, job_id).last_error


@pytest.mark.redis
@pytest.mark.committed
def test_real_worker_runs_jobs_and_sweep_recovers_redis_loss(db, app, infra):
    """A job deferred while Redis lost it is re-enqueued by the sweep and run by a worker."""
    from backoffice.queue import redis_connection

    app.config["QUEUE_MODE"] = "redis"
    app.extensions.pop("backoffice.runner", None)
    try:
        defer("tasks.maintenance.ping", "via-redis")
        db.session.commit()
        defer("tasks.maintenance.ping", "lost")
        db.session.commit()
        lost_id = db.session.scalar(select(Job.id).order_by(Job.id.desc()).limit(1))
        redis_connection(app).delete(f"rq:job:job-{lost_id}")
        redis_connection(app).lrem("rq:queue:default", 0, f"job-{lost_id}")
        db.session.execute(
            Job.__table__.update()
            .where(Job.id == lost_id)
            .values(enqueued_at=utcnow() - dt.timedelta(minutes=5))
        )
        db.session.commit()
        assert sweep_jobs(app)["resubmitted"] >= 1
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
            env=infra.env(),
            check=True,
            timeout=120,
            capture_output=True,
        )
        db.session.expire_all()
        for token in ("via-redis", "lost"):
            assert len(pings(db, token)) == 1, token
    finally:
        app.config["QUEUE_MODE"] = "manual"
        app.extensions.pop("backoffice.runner", None)


@pytest.mark.committed
def test_thread_runner_runs_without_redis(app, db):
    """Embedded mode: a daemon thread picks a job up right after commit, off the request."""
    from backoffice.queue import ThreadRunner

    app.config["QUEUE_MODE"] = "thread"
    runner = app.extensions["backoffice.runner"] = ThreadRunner(app)
    try:
        defer("tasks.maintenance.ping", "threaded")
        db.session.commit()
        deadline = time.monotonic() + 20
        found = []
        while not found and time.monotonic() < deadline:
            time.sleep(0.2)
            found = pings(db, "threaded")
            db.session.rollback()
        assert len(found) == 1
    finally:
        runner.stop()
        app.config["QUEUE_MODE"] = "manual"
        app.extensions.pop("backoffice.runner", None)


def test_heartbeat_inside_a_rolled_back_test_transaction_does_not_block(db, monkeypatch):
    """A job calling heartbeat() runs at once under the test fixture (no second connection)."""
    import tasks.maintenance
    from backoffice.queue import heartbeat

    def beating(token):
        heartbeat()

    monkeypatch.setattr(tasks.maintenance, "ping", beating)
    defer("tasks.maintenance.ping", "beat")
    db.session.commit()
    started = time.monotonic()
    assert execute(db.session.scalar(select(Job.id))) == "done"
    assert time.monotonic() - started < 5
