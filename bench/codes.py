"""Benchmark: generating and storing 1,000,000 discount codes through the real job path.

``python -m bench codes [COUNT]`` — against ``DATABASE_URL`` (a temporary database is created
on that PostgreSQL server and dropped afterwards; SQLite in a temp dir otherwise).

Ours: ``create_batch`` as the console calls it (validation, batch row, audit, the deferred
job) and then the job itself run through ``backoffice.queue.execute`` — random characters
from ``os.urandom``, one COPY per 100,000-code chunk, progress committed per chunk.
Reference, measured in the same run: one ``COPY`` of the same number of pre-generated code
strings into a table of the same shape (same columns, defaults, indexes, unique constraint
and foreign key). Goal: ``ratio`` = ours ÷ reference ≤ 1.5.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from decimal import Decimal

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from backoffice.config import normalise_database_url


class _Database:
    """A throw-away database on the configured server."""

    def __init__(self):
        self.server = os.environ.get("DATABASE_URL")
        self.tmp = tempfile.mkdtemp(prefix="bench-codes-")
        self.name = None
        if self.server and self.server.startswith("postgres"):
            url = make_url(normalise_database_url(self.server))
            self.name = f"bench_codes_{uuid.uuid4().hex[:8]}"
            with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.url = url.set(database=self.name).render_as_string(hide_password=False)
        else:
            self.url = f"sqlite:///{self.tmp}/bench.sqlite"

    def drop(self) -> None:
        if self.name:
            url = make_url(normalise_database_url(self.server))
            with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


REFERENCE_COPY = "COPY bench_codes_ref (batch_id, code) FROM STDIN"


def main(argv: list[str]) -> dict:
    count = int(argv[0]) if argv else 1_000_000
    database = _Database()
    try:
        return _run(database, count)
    finally:
        database.drop()


def _reference_table(db, count: int) -> int:
    """A copy of discount_codes' shape (with the FK) and a batch row; returns the batch id."""
    from models.discount_codes import DiscountCodeBatch, DiscountKind

    holder = DiscountCodeBatch(
        name="reference", count=count, kind=DiscountKind.PERCENT, value=Decimal(1)
    )
    db.session.add(holder)
    db.session.execute(text("CREATE TABLE bench_codes_ref (LIKE discount_codes INCLUDING ALL)"))
    db.session.execute(
        text(
            "ALTER TABLE bench_codes_ref ADD FOREIGN KEY (batch_id) "
            "REFERENCES discount_code_batches (id)"
        )
    )
    db.session.commit()
    return holder.id


def _reference_copy(db, batch_id: int, count: int, prefix: str) -> float:
    """One COPY of pre-made code strings into the reference table; returns seconds."""
    from backoffice.services.discount_code_generation import random_codes

    line = f"{batch_id}\t"
    block = line + f"\n{line}".join(random_codes(count, 10, prefix)) + "\n"
    raw = db.engine.raw_connection()
    try:
        started = time.perf_counter()
        with raw.cursor() as cursor, cursor.copy(REFERENCE_COPY) as copy:
            copy.write(block)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def _ours(db, count: int) -> tuple[float, int]:
    """create_batch + commit + the generating job through the queue; (seconds, batch id)."""
    from backoffice.actors import Actor
    from backoffice.queue import execute
    from backoffice.services.discount_codes import BatchSpec, create_batch
    from models.jobs import Job, JobStatus

    actor = Actor("staff", None, "bench")
    started = time.perf_counter()
    batch = create_batch(
        actor,
        BatchSpec(name="Benchmark", count=count, kind="percent", value=Decimal(10), prefix="B-"),
    )
    db.session.commit()
    batch_id = batch.id
    job_ids = db.session.scalars(select(Job.id).where(Job.status == JobStatus.PENDING)).all()
    db.session.remove()
    for job_id in job_ids:
        assert execute(job_id) == "done", f"job {job_id} did not finish"
    return time.perf_counter() - started, batch_id


def _check(db, batch_id: int, count: int) -> None:
    """The batch is ready and holds ``count`` distinct codes."""
    from models.discount_codes import BatchStatus, DiscountCode, DiscountCodeBatch

    batch = db.session.get(DiscountCodeBatch, batch_id)
    stored = db.session.scalar(
        select(func.count(func.distinct(DiscountCode.code))).where(
            DiscountCode.batch_id == batch_id
        )
    )
    assert batch.status == BatchStatus.READY and stored == count, (batch.status, stored)


def _run(database: _Database, count: int) -> dict:
    from backoffice import create_app
    from backoffice.extensions import db
    from backoffice.services.discount_code_generation import copy_block

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database.url,
            "STORAGE_DIR": database.tmp,
            "QUEUE_MODE": "manual",
            "REDIS_URL": None,
        }
    )
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        copy_block(1, count, 10, "B-")
        generate_s = time.perf_counter() - started
        postgres = db.engine.dialect.name == "postgresql"
        # A B B A: reference, ours, ours, reference — drift (load, checkpoints) cancels out.
        references, ours = [], []
        ref_batch = _reference_table(db, count) if postgres else None
        if postgres:
            references.append(_reference_copy(db, ref_batch, count, "RA-"))
        for _round in range(2 if postgres else 1):
            seconds, batch_id = _ours(db, count)
            ours.append(seconds)
            _check(db, batch_id, count)
        if postgres:
            references.append(_reference_copy(db, ref_batch, count, "RB-"))
        reference_s = sum(references) / len(references) if references else None
        ours_s = sum(ours) / len(ours)
    figures = {
        "database": "postgresql" if postgres else "sqlite",
        "codes": count,
        "random_block_s": round(generate_s, 3),
        "reference_copy_runs_s": [round(r, 3) for r in references],
        "ours_runs_s": [round(o, 3) for o in ours],
        "reference_copy_s": round(reference_s, 3) if reference_s else None,
        "ours_s": round(ours_s, 3),
        "codes_per_s": round(count / ours_s),
        "ratio": round(ours_s / reference_s, 3) if reference_s else None,
        "goal": "ratio <= 1.5",
    }
    print(f"{'':<34}{'seconds (each run)':>30}")
    print(f"{'random COPY block only':<34}{generate_s:>30.3f}")
    if reference_s:
        runs = " + ".join(f"{r:.2f}" for r in references)
        print(f"{'reference: one COPY of strings':<34}{runs:>30}")
    print(f"{'ours: create_batch + job':<34}{' + '.join(f'{o:.2f}' for o in ours):>30}")
    if reference_s:
        print(f"ratio {ours_s / reference_s:.3f} (goal ≤ 1.5)")
    return figures
