"""Newsletter drafts: settings and content blocks, checked and audited, copied, deleted.

Only drafts (and failed campaigns) may change; each text is checked when saved (the other
blocks may still be unfinished — everything is checked again before sending). Nothing here
commits.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backoffice.actors import Actor
from backoffice.errors import InvalidTransition, ValidationFailed
from backoffice.extensions import db
from backoffice.services import newsletter_blocks as blocks_service
from backoffice.services.audit import diff, record
from backoffice.services.newsletter_content import EMPTY, SAMPLE
from backoffice.services.newsletter_lists import default_list
from backoffice.services.newsletter_sandbox import check_source, has_jinja
from models.newsletters import Campaign, CampaignStatus, NewsletterList, Segment

STATUS_LABELS = {
    CampaignStatus.DRAFT: _l("draft"),
    CampaignStatus.SCHEDULED: _l("scheduled"),
    CampaignStatus.PREPARING: _l("preparing"),
    CampaignStatus.SENDING: _l("sending"),
    CampaignStatus.PAUSED: _l("paused"),
    CampaignStatus.SENT: _l("sent"),
    CampaignStatus.CANCELLED: _l("called off"),
    CampaignStatus.FAILED: _l("failed"),
}
LOCALES = ("pl", "en")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: Most messages per hour a campaign may ask for (beyond it: as fast as the server allows).
MAX_RATE = 1_000_000


@dataclass
class CampaignData:
    """A campaign's settings as the console form or the API gives them."""

    name: str
    subject: str
    list_id: int | None = None
    preheader: str | None = None
    include_members: bool = True
    segment_id: int | None = None
    locale: str = "pl"
    primary_color: str = "#1d5fa8"
    track_opens: bool = True
    rate_per_hour: int | None = None


def _check_data(data: CampaignData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    data.name = (data.name or "").strip()[:200]
    data.subject = " ".join((data.subject or "").split())[:300]
    data.preheader = " ".join((data.preheader or "").split())[:300] or None
    if not data.name:
        errors["name"] = [_("Give the campaign a name.")]
    if not data.subject:
        errors["subject"] = [_("Write the subject of the e-mail.")]
    else:
        problem = check_source(data.subject, samples(), html=False)
        if problem:
            errors["subject"] = [str(problem)]
    if data.list_id is None or db.session.get(NewsletterList, data.list_id) is None:
        errors["list_id"] = [_("Choose the list the campaign is sent on.")]
    if data.segment_id is not None and db.session.get(Segment, data.segment_id) is None:
        errors["segment_id"] = [_("There is no such segment.")]
    if not data.include_members and data.segment_id is None:
        errors["include_members"] = [_("Send to the list's members, to a segment, or to both.")]
    if data.locale not in LOCALES:
        errors["locale"] = [_("Choose a language.")]
    if not _COLOR.match(data.primary_color or ""):
        errors["primary_color"] = [_("Enter a colour like #1d5fa8.")]
    if data.rate_per_hour is not None and not 1 <= data.rate_per_hour <= MAX_RATE:
        errors["rate_per_hour"] = [_("Enter a number from 1 to %(n)s.", n=MAX_RATE)]
    return errors


def samples() -> list[dict]:
    from backoffice.services.newsletter_content import base_context

    base = base_context("pl")
    return [
        {
            **base,
            "recipient": p.variables(),
            "code": p.code,
            "unsubscribe_url": "#",
            "preferences_url": "#",
        }
        for p in (SAMPLE, EMPTY)
    ]


def create_campaign(actor: Actor, data: CampaignData) -> Campaign:
    """A new draft; raises ValidationFailed naming the bad fields."""
    if data.list_id is None:
        data.list_id = default_list().id
    errors = _check_data(data)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    campaign = Campaign(**asdict(data), blocks=[], created_by=actor.label[:300])
    db.session.add(campaign)
    db.session.flush()
    record(actor, "newsletter.create", campaign, summary=campaign.name)
    return campaign


def require_editable(campaign: Campaign) -> None:
    """Raise InvalidTransition unless the campaign is a draft (or failed)."""
    if not campaign.editable:
        raise InvalidTransition(
            _(
                "A campaign that is %(status)s cannot be changed.",
                status=STATUS_LABELS[campaign.status],
            )
        )


def update_campaign(actor: Actor, campaign: Campaign, data: CampaignData) -> Campaign:
    """Change a draft's settings; raises ValidationFailed / InvalidTransition."""
    require_editable(campaign)
    errors = _check_data(data)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    for name, value in asdict(data).items():
        setattr(campaign, name, value)
    changes = diff(campaign)
    if changes:
        record(actor, "newsletter.update", campaign, changes=changes)
    return campaign


# --- blocks -----------------------------------------------------------------------------


def check_texts(blocks: list[dict]) -> None:
    """Render every personalised text with sample people; raise ValidationFailed if any fails."""
    errors: dict[str, list[str]] = {}
    people = samples()
    for index, block in enumerate(blocks):
        if block.get("type") == "text" and has_jinja(block.get("html")):
            problem = check_source(block["html"], people, html=True)
            if problem:
                errors[f"blocks.{index}.html"] = [str(problem)]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)


