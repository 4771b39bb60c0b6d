"""Background jobs: defer() until commit, durable job rows, RQ workers or an in-process runner.

``defer("tasks.offers.render_offer_documents", offer_id)`` writes a row to ``jobs`` in the
caller's transaction. After the transaction commits the row id is handed to the runner:

* ``QUEUE_MODE=redis`` (``REDIS_URL`` set): an RQ job on the named queue, run by
  ``flask --app wsgi worker``;
* ``QUEUE_MODE=thread`` (embedded default): a daemon thread in the web process polls the table;
* ``QUEUE_MODE=manual`` (tests): nothing runs until ``run_pending_jobs()`` is called.

A rollback drops the row with everything else. ``sweep_jobs()`` (run by the cron process)
hands rows that Redis lost back to it and revives rows a dead worker left running, so a
Redis outage or a killed worker loses no job. Jobs must be idempotent: one may run twice.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import gc
import importlib
import logging
import os
import threading
import traceback
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backoffice.extensions import db
from models.base import utcnow
from models.jobs import Job, JobStatus

log = logging.getLogger(__name__)

QUEUES = ("default", "mail", "documents", "periodic")
_NEW_JOBS = "backoffice.new_jobs"
_current_job: contextvars.ContextVar[int | None] = contextvars.ContextVar("job", default=None)
_runner_thread: contextvars.ContextVar[bool] = contextvars.ContextVar("runner", default=False)
#: Seconds a pending row may sit after hand-over before the sweep checks Redis still has it.
REENQUEUE_AFTER = 30


def defer(
    func: str,
    *args: Any,
    queue: str = "default",
    key: str | None = None,
    delay: float = 0,
    max_attempts: int = 3,
    timeout: int = 600,
    description: str | None = None,
    session: Session | None = None,
    **kwargs: Any,
) -> None:
    """Queue ``func`` (dotted name of a function in ``tasks/``) to run after commit.

    Arguments must be JSON-serialisable (ids and plain values). With ``key``, a second
    defer while a job with the same key is still pending adds nothing.
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    session = session or db.session
    now = utcnow()
    values = dict(
        func=func,
        args=list(args),
        kwargs=kwargs,
        queue=queue,
        key=key,
        status=JobStatus.PENDING,
        attempts=0,
        max_attempts=max_attempts,
        timeout=timeout,
        not_before=now + dt.timedelta(seconds=delay),
        created_at=now,
        enqueued_at=None if delay else now,
        description=description or func,
    )
    if key is None:
        stmt = insert(Job).values(**values).returning(Job.id)
    else:
        dialect_insert = (
            pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        stmt = (
            dialect_insert(Job)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=["key"],
                # Literal, as in the index: with a bound parameter PostgreSQL cannot match the
                # partial index once psycopg prepares the statement (after 5 runs).
                index_where=text("status = 'pending' AND key IS NOT NULL"),
            )
            .returning(Job.id)
        )
    job_id = session.execute(stmt).scalar()
    if job_id is not None and not delay:
        session.info.setdefault(_NEW_JOBS, []).append((job_id, queue, timeout))


@event.listens_for(Session, "after_commit")
def _hand_over_after_commit(session: Session) -> None:
    new = session.info.pop(_NEW_JOBS, None)
    if new and has_app_context():
        _runner(current_app._get_current_object()).submit(new)  # never the proxy: threads


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_NEW_JOBS, None)


# --- running one job -------------------------------------------------------------------


def execute(job_id: int) -> str:
    """Run one job row: claim it, call its function, commit, record the outcome.

    This is what RQ workers and the in-process runner call. Returns the final status.
    """
    app = current_app._get_current_object() if has_app_context() else _worker_app()
    _dispose_inherited_pool(app)
    with app.app_context():
        try:
            return _execute(job_id)
        finally:
            db.session.remove()


def _execute(job_id: int) -> str:
    now = utcnow()
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.PENDING, Job.not_before <= now)
        .values(
            status=JobStatus.RUNNING,
            attempts=Job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
        )
    ).rowcount
    db.session.commit()
    if not claimed:
        return "skipped"
    job = db.session.get(Job, job_id)
    func, args, kwargs, attempts, max_attempts = (
        job.func,
        job.args,
        job.kwargs,
        job.attempts,
        job.max_attempts,
    )
    db.session.expunge(job)
    token = _current_job.set(job_id)
    try:
        resolve(func)(*args, **kwargs)
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - any failure of a job is recorded, not raised
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, func)
        return _record_failure(job_id, attempts, max_attempts, exc)
    finally:
        _current_job.reset(token)
    db.session.execute(
        update(Job).where(Job.id == job_id).values(status=JobStatus.DONE, finished_at=utcnow())
    )
    db.session.commit()
    return JobStatus.DONE.value


