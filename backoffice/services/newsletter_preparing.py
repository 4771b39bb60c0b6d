"""Writing a campaign's audience down when sending starts (the ``prepare_campaign`` job).

In one transaction: the content's snapshot (products, code details) and its links are
stored, the audience is computed with every rule, each recipient gets a row (with points
for personalisation) and — for a unique-code campaign — a distinct code of the loyalty batch
through the loyalty register's ``assign_codes``. Then the campaign is ``sending`` and the
first sending job is queued. Any refusal (too few free codes, nobody to send to) rolls all of
it back and leaves the campaign ``failed`` with the reason, to be fixed and started again.
"""

from __future__ import annotations

import hashlib
import logging

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.errors import DomainError, ValidationFailed
from backoffice.extensions import db
from backoffice.services import newsletter_audiences as audiences
from backoffice.services import newsletter_blocks as blocks_service
from backoffice.services.audit import record
from backoffice.services.discount_codes import CodeRecipient, assign_codes
from backoffice.services.newsletter_content import Compiled, compile_campaign
from backoffice.services.newsletter_lists import insert_ignoring
from backoffice.services.points_ledger import balances
from models.base import utcnow
from models.newsletters import (
    Campaign,
    CampaignLink,
    CampaignRecipient,
    CampaignStatus,
    RecipientStatus,
)

log = logging.getLogger(__name__)


def code_key(campaign_id: int, email: str) -> str:
    """The loyalty register's key of a recipient (hashed when the address is very long)."""
    key = f"newsletter:{campaign_id}:{email}"
    if len(key) <= 200:
        return key
    return f"newsletter:{campaign_id}:{hashlib.sha256(email.encode()).hexdigest()}"


def _codes(actor: Actor, campaign: Campaign, people: list[audiences.Candidate]) -> dict:
    batch = blocks_service.unique_code_batch(campaign.blocks)
    if batch is None:
        return {}
    keys = {p.email: code_key(campaign.id, p.email) for p in people}
    blocks_service.check_code_batch(batch, len(people))
    given = assign_codes(
        actor,
        batch,
        [CodeRecipient(keys[p.email], customer_id=p.customer_id, email=p.email) for p in people],
        source="newsletter",
    )
    return {email: given[key] for email, key in keys.items()}


def _points(people: list[audiences.Candidate]) -> dict[int, int]:
    ids = sorted({p.customer_id for p in people if p.customer_id is not None})
    found: dict[int, int] = {}
    for start in range(0, len(ids), 1000):
        found.update(balances(ids[start : start + 1000]))
    return found


def write_down(actor: Actor, campaign: Campaign) -> int:
    """Snapshot, links, recipients and codes of a campaign; returns the recipient count."""
    snap = blocks_service.snapshot(campaign.blocks)
    compiled = compile_campaign(campaign, snap)
    insert_ignoring(
        CampaignLink,
        [{"campaign_id": campaign.id, "url": u, "label": t} for u, t in compiled.links.items()],
        ["campaign_id", "url"],
    )
    people = audiences.audience(campaign).eligible
    if not people:
        raise ValidationFailed(_("Nobody in the audience may receive this campaign."))
    codes = _codes(actor, campaign, people)
    points = _points(people)
    rows = [
        {
            "campaign_id": campaign.id,
            "email": p.email,
            "name": (p.name or "")[:200] or None,
            "company": (p.company or "")[:300] or None,
            "customer_id": p.customer_id,
            "contact_id": p.contact_id,
            "source": p.source,
            "points": points.get(p.customer_id, 0) if p.customer_id is not None else None,
            "code": codes.get(p.email),
            "status": RecipientStatus.PENDING,
            "attempts": 0,
        }
        for p in people
    ]
    insert_ignoring(CampaignRecipient, rows, ["campaign_id", "email"])
    campaign.snapshot = snap
    campaign.recipient_count = len(rows)
    return len(rows)


def prepare_campaign(campaign_id: int, actor: Actor) -> str:
    """The job: write the audience down and start sending (idempotent); commits."""
    from backoffice.services.newsletter_rows import defer_send

    campaign = db.session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None or campaign.status != CampaignStatus.PREPARING:
        db.session.commit()
        return "skipped"
    try:
        with db.session.begin_nested():
            count = write_down(actor, campaign)
    except DomainError as exc:
        campaign.status = CampaignStatus.FAILED
        campaign.error = exc.message
        record(actor, "newsletter.fail", campaign, summary=exc.message)
        db.session.commit()
        return "failed"
    campaign.status = CampaignStatus.SENDING
    campaign.started_at = campaign.started_at or utcnow()
    campaign.error = None
    record(actor, "newsletter.start", campaign, summary=_("%(n)s recipients", n=count))
    defer_send(campaign.id)
    db.session.commit()
    return "sending"


# --- compiled campaigns, cached per worker -----------------------------------------------

_CACHE: dict[tuple[int, str], tuple[Compiled, list[int]]] = {}


def compiled_for(campaign: Campaign) -> tuple[Compiled, list[int]]:
    """The campaign's snapshot compiled with its tracked links (cached in this process)."""
    key = (campaign.id, (campaign.snapshot or {}).get("taken_at", ""))
    if key not in _CACHE:
        ids = dict(
            db.session.execute(
                select(CampaignLink.url, CampaignLink.id).where(
                    CampaignLink.campaign_id == campaign.id
                )
            ).all()
        )
        compiled = compile_campaign(campaign, campaign.snapshot, ids, pixel=campaign.track_opens)
        while len(_CACHE) >= 8:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (compiled, list(ids.values()))
    return _CACHE[key]
