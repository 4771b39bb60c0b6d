"""What readers do with a newsletter: open it, click its links, unsubscribe, change their
preferences — and what mail servers report back (bounces, complaints).

Every action is a ``CampaignEvent`` and sets the recipient's first ``opened_at`` /
``clicked_at`` / ``unsubscribed_at`` with a conditional update (a click counts as an open
too: many readers block images). Unsubscribing works at once: leaving the list marks the
address as gone from it, leaving all marketing withdraws the consent and puts the address on
the suppression list; sending jobs check both before every batch. Nothing here commits.
"""

from __future__ import annotations

import re

from sqlalchemy import select, update

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.services import consents
from backoffice.services.newsletter_links import verify
from backoffice.services.newsletter_lists import (
    has_left,
    is_member,
    join_list,
    leave_list,
    public_lists,
)
from models.base import utcnow
from models.consents import ConsentSource
from models.messaging import Channel, Purpose, Suppression, SuppressionReason
from models.newsletters import (
    Campaign,
    CampaignEvent,
    CampaignLink,
    CampaignRecipient,
    EventKind,
    NewsletterList,
)

_OUR_ID = re.compile(r"<nl-(\d+)-(\d+)@[^>]+>")


def recipient_for(recipient_id: int, purpose: str, signature: str, link_id: int = 0):
    """The recipient a signed link names, or None when the signature does not match."""
    if not verify(purpose, recipient_id, signature, link_id):
        return None
    return db.session.get(CampaignRecipient, recipient_id)


def _event(recipient: CampaignRecipient, kind: EventKind, link_id=None, detail=None) -> None:
    db.session.add(
        CampaignEvent(
            campaign_id=recipient.campaign_id,
            recipient_id=recipient.id,
            kind=kind,
            link_id=link_id,
            detail=detail,
            at=utcnow(),
        )
    )


def _first(recipient: CampaignRecipient, column: str) -> bool:
    """Set a first-time column if still empty; True when this call set it."""
    attr = getattr(CampaignRecipient, column)
    done = db.session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.id == recipient.id, attr.is_(None))
        .values({column: utcnow()})
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(done)


def record_open(recipient: CampaignRecipient) -> bool:
    """The pixel was loaded; True for the first open."""
    _event(recipient, EventKind.OPEN)
    return _first(recipient, "opened_at")


def click_target(recipient: CampaignRecipient, link_id: int) -> str | None:
    """Record a click and return the link's URL (None: not a link of this campaign)."""
    link = db.session.get(CampaignLink, link_id)
    if link is None or link.campaign_id != recipient.campaign_id:
        return None
    _event(recipient, EventKind.CLICK, link_id=link.id)
    _first(recipient, "clicked_at")
    _first(recipient, "opened_at")
    return link.url


def _actor(recipient: CampaignRecipient, ip: str | None) -> Actor:
    return Actor("anonymous", None, recipient.email, ip)


def unsubscribe(recipient: CampaignRecipient, scope: str, ip: str | None = None) -> None:
    """Leave the campaign's list (``list``) or every marketing e-mail (``all``)."""
    actor = _actor(recipient, ip)
    campaign = db.session.get(Campaign, recipient.campaign_id)
    leave_list(actor, campaign.list_id, recipient.email, source="unsubscribe")
    if scope == "all":
        _stop_marketing(actor, recipient)
    _event(recipient, EventKind.UNSUBSCRIBE, detail=scope)
    _first(recipient, "unsubscribed_at")


def _stop_marketing(actor: Actor, recipient: CampaignRecipient) -> None:
    consents.set_consent(
        actor,
        recipient.email,
        Channel.EMAIL,
        Purpose.MARKETING,
        False,
        source=ConsentSource.UNSUBSCRIBE,
        customer_id=recipient.customer_id,
        note=f"newsletter #{recipient.campaign_id}",
    )
    consents.suppress(
        actor,
        recipient.email,
        SuppressionReason.UNSUBSCRIBED,
        detail=f"newsletter #{recipient.campaign_id}",
    )