def _record_failure(job_id: int, attempts: int, max_attempts: int, exc: Exception) -> str:
    error = "".join(traceback.format_exception(exc))[-4000:]
    if attempts >= max_attempts:
        db.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(last_error=error, status=JobStatus.FAILED, finished_at=utcnow())
        )
        db.session.commit()
        return JobStatus.FAILED.value
    values = dict(
        last_error=error,
        status=JobStatus.PENDING,
        not_before=utcnow() + dt.timedelta(seconds=retry_delay(attempts)),
        enqueued_at=None,
    )
    pending = _make_pending(job_id, values, JobStatus.RUNNING)
    db.session.commit()
    return (JobStatus.PENDING if pending else JobStatus.DONE).value


def _make_pending(job_id: int, values: dict[str, Any], current: JobStatus) -> bool:
    """Put a job back to pending; if a pending job with the same key exists (unique key),
    that one does the work: this one is closed as done ("superseded") and False returned."""
    try:
        with db.session.begin_nested():
            db.session.execute(
                update(Job).where(Job.id == job_id, Job.status == current).values(**values)
            )
        return True
    except IntegrityError:
        note = f"{values.get('last_error') or ''}\nsuperseded: a pending job with the same key"
        db.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status=JobStatus.DONE, finished_at=utcnow(), last_error=note[-4000:])
        )
        return False


def retry_delay(attempts: int) -> int:
    """Backoff after the n-th failed attempt: 30 s, 2 min, 8 min, …"""
    return 30 * 4 ** max(attempts - 1, 0)


def resolve(func: str):
    """Import a job function by dotted name; only functions under ``tasks.`` may run."""
    if not func.startswith("tasks."):
        raise ValueError(f"job function must live in tasks/: {func!r}")
    module_name, _, attr = func.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def in_job() -> bool:
    """True while a job function runs in this context."""
    return _current_job.get() is not None


def in_background() -> bool:
    """True in a job or anywhere in the embedded runner's thread (its schedule ticks and
    sweeps): work that writes, so SQLite transactions there take the write lock up front."""
    return _runner_thread.get() or in_job()


def heartbeat() -> None:
    """Tell the sweep the current job is alive; long jobs call this at least every minute."""
    job_id = _current_job.get()
    if job_id is None:
        return
    stmt = update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow())
    bound = db.session.bind
    if isinstance(bound, Connection):
        # Tests bind the session to one connection inside an outer transaction; a second
        # connection would wait on SQLite's write lock.
        with bound.begin_nested():
            bound.execute(stmt)
        return
    with db.engine.begin() as conn:
        conn.execute(stmt)


# --- recovering lost and dead jobs -----------------------------------------------------


def sweep_jobs(app: Flask | None = None) -> dict[str, int]:
    """Revive jobs left running by dead workers and re-hand pending jobs the queue lost."""
    app = app or current_app._get_current_object()
    now = utcnow()
    with app.app_context():
        try:
            revived = _revive_dead(now)
            due = _due_pending_ids(now)
            db.session.commit()
        finally:
            db.session.remove()
    if due:
        _runner(app).resubmit(due)
    return {"revived": revived, "resubmitted": len(due)}


def _revive_dead(now: dt.datetime) -> int:
    revived = 0
    rows = db.session.execute(
        select(
            Job.id, Job.timeout, Job.started_at, Job.heartbeat_at, Job.attempts, Job.max_attempts
        ).where(Job.status == JobStatus.RUNNING)
    ).all()
    for job_id, timeout, started, beat, attempts, max_attempts in rows:
        last_sign = max(t for t in (started, beat) if t is not None)
        if last_sign > now - dt.timedelta(seconds=timeout):
            continue
        final = attempts >= max_attempts
        values = dict(
            status=JobStatus.FAILED if final else JobStatus.PENDING,
            last_error="worker stopped responding (killed or timed out)",
            enqueued_at=None,
            finished_at=now if final else None,
        )
        if final:
            db.session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                .values(**values)
            )
        else:
            _make_pending(job_id, values, JobStatus.RUNNING)
        revived += 1
    return revived


