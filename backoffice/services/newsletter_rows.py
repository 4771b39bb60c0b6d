"""A campaign's recipient rows: claiming them, giving them back, recording each outcome.

Every function here commits (each outcome on its own: that is what bounds duplicates to the
one message a killed worker was handing over). ``newsletter_sending`` runs the loop.
"""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.engine import Connection

from backoffice.extensions import db
from backoffice.mail.transports import Outcome, SendResult
from backoffice.queue import defer
from models.base import utcnow
from models.newsletters import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus

log = logging.getLogger(__name__)

DEFAULTS = {
    "NEWSLETTER_BATCH_SIZE": 100,
    "NEWSLETTER_MAX_ATTEMPTS": 3,
    "NEWSLETTER_RETRY_DELAYS": (60, 300, 1800),
    "NEWSLETTER_OUTAGE_DELAY": 60,
    #: A row claimed longer ago than this belongs to a dead worker (the sweep frees it).
    "NEWSLETTER_STUCK_AFTER": 300,
    #: Seconds one job keeps sending before it hands over to the next one.
    "NEWSLETTER_SEND_BUDGET": 240,
    #: Seconds after which a running batch checks consents and the campaign status again.
    "NEWSLETTER_RECHECK_EVERY": 1.0,
}


def setting(name: str):
    """A sending setting from the app config, else its default."""
    return current_app.config.get(name, DEFAULTS[name])


def defer_send(campaign_id: int, delay: float = 0, suffix: str = "") -> None:
    """Queue a sending job for the campaign after commit (one pending per key)."""
    key = f"newsletter-send-{campaign_id}" + ("-later" if delay else suffix)
    defer(
        "tasks.newsletters.send_campaign",
        campaign_id,
        queue="mail",
        key=key,
        delay=delay,
        timeout=int(setting("NEWSLETTER_SEND_BUDGET")) + 60,
    )


@dataclass(frozen=True)
class Claimed:
    """The plain data of one claimed recipient (no ORM object outlives a commit)."""

    id: int
    email: str
    name: str | None
    company: str | None
    points: int | None
    code: str | None
    attempts: int


def claim(campaign_id: int, limit: int) -> list[Claimed]:
    """Move up to ``limit`` due pending rows to ``sending`` for this worker; commits."""
    now = utcnow()
    due = db.session.scalars(
        select(CampaignRecipient.id)
        .where(
            CampaignRecipient.campaign_id == campaign_id,
            CampaignRecipient.status == RecipientStatus.PENDING,
            or_(
                CampaignRecipient.next_attempt_at.is_(None),
                CampaignRecipient.next_attempt_at <= now,
            ),
        )
        .order_by(CampaignRecipient.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not due:
        db.session.commit()
        return []
    columns = [getattr(CampaignRecipient, f) for f in Claimed.__dataclass_fields__]
    rows = db.session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.id.in_(due), CampaignRecipient.status == RecipientStatus.PENDING)
        .values(
            status=RecipientStatus.SENDING,
            claimed_at=now,
            attempts=CampaignRecipient.attempts + 1,
        )
        .returning(*columns)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted((Claimed(*r) for r in rows), key=lambda r: r.id)


def campaign_status(campaign_id: int) -> CampaignStatus | None:
    """The campaign's status as committed now."""
    return db.session.scalar(select(Campaign.status).where(Campaign.id == campaign_id))


def give_back(ids: list[int], status: RecipientStatus = RecipientStatus.PENDING) -> None:
    """Return claimed rows (pause: pending, try not counted; cancel: cancelled); commits."""
    if not ids:
        return
    values = {"status": status, "claimed_at": None}
    if status == RecipientStatus.PENDING:
        values["attempts"] = CampaignRecipient.attempts - 1
    db.session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.id.in_(ids), CampaignRecipient.status == RecipientStatus.SENDING)
        .values(**values)
    )
    db.session.commit()


def skip(ids: list[int], reason: str) -> None:
    """Rows that may no longer be sent to (consent withdrawn, unsubscribed…); commits."""
    if not ids:
        return
    db.session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.id.in_(ids), CampaignRecipient.status == RecipientStatus.SENDING)
        .values(status=RecipientStatus.SKIPPED, error=reason)
    )
    db.session.commit()


def retry_delay(attempts: int) -> int:
    delays = list(setting("NEWSLETTER_RETRY_DELAYS"))
    return int(delays[min(max(attempts, 1), len(delays)) - 1])


