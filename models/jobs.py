"""Durable background jobs and the periodic schedule's state.

Every deferred job is first a row here, written in the business transaction; Redis (or the
in-process runner) only carries the row id. A sweep re-enqueues rows that Redis lost or a
dead worker left running, so no job is lost when Redis or a worker fails.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, str_enum, utcnow


class JobStatus(enum.StrEnum):
    PENDING = "pending"  # waiting to run: new, a retry, or Redis lost it
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """One deferred call of a function in `tasks/` by dotted name."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "uq_jobs_open_key",
            "key",
            unique=True,
            postgresql_where=text("status = 'pending' AND key IS NOT NULL"),
            sqlite_where=text("status = 'pending' AND key IS NOT NULL"),
        ),
        Index("ix_jobs_status_not_before", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    func: Mapped[str] = mapped_column(String(200))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    queue: Mapped[str] = mapped_column(String(32), default="default")
    #: Optional dedupe key: at most one pending job per key.
    key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[JobStatus] = mapped_column(
        str_enum(JobStatus, "job_status"), default=JobStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    #: Seconds a run may take before it is considered dead and run again.
    timeout: Mapped[int] = mapped_column(default=600)
    not_before: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Last hand-over to Redis; the sweep re-enqueues pending rows Redis no longer holds.
    enqueued_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Who or what asked for the job, for the console.
    description: Mapped[str | None] = mapped_column(String(300))


class ScheduleState(Base):
    """Last time slot for which a periodic job was queued (shared by all cron processes)."""

    __tablename__ = "schedule_state"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_slot_at: Mapped[dt.datetime]
