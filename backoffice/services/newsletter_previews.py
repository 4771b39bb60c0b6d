"""Previews of a campaign as a chosen recipient, and test messages to given addresses.

A preview renders today's content (products read now) for a real person found by e-mail —
a member of the campaign's list or a customer's contact, with their name, company and
points — or for a sample person. Links are direct and nothing is tracked; a unique discount
code is shown as a sample (real codes are given only when the campaign is sent). Test
messages go through the communication module's outbox like any other e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services import messaging
from backoffice.services import newsletter_blocks as blocks_service
from backoffice.services.audit import record
from backoffice.services.message_events import register_event
from backoffice.services.newsletter_audiences import normalise
from backoffice.services.newsletter_content import SAMPLE, Mail, Personal, compile_campaign, render
from backoffice.services.newsletter_links import preview_urls
from backoffice.services.points_ledger import balance
from models.customers import Contact, Customer
from models.messaging import Purpose
from models.newsletters import Campaign, ListMember

MAX_TEST_ADDRESSES = 10
SAMPLE_CODE = "PRZYKLAD-7KQ2M9"

register_event(
    "newsletter.test",
    _l("Newsletter: test message to staff"),
    variables={
        "subject": _l("the newsletter's subject"),
        "html": _l("its HTML"),
        "text": _l("its text"),
    },
    channels=("email",),
    purpose=Purpose.INTERNAL,
)


@dataclass(frozen=True)
class Preview:
    """A rendered preview and whose data it shows."""

    mail: Mail
    person: Personal
    #: True when the person was found (else sample data).
    found: bool


def person_for(campaign: Campaign, email: str | None) -> tuple[Personal, bool]:
    """The personal data of ``email`` as the campaign would use it, else a sample person."""
    code = _code_for_preview(campaign)
    address = normalise(email)
    if address is None:
        return Personal(SAMPLE.email, SAMPLE.name, SAMPLE.company, SAMPLE.points, code), False
    member = db.session.scalar(
        select(ListMember).where(
            ListMember.list_id == campaign.list_id, ListMember.email == address
        )
    )
    if member is not None:
        return Personal(address, member.name or "", member.company or "", None, code), True
    contact = db.session.scalar(
        select(Contact).where(Contact.email.ilike(address)).order_by(Contact.id).limit(1)
    )
    if contact is not None:
        customer = contact.customer
        return Personal(address, contact.name, customer.name, balance(customer.id), code), True
    customer = db.session.scalar(
        select(Customer).where(Customer.email.ilike(address)).order_by(Customer.id).limit(1)
    )
    if customer is not None:
        return Personal(address, "", customer.name, balance(customer.id), code), True
    return Personal(address, SAMPLE.name, SAMPLE.company, SAMPLE.points, code), False


def _code_for_preview(campaign: Campaign) -> str:
    block = blocks_service.code_block(campaign.blocks or [])
    if block is None:
        return ""
    if block.get("mode") == "shared":
        return block.get("code") or ""
    return SAMPLE_CODE


def preview(campaign: Campaign, email: str | None = None) -> Preview:
    """The campaign as ``email`` (or a sample person) would get it today."""
    snap = blocks_service.snapshot(campaign.blocks or [])
    compiled = compile_campaign(campaign, snap)
    person, found = person_for(campaign, email)
    return Preview(render(compiled, person, preview_urls()), person, found)


def parse_addresses(raw: str) -> list[str]:
    """Addresses from a text (commas, semicolons, spaces or lines); ValidationFailed if bad."""
    words = [w for w in raw.replace(",", " ").replace(";", " ").split() if w]
    if not words:
        raise ValidationFailed(_("Enter at least one address."), field="addresses")
    bad = [w for w in words if normalise(w) is None]
    if bad:
        raise ValidationFailed(
            _("Invalid addresses: %(list)s", list=", ".join(bad[:5])), field="addresses"
        )
    addresses = list(dict.fromkeys(normalise(w) for w in words))
    if len(addresses) > MAX_TEST_ADDRESSES:
        raise ValidationFailed(
            _("At most %(n)s addresses at once.", n=MAX_TEST_ADDRESSES), field="addresses"
        )
    return addresses


def send_test(
    actor: Actor, campaign: Campaign, raw_addresses: str, as_email: str | None = None
) -> int:
    """Queue the campaign (as a chosen recipient) to up to ten addresses; returns how many."""
    addresses = parse_addresses(raw_addresses)
    shown = preview(campaign, as_email)
    rows = messaging.notify(
        actor,
        "newsletter.test",
        context={
            "subject": shown.mail.subject,
            "html": Markup(shown.mail.html),
            "text": shown.mail.text,
        },
        recipients=[messaging.Recipient(email=a) for a in addresses],
        related=campaign,
        purpose=Purpose.INTERNAL,
        channels=["email"],
    )
    record(actor, "newsletter.test", campaign, summary=", ".join(addresses))
    return len(rows)
