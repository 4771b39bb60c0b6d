"""Newsletter campaigns: check, send now or at a set time, pause, resume, cancel. Every step
is one function here, used by the console, the API and the jobs; each checks the status
against ``CAMPAIGN_TRANSITIONS``, writes the audit log and defers jobs, and never commits.

Drafts (settings, blocks, copies) live in ``newsletter_drafts`` (re-exported here), content
blocks in ``newsletter_blocks``, the audience in ``newsletter_audiences``,
preparation and sending in ``newsletter_preparing`` / ``newsletter_sending``, what readers
do in ``newsletter_tracking``.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from backoffice.actors import Actor
from backoffice.errors import InvalidTransition, ValidationFailed
from backoffice.extensions import db
from backoffice.queue import defer
from backoffice.services import newsletter_audiences as audiences
from backoffice.services import newsletter_blocks as blocks_service
from backoffice.services.audit import record
from backoffice.services.newsletter_drafts import (  # noqa: F401 - the module's public names
    STATUS_LABELS,
    CampaignData,
    add_block,
    check_texts,
    create_campaign,
    delete_campaign,
    duplicate,
    move_block,
    remove_block,
    require_editable,
    samples,
    save_block,
    update_campaign,
)
from backoffice.services.newsletter_sandbox import check_source
from models.base import utcnow
from models.newsletters import (
    CAMPAIGN_TRANSITIONS,
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    RecipientStatus,
)

# --- checks before sending --------------------------------------------------------------


def check_ready(campaign: Campaign) -> audiences.Audience:
    """Everything needed to send, checked now; returns the audience. Raises ValidationFailed."""
    if not campaign.blocks:
        raise ValidationFailed(_("Add at least one block of content."))
    blocks_service.clean_blocks(campaign.blocks)
    check_texts(campaign.blocks)
    problem = check_source(campaign.subject, samples(), html=False)
    if problem:
        raise ValidationFailed(str(problem), field="subject")
    found = audiences.audience(campaign)
    if not found.count:
        raise ValidationFailed(_("Nobody in the audience may receive this campaign."))
    batch = blocks_service.unique_code_batch(campaign.blocks)
    if batch is not None:
        blocks_service.check_code_batch(batch, found.count)
    return found


# --- the workflow -----------------------------------------------------------------------


def _move(campaign: Campaign, target: CampaignStatus) -> CampaignStatus:
    db.session.refresh(campaign, with_for_update=True)
    current = campaign.status
    if target not in CAMPAIGN_TRANSITIONS[current]:
        raise InvalidTransition(
            _(
                "A campaign that is %(status)s cannot become %(target)s.",
                status=STATUS_LABELS[current],
                target=STATUS_LABELS[target],
            )
        )
    campaign.status = target
    return current


def send_now(actor: Actor, campaign: Campaign) -> int:
    """draft/failed/scheduled → preparing: the audience is written down by a job, then sent.
    Returns the audience count. Raises ValidationFailed / InvalidTransition."""
    found = check_ready(campaign)
    _start(actor, campaign)
    return found.count


def _start(actor: Actor, campaign: Campaign) -> None:
    _move(campaign, CampaignStatus.PREPARING)
    campaign.error = None
    campaign.scheduled_at = campaign.scheduled_at or utcnow()
    record(actor, "newsletter.send", campaign, summary=campaign.name)
    defer(
        "tasks.newsletters.prepare_campaign",
        campaign.id,
        actor.kind,
        actor.id,
        actor.label,
        queue="mail",
        key=f"newsletter-prepare-{campaign.id}",
        timeout=1800,
    )


def schedule(actor: Actor, campaign: Campaign, when: dt.datetime) -> int:
    """draft/failed → scheduled for ``when`` (aware, in the future, within a year)."""
    now = utcnow()
    if when.tzinfo is None or when <= now:
        raise ValidationFailed(_("Choose a time in the future."), field="scheduled_at")
    if when > now + dt.timedelta(days=366):
        raise ValidationFailed(_("Choose a time within a year."), field="scheduled_at")
    found = check_ready(campaign)
    _move(campaign, CampaignStatus.SCHEDULED)
    campaign.scheduled_at = when
    record(actor, "newsletter.schedule", campaign, summary=when.isoformat())
    return found.count


def unschedule(actor: Actor, campaign: Campaign) -> None:
    """scheduled → draft (to edit it or send it another time)."""
    _move(campaign, CampaignStatus.DRAFT)
    campaign.scheduled_at = None
    record(actor, "newsletter.unschedule", campaign)


def start_due(actor: Actor, now: dt.datetime | None = None) -> list[int]:
    """Start every scheduled campaign whose time has come (the periodic job); no commit."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Campaign).where(
            Campaign.status == CampaignStatus.SCHEDULED, Campaign.scheduled_at <= now
        )
    ).all()
    started = []
    for campaign in due:
        if campaign.status == CampaignStatus.SCHEDULED:
            _start(actor, campaign)
            started.append(campaign.id)
    return started


def pause(actor: Actor, campaign: Campaign) -> None:
    """sending → paused: workers give their rows back within a second."""
    _move(campaign, CampaignStatus.PAUSED)
    record(actor, "newsletter.pause", campaign)


def resume(actor: Actor, campaign: Campaign) -> None:
    """paused → sending again from where it stopped."""
    from backoffice.services.newsletter_rows import defer_send

    _move(campaign, CampaignStatus.SENDING)
    record(actor, "newsletter.resume", campaign)
    defer_send(campaign.id)


def cancel(actor: Actor, campaign: Campaign) -> int:
    """Stop for good; rows not sent yet become ``cancelled``. Returns how many."""
    _move(campaign, CampaignStatus.CANCELLED)
    campaign.finished_at = utcnow()
    count = db.session.execute(
        update(CampaignRecipient)
        .where(
            CampaignRecipient.campaign_id == campaign.id,
            CampaignRecipient.status == RecipientStatus.PENDING,
        )
        .values(status=RecipientStatus.CANCELLED)
    ).rowcount
    record(actor, "newsletter.cancel", campaign, summary=_("%(n)s not sent", n=count))
    return count


def progress(campaign_id: int) -> dict[str, int]:
    """Recipient rows per status, with the total and the percentage done."""
    counts = dict(
        db.session.execute(
            select(CampaignRecipient.status, func.count())
            .where(CampaignRecipient.campaign_id == campaign_id)
            .group_by(CampaignRecipient.status)
        ).all()
    )
    out = {s.value: int(counts.get(s, 0)) for s in RecipientStatus}
    total = sum(out.values())
    done = total - out["pending"] - out["sending"]
    out["total"] = total
    out["done"] = done
    out["percent"] = 100 if not total else done * 100 // total
    return out
