"""A campaign's recipient rows: claiming them, giving them back, recording each outcome.

Every function here commits (each outcome on its own: that is what bounds duplicates to the
one message a killed worker was handing over). ``newsletter_sending`` runs the loop.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from backoffice.extensions import db
from backoffice.mail.transports import Outcome, SendResult
from backoffice.queue import defer
from models.base import utcnow
from models.newsletters import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus

log = logging.getLogger(__name__)

DEFAULTS = {
    "NEWSLETTER_BATCH_SIZE": 50,
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


def record(campaign_id: int, row: Claimed, result: SendResult) -> str:
    """Write one recipient's outcome; commits. Returns "sent", "retry" or "failed"."""
    now = utcnow()
    reply = (result.reply or "")[:2000]
    if result.outcome == Outcome.SENT:
        outcome = "sent"
        values = dict(
            status=RecipientStatus.SENT, sent_at=now, provider_id=result.provider_id, error=None
        )
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
    db.session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.id == row.id, CampaignRecipient.status == RecipientStatus.SENDING)
        .values(**values)
    )
    db.session.commit()
    return outcome


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
