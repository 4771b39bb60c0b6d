"""Recovering the outbox: rows a dead worker left in ``sending``, rows nobody dispatches.

``sweep_messages`` runs every minute from cron (``tasks.messaging.sweep``) and on demand
(``flask messages sweep``). With per-message commits in the sender, a row still in
``sending`` long after its claim belongs to a worker that died; at most the one message it
was handing over may already have gone out.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update

from backoffice.extensions import db
from backoffice.services.message_dispatch import defer_dispatch, setting
from models.base import utcnow
from models.messaging import (
    AttemptOutcome,
    Message,
    MessageAttempt,
    MessageStatus,
    status_is,
)


def sweep_messages() -> dict[str, int]:
    """Re-queue rows stuck in ``sending``, expire ancient ones, make sure due rows get a job.

    Run every minute by cron. A row claimed longer than ``MESSAGE_STUCK_AFTER`` ago belongs
    to a worker that died (killed between claim and status write); it goes back to the queue
    and may be sent twice — the one in-flight duplicate the design allows. Commits.
    """
    now = utcnow()
    stuck_before = now - dt.timedelta(seconds=int(setting("MESSAGE_STUCK_AFTER")))
    stuck = db.session.execute(
        select(Message.id, Message.attempts, Message.channel).where(
            status_is(MessageStatus.SENDING), Message.claimed_at < stuck_before
        )
    ).all()
    requeued = _requeue_stuck(stuck, stuck_before, now)
    expired = _expire_old(now)
    due_channels = db.session.scalars(
        select(Message.channel)
        .where(status_is(MessageStatus.QUEUED), Message.next_attempt_at <= now)
        .distinct()
    ).all()
    for channel in due_channels:
        # Its own key: a pending dispatch job may have checked the queue just before the
        # rows above were put back, and would then leave them for the next sweep.
        defer_dispatch(channel, key_suffix="-sweep")
    db.session.commit()
    return {"requeued": requeued, "expired": expired, "dispatched": len(due_channels)}


def _requeue_stuck(stuck, stuck_before: dt.datetime, now: dt.datetime) -> int:
    limit = int(setting("MESSAGE_MAX_ATTEMPTS")) + 2  # a message that kills workers stops
    count = 0
    for message_id, attempts, _channel in stuck:
        give_up = attempts >= limit
        changed = db.session.execute(
            update(Message)
            .where(
                Message.id == message_id,
                Message.status == MessageStatus.SENDING,
                Message.claimed_at < stuck_before,
            )
            .values(
                status=MessageStatus.FAILED if give_up else MessageStatus.QUEUED,
                failed_at=now if give_up else None,
                next_attempt_at=now,
                last_error="the worker stopped while sending (killed or lost); queued again"
                if not give_up
                else "the worker stopped while sending, repeatedly; given up",
            )
        ).rowcount
        if changed:
            db.session.execute(
                insert(MessageAttempt).values(
                    message_id=message_id,
                    number=attempts,
                    outcome=AttemptOutcome.LOST,
                    reply="no outcome recorded: the worker stopped",
                    worker=None,
                    at=now,
                )
            )
            count += 1
    return count


def _expire_old(now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(hours=int(setting("MESSAGE_EXPIRE_HOURS")))
    return db.session.execute(
        update(Message)
        .where(status_is(MessageStatus.QUEUED), Message.created_at < cutoff)
        .values(
            status=MessageStatus.FAILED,
            failed_at=now,
            last_error="not sent within the allowed time; given up",
        )
    ).rowcount
