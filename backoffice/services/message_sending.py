"""Sending the outbox: claim due messages, hand them to the transport, record each outcome.

``send_due_messages(channel)`` is what the ``tasks.messaging.dispatch`` job runs:

1. claim a batch of due ``queued`` rows (``queued → sending``) with one conditional UPDATE
   over ``SELECT … FOR UPDATE SKIP LOCKED``, so parallel workers never take the same row;
2. send them over one transport connection, each within the channel's rate limit;
3. after *each* message commit its outcome (``sent`` with the provider's id, back to
   ``queued`` with a backoff for 4xx/timeouts, ``failed`` for 5xx) and an attempt row.

Committing per message is what bounds duplicates: a worker killed mid-batch leaves at most
the one message it was sending in an unknown state; the sweep (``sweep_messages``) puts
stuck rows back in the queue. A full batch defers one more dispatch job, so idle workers join
a big backlog; the job stops after ``MESSAGE_DISPATCH_BUDGET`` seconds and leaves the rest
to that job.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, select, update

from backoffice.extensions import db
from backoffice.mail.compose import FileAttachment, build_email, make_message_id, to_bytes
from backoffice.mail.ratelimit import RateLimiter
from backoffice.mail.transports import (
    Envelope,
    Outcome,
    SendResult,
    Transport,
    TransportDown,
    open_transport,
)
from backoffice.queue import defer, heartbeat, redis_connection
from models.base import utcnow
from models.messaging import AttemptOutcome, Channel, Message, MessageAttempt, MessageStatus

log = logging.getLogger(__name__)

#: Settings of the sender and their defaults (override in the app config).
DEFAULTS = {
    "MESSAGE_BATCH_SIZE": 50,
    "MESSAGE_MAX_ATTEMPTS": 3,
    #: Seconds to wait after the 1st, 2nd, … failed try.
    "MESSAGE_RETRY_DELAYS": (60, 300, 1800),
    #: Seconds to wait when the server cannot be reached at all (not counted as a try).
    "MESSAGE_OUTAGE_DELAY": 60,
    #: A row claimed longer ago than this is taken to belong to a dead worker.
    "MESSAGE_STUCK_AFTER": 300,
    #: Queued messages older than this are given up ("expired").
    "MESSAGE_EXPIRE_HOURS": 72,
    #: Seconds one dispatch job keeps sending before it hands over to the next one.
    "MESSAGE_DISPATCH_BUDGET": 240,
    "SMTP_TIMEOUT": 30,
}
_WORKER = f"{socket.gethostname()}:{os.getpid()}"


def setting(name: str):
    """A sender setting from the app config, else its default."""
    return current_app.config.get(name, DEFAULTS.get(name))


def retry_delay(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed ones."""
    delays = list(setting("MESSAGE_RETRY_DELAYS"))
    return int(delays[min(max(attempts, 1), len(delays)) - 1])


def dispatch_key(channel: str) -> str:
    """The dedupe key of the pending dispatch job of a channel."""
    return f"dispatch-{channel}"


def defer_dispatch(channel: str, delay: float = 0, key_suffix: str = "") -> None:
    """Queue a dispatch job for the channel after commit (at most one pending per key)."""
    key = dispatch_key(channel) + ("-later" if delay else key_suffix)
    defer("tasks.messaging.dispatch", str(channel), queue="mail", key=key, delay=delay, timeout=300)


@dataclass(frozen=True)
class Outgoing:
    """The plain data of one claimed message (no ORM object survives the per-message commit)."""

    id: int
    channel: str
    recipient: str
    recipient_name: str | None
    subject: str | None
    body_html: str | None
    body_text: str
    attachments: list | None
    headers: dict | None
    attempts: int


# --- claiming ----------------------------------------------------------------------------


