"""Signing up for a newsletter with double opt-in (public form and the shop's API).

``subscribe`` records the sign-up (when, IP, browser, source, the consent wording shown)
and e-mails a confirmation link; nothing is granted yet. ``confirm`` — the person clicked
the link, proving the mailbox is theirs — records the marketing consent (with the sign-up's
and the confirmation's time and IP in its history), adds the address to the list and lifts
an earlier unsubscribe or hard-bounce suppression. Asking again for an address that is
already in gets no new e-mail, and nobody learns whether an address was on a list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services import consents, messaging
from backoffice.services.audit import record
from backoffice.services.message_events import register_event
from backoffice.services.newsletter_lists import default_list, is_member, join_list
from backoffice.validators import normalise_email
from models.base import utcnow
from models.consents import ConsentSource
from models.messaging import Channel, Purpose, Suppression, SuppressionReason
from models.newsletters import NewsletterList, Subscriber, SubscriberStatus

CONFIRM_SALT = "newsletter-confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600
#: A pending sign-up gets a new confirmation e-mail at most this often.
RESEND_AFTER = dt.timedelta(minutes=10)
#: Suppressions a confirmed sign-up lifts (a complaint or a manual block stays).
LIFTED_BY_OPT_IN = {SuppressionReason.UNSUBSCRIBED, SuppressionReason.HARD_BOUNCE}
SOURCES = {"signup_form": ConsentSource.SIGNUP_FORM, "api": ConsentSource.API}

register_event(
    "newsletter.confirm",
    _l("Newsletter: confirm the subscription (double opt-in)"),
    variables={
        "confirm_url": _l("the confirmation link"),
        "list_name": _l("the list's name"),
        "name": _l("the subscriber's name"),
    },
    channels=("email",),
)


@dataclass
class SignUp:
    """A sign-up as the form or the API gives it."""

    email: str
    name: str | None = None
    list_id: int | None = None
    locale: str = "pl"
    source: str = "signup_form"
    ip: str | None = None
    user_agent: str | None = None
    consent_text: str | None = None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)


def confirm_url(subscriber: Subscriber) -> str:
    token = _serializer().dumps([subscriber.id, subscriber.email])
    return f"{current_app.config['BASE_URL']}/newsletter/confirm/{token}"


def _list_for(list_id: int | None) -> NewsletterList:
    if list_id is None:
        return default_list()
    found = db.session.get(NewsletterList, list_id)
    if found is None or not found.public:
        raise ValidationFailed(_("There is no such newsletter."), field="list_id")
    return found


def _subscriber(list_id: int, email: str, source: str) -> Subscriber:
    query = select(Subscriber).where(Subscriber.list_id == list_id, Subscriber.email == email)
    row = db.session.scalar(query.with_for_update())
    if row is not None:
        return row
    row = Subscriber(list_id=list_id, email=email, source=source, requested_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalar(query.with_for_update())
    return row


def subscribe(actor: Actor, data: SignUp) -> Subscriber:
    """Record a sign-up and queue the confirmation e-mail (unless the address is in already).

    Raises ValidationFailed for a bad address or an unknown list. No commit.
    """
    if data.source not in SOURCES:
        raise ValueError(f"unknown sign-up source {data.source!r}")
    email = normalise_email(data.email, field="email")
    newsletter_list = _list_for(data.list_id)
    row = _subscriber(newsletter_list.id, email, data.source)
    if _already_in(row, newsletter_list.id):
        return row
    row.name = (data.name or "").strip()[:200] or row.name
    row.locale = data.locale if data.locale in ("pl", "en") else "pl"
    row.source, row.ip = data.source, (data.ip or "")[:45] or None
    row.user_agent = (data.user_agent or "")[:300] or None
    row.consent_text = data.consent_text or row.consent_text
    row.status = SubscriberStatus.PENDING
    now = utcnow()
    if row.confirmations_sent and row.requested_at and now - row.requested_at < RESEND_AFTER:
        return row  # a confirmation went out minutes ago: do not flood the mailbox
    row.requested_at = now
    row.confirmations_sent += 1
    db.session.flush()
    _send_confirmation(actor, row, newsletter_list)
    record(actor, "newsletter_subscriber.request", row, summary=f"{email} → {newsletter_list.name}")
    return row


def _already_in(row: Subscriber, list_id: int) -> bool:
    confirmed = row.status == SubscriberStatus.CONFIRMED
    return (
        confirmed
        and is_member(list_id, row.email)
        and consents.allows(row.email, Channel.EMAIL, Purpose.MARKETING)
    )


def _send_confirmation(actor: Actor, row: Subscriber, newsletter_list: NewsletterList) -> None:
    messaging.notify(
        actor,
        "newsletter.confirm",
        context={
            "confirm_url": confirm_url(row),
            "list_name": newsletter_list.name,
            "name": row.name or "",
        },
        recipients=[messaging.Recipient(email=row.email, name=row.name, locale=row.locale)],
        related=row,
        purpose=Purpose.TRANSACTIONAL,
        channels=["email"],
    )


def subscriber_for_token(token: str) -> Subscriber | None:
    """The sign-up a confirmation link names (None: tampered, expired or unknown)."""
    try:
        sub_id, email = _serializer().loads(token, max_age=CONFIRM_MAX_AGE)
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    row = db.session.get(Subscriber, sub_id) if isinstance(sub_id, int) else None
    return row if row is not None and row.email == email else None


def confirm(actor: Actor, subscriber: Subscriber) -> Subscriber:
    """pending → confirmed: consent recorded, member of the list; idempotent. No commit."""
    first = subscriber.status != SubscriberStatus.CONFIRMED
    subscriber.status = SubscriberStatus.CONFIRMED
    subscriber.confirmed_at = subscriber.confirmed_at if not first else utcnow()
    subscriber.confirm_ip = subscriber.confirm_ip if not first else actor.ip
    newsletter_list = subscriber.newsletter_list
    note = _(
        "double opt-in: signed up %(at)s from %(ip)s, confirmed from %(confirm_ip)s",
        at=subscriber.created_at.isoformat(timespec="seconds"),
        ip=subscriber.ip or "?",
        confirm_ip=actor.ip or "?",
    )
    consents.set_consent(
        actor,
        subscriber.email,
        Channel.EMAIL,
        Purpose.MARKETING,
        True,
        source=SOURCES.get(subscriber.source, ConsentSource.SIGNUP_FORM),
        note=note,
    )
    join_list(
        actor, newsletter_list, subscriber.email, source=subscriber.source, name=subscriber.name
    )
    suppression = db.session.scalar(
        select(Suppression).where(Suppression.address == subscriber.email)
    )
    if suppression is not None and suppression.reason in LIFTED_BY_OPT_IN:
        consents.unsuppress(actor, subscriber.email)
    if first:
        record(actor, "newsletter_subscriber.confirm", subscriber, summary=subscriber.email)
    return subscriber