class OutcomeWriter:
    """Writes a sent message's row in one round trip: on PostgreSQL an UPDATE on a connection
    of its own in autocommit mode, without the BEGIN and COMMIT round trips.

    That connection does not wait for the WAL flush (``synchronous_commit = off``): the
    update is visible to every other connection at once and survives any crash of the
    worker; only a crash of the PostgreSQL server itself within a fraction of a second
    could forget it, and then the row is sent once more (same Message-ID) — never lost.
    Waiting for the disk here would cost more than everything else a message needs.

    ``submit_sent`` writes in a helper thread while the next message is being built; ``wait``
    (called before the next message goes to the mail server, and before any other database
    work) makes sure it is done — so a killed worker still leaves at most one message in
    doubt.
    """

    def __init__(self):
        bound = db.session.bind
        self.conn = None
        self.raw = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        # Tests bind the session to one connection inside an outer transaction: use it.
        if not isinstance(bound, Connection) and db.engine.dialect.name == "postgresql":
            self.conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self.conn.exec_driver_sql("SET synchronous_commit TO off")
            self.raw = self.conn.connection.dbapi_connection
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="newsletter-outcomes")

    def execute(self, statement, params: dict | None = None) -> None:
        """Write now (after any write still running)."""
        self.wait()
        if self.conn is None:
            db.session.execute(statement, params)
            db.session.commit()
        else:
            self.conn.execute(statement, params)

    def submit_sent(self, recipient_id: int, sent_at, provider_id: str | None) -> None:
        """Start writing a sent message's outcome (the hot path: plain SQL on PostgreSQL)."""
        if self._pool is None:
            self.execute(
                _SENT, {"rid": recipient_id, "sent_at": sent_at, "provider_id": provider_id}
            )
            return
        self.wait()
        self._pending = self._pool.submit(
            self.raw.execute, _SENT_SQL, (sent_at, provider_id, recipient_id)
        )

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
            self._close_connection()

    def _close_connection(self) -> None:
        if self.conn is not None:
            conn, self.conn = self.conn, None
            try:
                conn.exec_driver_sql("RESET synchronous_commit")
            except Exception:  # noqa: BLE001 - never pool a connection with the setting left
                conn.invalidate()
            conn.close()


def record(
    campaign_id: int, row: Claimed, result: SendResult, writer: OutcomeWriter | None = None
) -> str:
    """Write one recipient's outcome; commits. Returns "sent", "retry" or "failed".

    A plain "sent" goes through ``writer`` when given (one round trip); the rest needs the
    session (a retry also queues a later job in the same transaction).
    """
    now = utcnow()
    reply = (result.reply or "")[:2000]
    if result.outcome == Outcome.SENT:
        outcome = "sent"
        values = dict(
            status=RecipientStatus.SENT, sent_at=now, provider_id=result.provider_id, error=None
        )
        if writer is not None:
            writer.submit_sent(row.id, now, result.provider_id)
            return outcome
    elif result.outcome == Outcome.RETRY and row.attempts < setting("NEWSLETTER_MAX_ATTEMPTS"):
        outcome, delay = "retry", retry_delay(row.attempts)
        values = dict(
            status=RecipientStatus.PENDING,
            error=reply,
            claimed_at=None,
            next_attempt_at=now + dt.timedelta(seconds=delay),
        )
        defer_send(campaign_id, delay=delay)
    else:
        outcome = "failed"
        values = dict(status=RecipientStatus.FAILED, error=reply or "failed")
    if writer is not None:
        writer.wait()
    db.session.execute(_outcome(row.id, values))
    db.session.commit()
    return outcome


#: A sent message's outcome as PostgreSQL gets it on the writer's own connection.
_SENT_SQL = (
    "UPDATE newsletter_recipients SET status = 'sent', sent_at = %s, provider_id = %s, "
    "error = NULL WHERE id = %s AND status = 'sending'"
)
#: The same for the session (other databases, tests), built once.
_SENT = (
    update(CampaignRecipient)
    .where(
        CampaignRecipient.id == bindparam("rid"),
        CampaignRecipient.status == RecipientStatus.SENDING,
    )
    .values(
        status=RecipientStatus.SENT,
        sent_at=bindparam("sent_at"),
        provider_id=bindparam("provider_id"),
        error=None,
    )
)


def _outcome(recipient_id: int, values: dict):
    return (
        update(CampaignRecipient)
        .where(
            CampaignRecipient.id == recipient_id,
            CampaignRecipient.status == RecipientStatus.SENDING,
        )
        .values(**values)
    )


def postpone(campaign_id: int, rows: list[Claimed], reason: str) -> None:
    """The mail server is unreachable: rows back to pending later, try not counted; commits."""
    delay = int(setting("NEWSLETTER_OUTAGE_DELAY"))
    db.session.execute(
        update(CampaignRecipient)
        .where(
            CampaignRecipient.id.in_([r.id for r in rows]),
            CampaignRecipient.status == RecipientStatus.SENDING,
        )
        .values(
            status=RecipientStatus.PENDING,
            attempts=CampaignRecipient.attempts - 1,
            claimed_at=None,
            error=reason[:2000],
            next_attempt_at=utcnow() + dt.timedelta(seconds=delay),
        )
    )
    defer_send(campaign_id, delay=delay)
    db.session.commit()


def finish_if_done(campaign_id: int) -> bool:
    """Mark a sending campaign sent when no row is waiting or being sent; commits."""
    open_rows = (
        select(CampaignRecipient.id)
        .where(
            CampaignRecipient.campaign_id == campaign_id,
            CampaignRecipient.status.in_((RecipientStatus.PENDING, RecipientStatus.SENDING)),
        )
        .exists()
    )
    done = db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SENDING, ~open_rows)
        .values(status=CampaignStatus.SENT, finished_at=utcnow())
    ).rowcount
    db.session.commit()
    return bool(done)


def next_due(campaign_id: int) -> dt.datetime | None:
    """When the earliest row waiting for a retry becomes due."""
    return db.session.scalar(
        select(func.min(CampaignRecipient.next_attempt_at)).where(
            and_(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.status == RecipientStatus.PENDING,
            )
        )
    )


def keep_alive(ids: list[int]) -> None:
    """Refresh the claim of rows a slow batch is still working through (the sweep frees
    rows claimed long ago); commits."""
    db.session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.id.in_(ids), CampaignRecipient.status == RecipientStatus.SENDING)
        .values(claimed_at=utcnow())
    )
    db.session.commit()
