"""The newsletter sweep (every minute from cron, ``tasks.newsletters.sweep``).

* scheduled campaigns whose time has come start (``preparing``);
* recipient rows left in ``sending`` longer than ``NEWSLETTER_STUCK_AFTER`` belong to a
  worker that died: they go back to ``pending`` (the one message that worker was handing
  over may already have gone out — the duplicate the design allows, with the same
  Message-ID);
* every sending campaign with due rows gets a sending job, one that has none left is
  marked sent, and a campaign in ``preparing`` for five minutes gets its job again (the
  job does nothing when another one got there first);
* uploads of list imports older than a day are deleted.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update

from backoffice.actors import SYSTEM
from backoffice.extensions import db
from backoffice.queue import defer
from backoffice.services.newsletter_imports import drop_old_uploads
from backoffice.services.newsletter_rows import defer_send, finish_if_done, setting
from backoffice.services.newsletters import start_due
from models.base import utcnow
from models.newsletters import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus


def release_stuck(now: dt.datetime | None = None) -> int:
    """Rows claimed by a dead worker back to pending (a row that keeps killing workers
    fails after a few rounds); returns how many were released."""
    now = now or utcnow()
    before = now - dt.timedelta(seconds=int(setting("NEWSLETTER_STUCK_AFTER")))
    stuck = (
        update(CampaignRecipient)
        .where(
            CampaignRecipient.status == RecipientStatus.SENDING,
            CampaignRecipient.claimed_at < before,
        )
        .execution_options(synchronize_session=False)
    )
    limit = int(setting("NEWSLETTER_MAX_ATTEMPTS")) + 2
    db.session.execute(
        stuck.where(CampaignRecipient.attempts >= limit).values(
            status=RecipientStatus.FAILED,
            error="the worker stopped while sending, repeatedly; given up",
        )
    )
    return db.session.execute(
        stuck.values(
            status=RecipientStatus.PENDING,
            claimed_at=None,
            next_attempt_at=now,
            error="the worker stopped while sending (killed or lost); queued again",
        )
    ).rowcount


def _due_campaigns(now: dt.datetime) -> list[int]:
    due_rows = (
        select(CampaignRecipient.id)
        .where(
            CampaignRecipient.campaign_id == Campaign.id,
            CampaignRecipient.status == RecipientStatus.PENDING,
            or_(
                CampaignRecipient.next_attempt_at.is_(None),
                CampaignRecipient.next_attempt_at <= now,
            ),
        )
        .exists()
    )
    return list(
        db.session.scalars(
            select(Campaign.id).where(Campaign.status == CampaignStatus.SENDING, due_rows)
        )
    )


def sweep_campaigns() -> dict[str, int]:
    """One pass of the sweep; commits."""
    now = utcnow()
    started = start_due(SYSTEM, now)
    released = release_stuck(now)
    due = _due_campaigns(now)
    for campaign_id in due:
        defer_send(campaign_id, suffix="-sweep")
    sending = db.session.scalars(
        select(Campaign.id).where(Campaign.status == CampaignStatus.SENDING)
    ).all()
    preparing = db.session.scalars(
        select(Campaign.id).where(
            Campaign.status == CampaignStatus.PREPARING,
            Campaign.updated_at < now - dt.timedelta(minutes=5),
        )
    ).all()
    for campaign_id in preparing:
        defer(
            "tasks.newsletters.prepare_campaign",
            campaign_id,
            queue="mail",
            key=f"newsletter-prepare-{campaign_id}",
            timeout=1800,
        )
    db.session.commit()
    finished = sum(1 for cid in sending if cid not in due and finish_if_done(cid))
    drop_old_uploads(now)
    return {
        "started": len(started),
        "released": released,
        "dispatched": len(due),
        "finished": finished,
    }