# --- preferences ----------------------------------------------------------------------------


def offered_lists(recipient: CampaignRecipient) -> list[NewsletterList]:
    """Public lists plus the campaign's own list."""
    lists = {lst.id: lst for lst in public_lists()}
    own = db.session.get(Campaign, recipient.campaign_id).newsletter_list
    lists.setdefault(own.id, own)
    return sorted(lists.values(), key=lambda lst: lst.name.lower())


def preferences(recipient: CampaignRecipient) -> tuple[dict[int, bool], bool]:
    """({list id: gets it}, gets marketing at all) for the preferences page."""
    own = db.session.get(Campaign, recipient.campaign_id).list_id
    state = {}
    for lst in offered_lists(recipient):
        left = has_left(lst.id, recipient.email)
        state[lst.id] = not left and (lst.id == own or is_member(lst.id, recipient.email))
    return state, consents.allows(recipient.email, Channel.EMAIL, Purpose.MARKETING)


def save_preferences(
    recipient: CampaignRecipient, wanted: set[int], marketing: bool, ip: str | None = None
) -> int:
    """Apply the page's choices; returns how many things changed."""
    actor = _actor(recipient, ip)
    state, allowed = preferences(recipient)
    changed = 0
    for lst in offered_lists(recipient):
        if lst.id in wanted and not state[lst.id]:
            join_list(actor, lst, recipient.email, source="preferences")
            changed += 1
        elif lst.id not in wanted and state[lst.id]:
            leave_list(actor, lst.id, recipient.email, source="preferences")
            changed += 1
    if allowed and not marketing:
        _stop_marketing(actor, recipient)
        _event(recipient, EventKind.UNSUBSCRIBE, detail="all")
        _first(recipient, "unsubscribed_at")
        changed += 1
    elif marketing and not allowed:
        _restart_marketing(actor, recipient)
        changed += 1
    return changed


def _restart_marketing(actor: Actor, recipient: CampaignRecipient) -> None:
    consents.set_consent(
        actor,
        recipient.email,
        Channel.EMAIL,
        Purpose.MARKETING,
        True,
        source=ConsentSource.UNSUBSCRIBE,
        customer_id=recipient.customer_id,
        note=f"newsletter preferences page (#{recipient.campaign_id})",
    )
    row = db.session.scalar(select(Suppression).where(Suppression.address == recipient.email))
    if row is not None and row.reason == SuppressionReason.UNSUBSCRIBED:
        consents.unsuppress(actor, recipient.email)


# --- delivery reports ---------------------------------------------------------------------


def handle_delivery_report(report, event) -> bool:
    """Attribute a bounce or complaint about one of our newsletters; True when it was ours.

    Called by the communication module for every stored report (``REPORT_HANDLERS``); the
    suppression list itself is kept by that module.
    """
    from models.messaging import DeliveryEventKind

    recipient = _reported_recipient(report, event)
    if recipient is None:
        return False
    kinds = {
        DeliveryEventKind.BOUNCED: ("bounced_at", EventKind.BOUNCE),
        DeliveryEventKind.COMPLAINED: ("complained_at", EventKind.COMPLAINT),
    }
    column, kind = kinds.get(report.kind, (None, None))
    if column and _first(recipient, column):
        _event(recipient, kind, detail=(report.status_code or "")[:300] or None)
    return True


def _reported_recipient(report, event) -> CampaignRecipient | None:
    match = _OUR_ID.search(getattr(report, "original_message_id", None) or "")
    if match:
        row = db.session.get(CampaignRecipient, int(match.group(2)))
        return row if row is not None and row.campaign_id == int(match.group(1)) else None
    if report.provider_id and getattr(event, "message_id", None) is None:
        return db.session.scalar(
            select(CampaignRecipient)
            .where(CampaignRecipient.provider_id == report.provider_id)
            .order_by(CampaignRecipient.id.desc())
            .limit(1)
        )
    return None