def add_block(actor: Actor, campaign: Campaign, kind: str) -> int:
    """Append a new block of the kind (with defaults); returns its index."""
    require_editable(campaign)
    block = blocks_service.new_block(kind)
    if kind == "code" and blocks_service.code_block(campaign.blocks or []):
        raise ValidationFailed(_("A newsletter can carry one discount code block."))
    campaign.blocks = [*(campaign.blocks or []), block]
    record(actor, "newsletter.blocks", campaign, summary=_("block added: %(kind)s", kind=kind))
    return len(campaign.blocks) - 1


def save_block(actor: Actor, campaign: Campaign, index: int, raw: dict) -> None:
    """Replace block ``index`` with the checked ``raw`` one (errors: ``blocks.<n>.<field>``).

    Only this block is checked: the others may still be unfinished drafts (everything is
    checked before sending).
    """
    require_editable(campaign)
    blocks = list(campaign.blocks or [])
    if not 0 <= index < len(blocks):
        raise ValidationFailed(_("There is no such block."))
    try:
        block = blocks_service.clean_block({**raw, "type": blocks[index]["type"]})
        check_texts([block])
    except ValidationFailed as exc:
        errors = {f"blocks.{index}.{k.rpartition('.')[2]}": v for k, v in exc.errors.items()}
        raise ValidationFailed(exc.message, errors=errors) from exc
    blocks[index] = block
    campaign.blocks = blocks
    record(actor, "newsletter.blocks", campaign, summary=_("block %(n)s saved", n=index + 1))


def move_block(actor: Actor, campaign: Campaign, index: int, delta: int) -> None:
    """Move a block up (-1) or down (+1)."""
    require_editable(campaign)
    blocks = list(campaign.blocks or [])
    target = index + delta
    if not (0 <= index < len(blocks) and 0 <= target < len(blocks)):
        return
    blocks[index], blocks[target] = blocks[target], blocks[index]
    campaign.blocks = blocks
    record(actor, "newsletter.blocks", campaign, summary=_("block %(n)s moved", n=index + 1))


def remove_block(actor: Actor, campaign: Campaign, index: int) -> None:
    """Delete a block."""
    require_editable(campaign)
    blocks = list(campaign.blocks or [])
    if 0 <= index < len(blocks):
        del blocks[index]
        campaign.blocks = blocks
        record(actor, "newsletter.blocks", campaign, summary=_("block %(n)s removed", n=index + 1))


def duplicate(actor: Actor, campaign: Campaign) -> Campaign:
    """A new draft with the same settings and content."""
    copy = Campaign(
        name=_("Copy of %(name)s", name=campaign.name)[:200],
        subject=campaign.subject,
        preheader=campaign.preheader,
        locale=campaign.locale,
        list_id=campaign.list_id,
        include_members=campaign.include_members,
        segment_id=campaign.segment_id,
        blocks=list(campaign.blocks or []),
        primary_color=campaign.primary_color,
        track_opens=campaign.track_opens,
        rate_per_hour=campaign.rate_per_hour,
        created_by=actor.label[:300],
    )
    db.session.add(copy)
    db.session.flush()
    record(actor, "newsletter.create", copy, summary=_("copy of #%(id)s", id=campaign.id))
    return copy


def delete_campaign(actor: Actor, campaign: Campaign) -> None:
    """Remove a draft that was never sent."""
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.FAILED) or campaign.started_at:
        raise InvalidTransition(_("Only drafts that were never sent can be deleted."))
    record(actor, "newsletter.delete", campaign, summary=campaign.name)
    db.session.delete(campaign)
