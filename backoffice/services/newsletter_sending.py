"""Sending a campaign: claim recipient rows, re-check them, send, record each one.

``send_campaign(campaign_id)`` is what the ``mail``-queue job ``tasks.newsletters.
send_campaign`` runs, on as many workers as are free:

1. claim a batch of due ``pending`` rows (``pending → sending``) with ``FOR UPDATE SKIP
   LOCKED``: parallel workers never take the same row; a full batch queues one more job so
   idle workers join in;
2. check the campaign is still sending and re-check consents, the suppression list and the
   list's unsubscribes (again at least every second while the batch runs): whoever may no
   longer get it is ``skipped``; a paused or cancelled campaign gives its rows back;
3. send each message within the campaign's pace and the mail server's rate, over one SMTP
   connection, and commit its outcome at once (``sent``, ``pending`` again with a backoff
   for 4xx, ``failed`` for 5xx).

Committing per message bounds duplicates: a worker killed mid-batch leaves at most the one
message it was handing over in doubt. The sweep puts rows a dead worker left in ``sending``
back, and the Message-ID (``<nl-<campaign>-<recipient>@…>``) is the same on every try.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from backoffice.extensions import db
from backoffice.mail.compose import build_email, domain_of, to_bytes
from backoffice.mail.ratelimit import RateLimiter
from backoffice.mail.transports import (
    Envelope,
    Outcome,
    SendResult,
    TransportDown,
    open_transport,
)
from backoffice.queue import defer, heartbeat, redis_connection
from backoffice.services import newsletter_audiences as audiences
from backoffice.services.newsletter_content import Personal, render
from backoffice.services.newsletter_links import UrlMaker
from backoffice.services.newsletter_pacing import Pacer
from backoffice.services.newsletter_preparing import compiled_for
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


# --- building ------------------------------------------------------------------------------


class Builder:
    """Turns a claimed row into the bytes to send (campaign data read once per job)."""

    def __init__(self, campaign: Campaign, compiled, link_ids: list[int]):
        config = current_app.config
        self.sender = config["MAIL_FROM"]
        self.domain = domain_of(self.sender)
        self.campaign_id = campaign.id
        self.compiled = compiled
        self.urls = UrlMaker(link_ids, campaign.track_opens)
        self.list_id = f"<list-{campaign.list_id}.{self.domain}>"

    def message_id(self, recipient_id: int) -> str:
        return f"<nl-{self.campaign_id}-{recipient_id}@{self.domain}>"

    def build(self, row: Claimed) -> bytes:
        person = Personal(
            row.email, row.name or "", row.company or "", row.points, row.code or "", row.id
        )
        urls = self.urls.for_recipient(row.id)
        mail = render(self.compiled, person, urls)
        message = build_email(
            sender=self.sender,
            to=row.email,
            to_name=row.name,
            subject=mail.subject,
            html=mail.html,
            text=mail.text,
            message_id=self.message_id(row.id),
            date=utcnow(),
            headers={
                "List-Unsubscribe": f"<{urls.unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "List-Id": self.list_id,
                "Precedence": "bulk",
            },
            inline=False,
        )
        return to_bytes(message)


# --- recording ------------------------------------------------------------------------------


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


# --- the sending loop ---------------------------------------------------------------------


class Run:
    """One sending job: a transport, the limits and the counters."""

    def __init__(self, campaign: Campaign, compiled, link_ids: list[int]):
        config = current_app.config
        redis = redis_connection()
        self.campaign_id = campaign.id
        self.list_id = campaign.list_id
        self.builder = Builder(campaign, compiled, link_ids)
        self.pacer = Pacer(campaign.id, campaign.rate_per_hour, redis)
        self.limiter = RateLimiter("email", config.get("MAIL_RATE_PER_SECOND") or 0, redis)
        url = config["MAIL_URL"]
        self.url = url.rstrip("/") + "/newsletters" if url.startswith("file://") else url
        self.transport = None
        self.stats = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0, "postponed": 0}
        self.recheck_every = float(setting("NEWSLETTER_RECHECK_EVERY"))
        self.keep_alive_every = max(0.5, float(setting("NEWSLETTER_STUCK_AFTER")) / 4)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def check(self, rows: list[Claimed]) -> list[Claimed] | None:
        """Rows still allowed (others skipped); None when the campaign stopped sending."""
        status = campaign_status(self.campaign_id)
        if status != CampaignStatus.SENDING:
            target = (
                RecipientStatus.CANCELLED
                if status == CampaignStatus.CANCELLED
                else RecipientStatus.PENDING
            )
            give_back([r.id for r in rows], target)
            return None
        allowed = audiences.still_allowed(self.list_id, [r.email for r in rows])
        refused = [r.id for r in rows if r.email not in allowed]
        skip(refused, "no longer allowed at send time (unsubscribed or no marketing consent)")
        self.stats["skipped"] += len(refused)
        db.session.commit()
        return [r for r in rows if r.email in allowed]

    def send_batch(self, rows: list[Claimed]) -> bool:
        """Send a claimed batch; False when the job must stop (paused, cancelled, outage)."""
        todo = self.check(rows)
        if todo is None:
            return False
        checked = touched = time.monotonic()
        for position, row in enumerate(todo):
            now = time.monotonic()
            if now - checked >= self.recheck_every:
                rest = self.check(todo[position:])
                if rest is None:
                    return False
                todo[position:] = rest
                checked = now
                if position >= len(todo):
                    break
                row = todo[position]
            if now - touched >= self.keep_alive_every:
                self._keep_alive([r.id for r in todo[position:]])
                touched = now
            self.pacer.wait()
            self.limiter.wait()
            if not self._send_one(row, todo[position:]):
                return False
        return True

    def _send_one(self, row: Claimed, rest: list[Claimed]) -> bool:
        try:
            data = self.builder.build(row)
        except Exception as exc:  # noqa: BLE001 - one bad recipient must not stop the campaign
            log.exception(
                "newsletter %s: cannot build the message for #%s", self.campaign_id, row.id
            )
            self.stats["failed"] += 1
            record(
                self.campaign_id,
                row,
                SendResult(Outcome.FAILED, None, f"cannot build the message: {exc}"),
            )
            return True
        try:
            if self.transport is None:
                self.transport = open_transport(
                    self.url, "email", timeout=current_app.config.get("SMTP_TIMEOUT", 30)
                )
            result = self.transport.send(
                Envelope(
                    row.id, row.email, data, self.builder.sender, self.builder.message_id(row.id)
                )
            )
        except TransportDown as exc:
            log.warning("newsletter %s: mail server down, postponing: %s", self.campaign_id, exc)
            postpone(self.campaign_id, rest, str(exc))
            self.stats["postponed"] += len(rest)
            return False
        self.stats[record(self.campaign_id, row, result)] += 1
        return True

    def _keep_alive(self, ids: list[int]) -> None:
        db.session.execute(
            update(CampaignRecipient)
            .where(
                CampaignRecipient.id.in_(ids), CampaignRecipient.status == RecipientStatus.SENDING
            )
            .values(claimed_at=utcnow())
        )
        db.session.commit()


def batch_size(campaign: Campaign) -> int:
    """Rows claimed at once: smaller for slow campaigns, so claims never sit long."""
    size = int(setting("NEWSLETTER_BATCH_SIZE"))
    if campaign.rate_per_hour:
        size = min(size, max(1, campaign.rate_per_hour // 360))
    return size


def send_campaign(campaign_id: int, budget: float | None = None) -> dict[str, int]:
    """Send the campaign's due rows until done or out of time (the job). Commits per message."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != CampaignStatus.SENDING:
        db.session.commit()
        return {}
    compiled, link_ids = compiled_for(campaign)
    size = batch_size(campaign)
    run = Run(campaign, compiled, link_ids)
    db.session.commit()
    deadline = time.monotonic() + (budget or float(setting("NEWSLETTER_SEND_BUDGET")))
    try:
        while time.monotonic() < deadline:
            rows = claim(campaign_id, size)
            if not rows:
                _when_nothing_due(campaign_id)
                break
            if len(rows) >= size:
                defer_send(campaign_id)  # more waiting: let another worker join in
                db.session.commit()
            if not run.send_batch(rows):
                break
            heartbeat()
        else:
            defer_send(campaign_id, suffix="-next")  # out of time: the next job carries on
            db.session.commit()
    finally:
        run.close()
    return run.stats


def _when_nothing_due(campaign_id: int) -> None:
    if finish_if_done(campaign_id):
        return
    due = next_due(campaign_id)
    if due is not None:
        delay = max(1.0, (due - utcnow()).total_seconds())
        defer_send(campaign_id, delay=delay)
        db.session.commit()