def claim_batch(channel: str, limit: int) -> list[Outgoing]:
    """Move up to ``limit`` due queued rows to ``sending`` for this worker; commits.

    The ids are locked first (``FOR UPDATE SKIP LOCKED``: parallel workers skip each
    other's rows) and then updated by id in the same transaction — an ``UPDATE … WHERE id IN
    (SELECT … LIMIT n)`` may be planned to touch more than ``n`` rows.
    """
    now = utcnow()
    due = db.session.scalars(
        select(Message.id)
        .where(
            Message.channel == channel,
            Message.status == MessageStatus.QUEUED,
            Message.next_attempt_at <= now,
        )
        .order_by(Message.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not due:
        db.session.commit()
        return []
    ids = (
        db.session.execute(
            update(Message)
            .where(Message.id.in_(due), Message.status == MessageStatus.QUEUED)
            .values(status=MessageStatus.SENDING, claimed_at=now, attempts=Message.attempts + 1)
            .returning(Message.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    if len(due) >= limit:
        defer_dispatch(channel)  # more waiting: let another worker join in
    columns = [getattr(Message, f) for f in Outgoing.__dataclass_fields__]
    rows = [
        Outgoing(*r)
        for r in db.session.execute(
            select(*columns).where(Message.id.in_(ids)).order_by(Message.id)
        )
    ]
    db.session.commit()
    return rows


# --- building ------------------------------------------------------------------------------


def envelope_for(msg: Outgoing) -> Envelope:
    """The bytes (e-mail) or text (SMS) to hand to the transport for one message."""
    config = current_app.config
    if msg.channel == Channel.SMS:
        return Envelope(msg.id, msg.recipient, msg.body_text, config["SMS_SENDER"])
    sender = config["MAIL_FROM"]
    header_id = make_message_id(msg.id, sender)
    email = build_email(
        sender=sender,
        to=msg.recipient,
        to_name=msg.recipient_name,
        subject=msg.subject or "",
        html=msg.body_html,
        text=msg.body_text,
        message_id=header_id,
        date=utcnow(),
        headers=msg.headers,
        attachments=[load_attachment(a) for a in msg.attachments or ()],
    )
    return Envelope(msg.id, msg.recipient, to_bytes(email), sender, header_id)


class AttachmentMissing(Exception):
    """A stored file a message should carry is not (yet) there."""


def load_attachment(spec: dict) -> FileAttachment:
    """Read an attachment from STORAGE_DIR (paths may not leave it)."""
    root = Path(current_app.config["STORAGE_DIR"]).resolve()
    path = (root / spec["path"]).resolve()
    if not path.is_relative_to(root):
        raise AttachmentMissing(f"attachment path outside storage: {spec['path']}")
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise AttachmentMissing(f"attachment {spec['path']} unreadable: {exc}") from exc
    return FileAttachment(spec.get("filename") or path.name, content, spec.get("mimetype") or "")


# --- sending -------------------------------------------------------------------------------


def send_due_messages(channel: str, budget: float | None = None) -> dict[str, int]:
    """Send every due queued message of ``channel`` (the dispatch job). Commits per message."""
    channel = Channel(channel)
    config = current_app.config
    url = config["SMS_URL"] if channel == Channel.SMS else config["MAIL_URL"]
    rate = config.get("SMS_RATE_PER_SECOND" if channel == Channel.SMS else "MAIL_RATE_PER_SECOND")
    limiter = RateLimiter(channel.value, rate or 0, redis_connection())
    deadline = time.monotonic() + (budget or setting("MESSAGE_DISPATCH_BUDGET"))
    stats = {"sent": 0, "retry": 0, "failed": 0, "postponed": 0}
    transport: Transport | None = None
    try:
        while time.monotonic() < deadline:
            batch = claim_batch(channel, int(setting("MESSAGE_BATCH_SIZE")))
            if not batch:
                break
            if transport is None:
                transport = open_transport(url, channel.value, timeout=setting("SMTP_TIMEOUT"))
            _send_batch(transport, batch, limiter, stats)
            heartbeat()
        else:
            defer_dispatch(channel)  # out of time: the next job carries on
            db.session.commit()
    finally:
        if transport is not None:
            transport.close()
    return stats


def _send_batch(transport, batch: list[Outgoing], limiter, stats: dict[str, int]) -> None:
    keep_alive = ClaimKeeper(batch)
    for position, msg in enumerate(batch):
        limiter.wait()
        keep_alive.touch(position)
        started = time.perf_counter()
        try:
            result = transport.send(envelope_for(msg))
        except TransportDown as exc:
            log.warning(
                "%s transport down, postponing %d message(s): %s",
                msg.channel,
                len(batch) - position,
                exc,
            )
            postpone(batch[position:], str(exc))
            stats["postponed"] += len(batch) - position
            return
        except AttachmentMissing as exc:
            result = SendResult(Outcome.RETRY, None, str(exc))
        except ValueError as exc:  # e.g. an address the e-mail library refuses
            result = SendResult(Outcome.FAILED, None, f"cannot build the message: {exc}")
        record_result(msg, result, int((time.perf_counter() - started) * 1000))
        stats[result.outcome.value] += 1


class ClaimKeeper:
    """Refreshes ``claimed_at`` of a batch's unsent rows while a slow batch runs.

    The sweep re-queues rows claimed longer than ``MESSAGE_STUCK_AFTER`` ago; rows of a
    batch that is still being worked through must not look abandoned.
    """

    def __init__(self, batch: list[Outgoing]):
        self.ids = [m.id for m in batch]
        self.every = max(0.5, float(setting("MESSAGE_STUCK_AFTER")) / 4)
        self.last = time.monotonic()

    def touch(self, position: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        db.session.execute(
            update(Message)
            .where(Message.id.in_(self.ids[position:]), Message.status == MessageStatus.SENDING)
            .values(claimed_at=utcnow())
        )
        db.session.commit()


def record_result(msg: Outgoing, result: SendResult, duration_ms: int | None = None) -> None:
    """Write one message's outcome and its attempt row; commits (bounds duplicates to one)."""
    now = utcnow()
    values: dict = {"provider_reply": result.reply[:4000] or None}
    outcome = AttemptOutcome(result.outcome.value)
    if result.outcome == Outcome.SENT:
        values.update(
            status=MessageStatus.SENT, sent_at=now, provider_id=result.provider_id, last_error=None
        )
    elif result.outcome == Outcome.RETRY and msg.attempts < setting("MESSAGE_MAX_ATTEMPTS"):
        delay = retry_delay(msg.attempts)
        values.update(
            status=MessageStatus.QUEUED,
            last_error=result.reply[:4000],
            next_attempt_at=now + dt.timedelta(seconds=delay),
        )
        defer_dispatch(msg.channel, delay=delay)
    else:
        outcome = AttemptOutcome.FAILED
        values.update(status=MessageStatus.FAILED, failed_at=now, last_error=result.reply[:4000])
    change = (
        update(Message)
        .where(Message.id == msg.id, Message.status == MessageStatus.SENDING)
        .values(**values)
    )
    attempt = insert(MessageAttempt).values(
        message_id=msg.id,
        number=msg.attempts,
        outcome=outcome,
        code=result.code,
        reply=result.reply[:4000],
        worker=_WORKER,
        at=now,
        duration_ms=duration_ms,
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # One round trip: the UPDATE rides along as a data-modifying CTE of the INSERT.
        db.session.execute(attempt.add_cte(change.cte("message_outcome")))
    else:
        db.session.execute(change)
        db.session.execute(attempt)
    db.session.commit()


def postpone(batch: list[Outgoing], reason: str) -> None:
    """The transport is down: put the rows back without counting a try; commits."""
    now = utcnow()
    delay = int(setting("MESSAGE_OUTAGE_DELAY"))
    ids = [m.id for m in batch]
    db.session.execute(
        update(Message)
        .where(Message.id.in_(ids), Message.status == MessageStatus.SENDING)
        .values(
            status=MessageStatus.QUEUED,
            attempts=Message.attempts - 1,
            last_error=reason[:4000],
            next_attempt_at=now + dt.timedelta(seconds=delay),
        )
    )
    db.session.execute(
        insert(MessageAttempt),
        [
            dict(
                message_id=m.id,
                number=m.attempts,
                outcome=AttemptOutcome.RETRY,
                reply=f"not tried, server unavailable: {reason}"[:4000],
                worker=_WORKER,
                at=now,
            )
            for m in batch
        ],
    )
    defer_dispatch(batch[0].channel, delay=delay)
    db.session.commit()
