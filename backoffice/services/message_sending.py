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

import logging
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update

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
from backoffice.queue import heartbeat, redis_connection
from backoffice.services.message_dispatch import Outgoing, defer_dispatch, setting
from backoffice.services.message_outcomes import OutcomeWriter, postpone
from models.base import utcnow
from models.messaging import Channel, Message, MessageStatus, status_is

log = logging.getLogger(__name__)

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
            status_is(MessageStatus.QUEUED),
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
    writer = OutcomeWriter()
    try:
        while time.monotonic() < deadline:
            batch = claim_batch(channel, int(setting("MESSAGE_BATCH_SIZE")))
            if not batch:
                break
            if transport is None:
                transport = open_transport(url, channel.value, timeout=setting("SMTP_TIMEOUT"))
            _send_batch(transport, batch, limiter, stats, writer)
            heartbeat()
        else:
            defer_dispatch(channel)  # out of time: the next job carries on
            db.session.commit()
    finally:
        writer.close()
        if transport is not None:
            transport.close()
    return stats


def _send_batch(transport, batch: list[Outgoing], limiter, stats: dict[str, int], writer) -> None:
    keep_alive = ClaimKeeper(batch)
    for position, msg in enumerate(batch):
        limiter.wait()
        keep_alive.touch(position)
        started = time.perf_counter()
        try:
            envelope = envelope_for(msg)  # built while the previous outcome is written …
            # … which must be durable before this message's content goes (MAIL/RCPT may not).
            result = transport.send(envelope, ready=writer.flush)
        except TransportDown as exc:
            writer.flush()
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
        writer.submit(msg, result, int((time.perf_counter() - started) * 1000))
        stats[result.outcome.value] += 1
    writer.flush()


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
