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

import logging
import time

from flask import current_app

from backoffice.extensions import db
from backoffice.mail.ratelimit import RateLimiter
from backoffice.mail.transports import (
    Envelope,
    Outcome,
    SendResult,
    TransportDown,
    open_transport,
)
from backoffice.queue import heartbeat, redis_connection
from backoffice.services import newsletter_audiences as audiences
from backoffice.services.newsletter_mime import Builder, Prefetcher
from backoffice.services.newsletter_pacing import Pacer
from backoffice.services.newsletter_preparing import compiled_for
from backoffice.services.newsletter_rows import (  # noqa: F401 - public names
    DEFAULTS,
    Claimed,
    OutcomeWriter,
    campaign_status,
    claim,
    defer_send,
    finish_if_done,
    give_back,
    keep_alive,
    next_due,
    postpone,
    record,
    setting,
    skip,
)
from models.base import utcnow
from models.newsletters import Campaign, CampaignStatus, RecipientStatus

log = logging.getLogger(__name__)

# --- the sending loop ---------------------------------------------------------------------


class Run:
    """One sending job: a transport, the limits and the counters."""

    def __init__(self, campaign: Campaign, compiled, link_ids: list[int]):
        config = current_app.config
        redis = redis_connection()
        self.campaign_id = campaign.id
        self.list_id = campaign.list_id
        self.builder = Builder(campaign, compiled, link_ids)
        self.prefetch = Prefetcher(self.builder)
        self.pacer = Pacer(campaign.id, campaign.rate_per_hour, redis)
        self.limiter = RateLimiter("email", config.get("MAIL_RATE_PER_SECOND") or 0, redis)
        url = config["MAIL_URL"]
        self.url = url.rstrip("/") + "/newsletters" if url.startswith("file://") else url
        self.transport = None
        self.writer = OutcomeWriter()
        self.stats = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0, "postponed": 0}
        self.recheck_every = float(setting("NEWSLETTER_RECHECK_EVERY"))
        self.keep_alive_every = max(0.5, float(setting("NEWSLETTER_STUCK_AFTER")) / 4)

    def close(self) -> None:
        self.prefetch.close()
        if self.transport is not None:
            self.transport.close()
        self.writer.close()

    def check(self, rows: list[Claimed]) -> list[Claimed] | None:
        """Rows still allowed (others skipped); None when the campaign stopped sending."""
        self.writer.wait()
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
        position = 0
        while position < len(todo):
            now = time.monotonic()
            if now - checked >= self.recheck_every:
                rest = self.check(todo[position:])
                if rest is None:
                    return False
                todo[position:] = rest
                checked = now
                continue  # the rows left may be fewer
            if now - touched >= self.keep_alive_every:
                self.writer.wait()
                keep_alive([r.id for r in todo[position:]])
                touched = now
            self.pacer.wait()
            self.limiter.wait()
            if not self._send_one(todo, position):
                return False
            position += 1
        return True

    def _send_one(self, todo: list[Claimed], position: int) -> bool:
        row, rest = todo[position], todo[position:]
        try:
            data = self.prefetch.get(todo, position)
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
        self.writer.wait()  # the previous message's outcome is stored before this one goes
        try:
            if self.transport is None:
                self.transport = open_transport(
                    self.url, "email", timeout=current_app.config.get("SMTP_TIMEOUT", 30)
                )
            result = self.transport.send(
                Envelope(
                    row.id,
                    row.email,
                    data,
                    self.builder.envelope_sender,
                    self.builder.message_id(row.id),
                )
            )
        except TransportDown as exc:
            self.writer.wait()
            log.warning("newsletter %s: mail server down, postponing: %s", self.campaign_id, exc)
            postpone(self.campaign_id, rest, str(exc))
            self.stats["postponed"] += len(rest)
            return False
        self.stats[record(self.campaign_id, row, result, self.writer)] += 1
        return True


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
            run.writer.wait()
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
