"""Recording what happened to each message handed to a transport.

Every outcome is written (and committed) before the next message is sent: that is what
limits duplicates after a crash to the one message in flight. On PostgreSQL, outside a test
transaction, the common case — sent — is one autocommit statement (the message row's update
rides along as a data-modifying CTE of the attempt row's INSERT): one round trip per message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import Engine, insert, text, update

from backoffice.extensions import db
from backoffice.mail.transports import Outcome, SendResult
from backoffice.services.message_dispatch import (
    WORKER,
    Outgoing,
    defer_dispatch,
    retry_delay,
    setting,
)
from models.base import utcnow
from models.messaging import AttemptOutcome, Message, MessageAttempt, MessageStatus

#: psycopg parameter style: executed on the raw driver connection (the hot path).
SENT_SQL = (
    "WITH outcome AS (UPDATE messages SET status = 'sent', sent_at = %(at)s, provider_id ="
    " %(pid)s, provider_reply = %(reply)s, last_error = NULL WHERE id = %(id)s AND status ="
    " 'sending') INSERT INTO message_attempts (message_id, number, outcome, code, reply,"
    " worker, at, duration_ms) VALUES (%(id)s, %(number)s, 'sent', %(code)s, %(reply)s,"
    " %(worker)s, %(at)s, %(ms)s)"
)


class OutcomeWriter:
    """Writes outcomes for one dispatch job, one step behind the sender.

    ``submit`` starts writing a message's outcome and returns; ``flush`` waits until it is
    committed and must be called before the next message is handed to the transport — so
    the outcome of message *n* is durable before *n + 1* goes out (at most the one message
    in flight can be sent twice), while the next message is built during the write. On
    PostgreSQL outside a test transaction the write of a "sent" outcome is one autocommit
    statement on a connection of its own, run in a helper thread; otherwise it is done at
    once in the session. ``close()`` when the job ends.
    """

    def __init__(self):
        bind = db.session.get_bind()
        self.conn = None
        self.pool: ThreadPoolExecutor | None = None
        self.pending: Future | None = None
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            self.conn = bind.connect().execution_options(isolation_level="AUTOCOMMIT")
            if setting("MESSAGE_ASYNC_COMMIT"):
                # Visible to every session at once, so a killed worker still loses nothing;
                # only a crash of PostgreSQL itself could forget the last fraction of a
                # second of outcomes — those messages would then be sent again, not lost.
                self.conn.execute(text("SET synchronous_commit TO off"))
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outcomes")

    def submit(self, msg: Outgoing, result: SendResult, duration_ms: int | None) -> None:
        self.flush()
        if self.pool is not None and result.outcome == Outcome.SENT:
            params = {
                "id": msg.id,
                "at": utcnow(),
                "pid": result.provider_id,
                "reply": result.reply[:4000] or None,
                "number": msg.attempts,
                "code": result.code,
                "worker": WORKER,
                "ms": duration_ms,
            }
            self.pending = self.pool.submit(self._write_sent, params)
            return
        record_result(msg, result, duration_ms)

    def _write_sent(self, params: dict) -> None:
        with self.conn.connection.dbapi_connection.cursor() as cursor:
            cursor.execute(SENT_SQL, params)

    def flush(self) -> None:
        """Wait for the last outcome to be committed (re-raising its error, if any)."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True)
            if self.conn is not None:
                with contextlib.suppress(Exception):  # a broken connection is discarded anyway
                    self.conn.execute(text("RESET synchronous_commit"))
                self.conn.close()
            self.pool = self.conn = None


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
        worker=WORKER,
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
                worker=WORKER,
                at=now,
            )
            for m in batch
        ],
    )
    defer_dispatch(batch[0].channel, delay=delay)
    db.session.commit()