def _due_pending_ids(now: dt.datetime) -> list[tuple[int, str, int]]:
    stale = now - dt.timedelta(seconds=REENQUEUE_AFTER)
    rows = db.session.execute(
        select(Job.id, Job.queue, Job.timeout)
        .where(
            Job.status == JobStatus.PENDING,
            Job.not_before <= now,
            or_(Job.enqueued_at.is_(None), Job.enqueued_at < stale),
        )
        .order_by(Job.id)
        .limit(5000)
    ).all()
    return [tuple(r) for r in rows]


def run_pending_jobs(app: Flask | None = None, limit: int = 1000) -> int:
    """Run every due pending job in this process, oldest first (tests, embedded mode)."""
    app = app or current_app._get_current_object()
    count = 0
    while count < limit:
        with app.app_context():
            ids = db.session.scalars(
                select(Job.id)
                .where(Job.status == JobStatus.PENDING, Job.not_before <= utcnow())
                .order_by(Job.id)
                .limit(50)
            ).all()
            db.session.remove()
        if not ids:
            break
        for job_id in ids:
            with app.app_context():
                execute(job_id)
            count += 1
    return count


# --- runners ---------------------------------------------------------------------------


def _runner(app: Flask):
    runner = app.extensions.get("backoffice.runner")
    if runner is None:
        mode = app.config["QUEUE_MODE"]
        runner = {"redis": RedisRunner, "thread": ThreadRunner, "manual": ManualRunner}[mode](app)
        app.extensions["backoffice.runner"] = runner
    return runner


def start_embedded_runner(app: Flask) -> None:
    """Make sure the in-process job thread runs (embedded mode; cheap when it does)."""
    runner = _runner(app)
    if isinstance(runner, ThreadRunner):
        runner.start()


class ManualRunner:
    """Tests: jobs wait in the table until ``run_pending_jobs()``."""

    def __init__(self, app: Flask):
        self.app = app

    def submit(self, jobs) -> None:
        pass

    resubmit = submit


class RedisRunner:
    """Hands job ids to RQ; a Redis failure is logged and left to the sweep."""

    def __init__(self, app: Flask):
        self.app = app

    def submit(self, jobs) -> None:
        try:
            self._enqueue(jobs)
        except Exception:  # noqa: BLE001 - Redis down: the rows stay pending for the sweep
            log.warning("could not hand %d job(s) to Redis; the sweep will retry", len(jobs))
            self._not_handed_over([j[0] for j in jobs])

    def _not_handed_over(self, ids: list[int]) -> None:
        """Clear ``enqueued_at`` so the next sweep hands the rows over at once (not after
        REENQUEUE_AFTER): Redis never got them."""
        try:
            with self.app.app_context(), db.engine.begin() as conn:
                conn.execute(
                    update(Job)
                    .where(Job.id.in_(ids), Job.status == JobStatus.PENDING)
                    .values(enqueued_at=None)
                )
        except Exception:  # noqa: BLE001 - then the sweep finds them after REENQUEUE_AFTER
            log.warning("could not mark %d job(s) for the sweep", len(ids))

    def resubmit(self, jobs) -> None:
        from rq.job import Job as RqJob

        conn = redis_connection(self.app)
        with conn.pipeline() as pipe:
            for job_id, _queue, _timeout in jobs:
                pipe.hget(RqJob.key_for(f"job-{job_id}"), "status")
            states = pipe.execute()
        waiting = {b"queued", b"started", b"scheduled", b"deferred"}
        lost = [j for j, state in zip(jobs, states, strict=True) if state not in waiting]
        if lost:
            self._enqueue(lost)
        with self.app.app_context():
            db.session.execute(
                update(Job).where(Job.id.in_([j[0] for j in jobs])).values(enqueued_at=utcnow())
            )
            db.session.commit()
            db.session.remove()

    def _enqueue(self, jobs) -> None:
        from rq import Queue

        conn = redis_connection(self.app)
        by_queue: dict[str, list] = {}
        for job_id, queue, timeout in jobs:
            by_queue.setdefault(queue, []).append(
                Queue.prepare_data(
                    "backoffice.queue.execute",
                    args=(job_id,),
                    job_id=f"job-{job_id}",
                    timeout=timeout + 60,
                    result_ttl=300,
                    failure_ttl=7 * 24 * 3600,
                    description=f"job {job_id}",
                )
            )
        for queue, data in by_queue.items():
            Queue(queue, connection=conn).enqueue_many(data)


