"""Factories of the newsletter module: lists with members, consents, segments, campaigns."""

from __future__ import annotations

import itertools
from decimal import Decimal

from backoffice.actors import SYSTEM
from backoffice.extensions import db
from backoffice.services import consents
from models.consents import ConsentSource
from models.messaging import Channel, Purpose
from models.newsletters import Campaign, ListMember, MemberStatus, NewsletterList, Segment

_seq = itertools.count(1)

TEXT_BLOCK = {
    "type": "text",
    "title": "Wiosenne nowości",
    "html": "<p>Dzień dobry {{ recipient.first_name }}, firma {{ recipient.company }} ma "
    "{{ recipient.points }} pkt.</p>",
    "button_label": "Do sklepu",
    "button_url": "https://sklep.example.pl/wiosna?utm=nl&x=1",
}


def make_list(**overrides) -> NewsletterList:
    n = next(_seq)
    row = NewsletterList(name=overrides.pop("name", f"Lista „Nowości” {n}"), **overrides)
    db.session.add(row)
    db.session.flush()
    return row


def grant(email: str, granted: bool = True) -> None:
    """Record a marketing e-mail consent (or its withdrawal) for an address."""
    consents.set_consent(
        SYSTEM, email, Channel.EMAIL, Purpose.MARKETING, granted, source=ConsentSource.CONSOLE
    )


def add_members(newsletter_list, count: int, *, consent: bool = True, prefix: str = "osoba"):
    """``count`` subscribed members named Zażółć; with marketing consent unless told not."""
    emails = []
    for _ in range(count):
        n = next(_seq)
        email = f"{prefix}{n}@odbiorca.example.pl"
        db.session.add(
            ListMember(
                list_id=newsletter_list.id,
                email=email,
                name=f"Zażółć Gęślą {n}",
                company=f"Jaźń {n} sp. z o.o.",
                status=MemberStatus.SUBSCRIBED,
                source="console",
            )
        )
        if consent:
            grant(email)
        emails.append(email)
    db.session.flush()
    return emails


def make_segment(**criteria) -> Segment:
    n = next(_seq)
    row = Segment(name=f"Segment {n}", criteria={"contacts": "all", **criteria})
    db.session.add(row)
    db.session.flush()
    return row


def make_campaign(newsletter_list=None, blocks=None, **overrides) -> Campaign:
    """A draft with one personalised text block (unless ``blocks`` says otherwise)."""
    n = next(_seq)
    newsletter_list = newsletter_list or make_list()
    campaign = Campaign(
        name=overrides.pop("name", f"Kampania {n}"),
        subject=overrides.pop("subject", "{{ recipient.first_name }}, nowości marca"),
        list_id=newsletter_list.id,
        blocks=[dict(TEXT_BLOCK)] if blocks is None else blocks,
        **overrides,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def make_code_batch(count: int = 20, **overrides):
    """A ready batch of discount codes (generated at once: small)."""
    from backoffice.services.discount_codes import BatchSpec, create_batch
    from models.discount_codes import DiscountKind

    spec = BatchSpec(
        name=overrides.pop("name", f"Newsletter {next(_seq)}"),
        count=count,
        kind=overrides.pop("kind", DiscountKind.PERCENT),
        value=overrides.pop("value", Decimal("10")),
        **overrides,
    )
    return create_batch(SYSTEM, spec)


def bulk_members(newsletter_list, count: int, *, prefix: str, consent: bool = True) -> list[str]:
    """Many members at once (test data): rows and consents written by bulk INSERTs."""
    from sqlalchemy import insert, select

    from models.base import utcnow
    from models.consents import Consent, ConsentChange

    now = utcnow()
    emails = [f"{prefix}{i:05d}@odbiorca.example.pl" for i in range(count)]
    db.session.execute(
        insert(ListMember),
        [
            {
                "list_id": newsletter_list.id,
                "email": e,
                "name": f"Zażółć {i}",
                "status": MemberStatus.SUBSCRIBED,
                "source": "import",
                "created_at": now,
            }
            for i, e in enumerate(emails)
        ],
    )
    if consent:
        db.session.execute(
            insert(Consent),
            [
                {"address": e, "channel": Channel.EMAIL, "purpose": Purpose.MARKETING,
                 "granted": True, "updated_at": now}
                for e in emails
            ],
        )  # fmt: skip
        ids = db.session.scalars(select(Consent.id).where(Consent.address.in_(emails))).all()
        db.session.execute(
            insert(ConsentChange),
            [
                {"consent_id": i, "granted": True, "at": now, "source": ConsentSource.IMPORT,
                 "actor_kind": "system", "actor_label": "test"}
                for i in ids
            ],
        )  # fmt: skip
    db.session.flush()
    return emails