class ThreadRunner:
    """Embedded mode: one daemon thread runs jobs and the periodic schedule in-process."""

    def __init__(self, app: Flask):
        self.app = app
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.stopping = False

    def submit(self, jobs) -> None:
        self.start()
        self.wake.set()

    resubmit = submit

    def start(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="jobs", daemon=True)
                self.thread.start()

    def _loop(self) -> None:
        from backoffice.schedule import tick_schedule

        _runner_thread.set(True)  # this thread's own context: see in_background()
        while not self.stopping:
            try:
                tick_schedule(self.app)
                sweep_jobs(self.app)
                run_pending_jobs(self.app, limit=200)
            except Exception:  # noqa: BLE001 - keep the runner alive whatever a tick hits
                log.exception("embedded job runner tick failed")
            self.wake.wait(timeout=5)
            self.wake.clear()

    def stop(self) -> None:
        """Let the thread finish its tick and end (tests)."""
        self.stopping = True
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout=30)


# --- Redis and workers -----------------------------------------------------------------


def redis_connection(app: Flask | None = None):
    """The process-wide Redis client for REDIS_URL (None in embedded mode)."""
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    conn = app.extensions.get("backoffice.redis")
    if conn is None:
        import redis

        conn = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)
        app.extensions["backoffice.redis"] = conn
    return conn


_WORKER_APP: Flask | None = None
_POOL_PID: int | None = None


def _worker_app() -> Flask:
    global _WORKER_APP
    if _WORKER_APP is None:
        from backoffice import create_app

        _WORKER_APP = create_app()
    return _WORKER_APP


def _dispose_inherited_pool(app: Flask) -> None:
    """A forked worker child must not reuse the parent's database connections."""
    global _POOL_PID
    pid = os.getpid()
    if _POOL_PID is None:
        _POOL_PID = pid
    elif pid != _POOL_PID:
        with app.app_context():
            db.engine.dispose(close=False)
        _POOL_PID = pid


def run_worker(app: Flask, queues: list[str], burst: bool = False) -> None:
    """Run an RQ worker with the scheduler on the given queues (all by default)."""
    from rq import Queue, Worker

    conn = redis_connection(app)
    if conn is None:
        raise RuntimeError("REDIS_URL is not set: jobs run inside the web process")
    global _WORKER_APP, _POOL_PID
    _WORKER_APP, _POOL_PID = app, os.getpid()
    worker = Worker([Queue(q, connection=conn) for q in queues or QUEUES], connection=conn)
    # The app's startup objects leave the collector's generations: the job children forked
    # from here neither traverse them in every full collection nor copy their pages on write.
    gc.collect()
    gc.freeze()
    worker.work(with_scheduler=True, burst=burst)


def queue_overview(app: Flask | None = None) -> dict[str, Any]:
    """Queue lengths, workers and job counts for the console and /healthz."""
    app = app or current_app
    from sqlalchemy import func

    counts = dict(db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    overview: dict[str, Any] = {
        "mode": app.config["QUEUE_MODE"],
        "jobs": {s.value: counts.get(s, 0) for s in JobStatus},
        "queues": {},
        "workers": [],
    }
    conn = redis_connection(app)
    if conn is not None:
        from rq import Queue, Worker

        for name in QUEUES:
            q = Queue(name, connection=conn)
            overview["queues"][name] = {"queued": q.count, "failed": q.failed_job_registry.count}
        overview["workers"] = [
            {"name": w.name, "state": w.get_state(), "queues": w.queue_names()}
            for w in Worker.all(connection=conn)
        ]
    return overview


def requeue_job(job_id: int) -> bool:
    """Give a failed job another run (console action). Returns False if it was not failed."""
    changed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.FAILED)
        .values(
            status=JobStatus.PENDING,
            attempts=0,
            not_before=utcnow(),
            enqueued_at=utcnow(),
            finished_at=None,
        )
    ).rowcount
    if changed:
        row = db.session.get(Job, job_id)
        db.session.info.setdefault(_NEW_JOBS, []).append((job_id, row.queue, row.timeout))
    return bool(changed)
