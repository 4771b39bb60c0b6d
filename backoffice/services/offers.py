"""The offer workflow: one function per transition (see OFFER_TRANSITIONS in models/offers.py).

draft → sent (``send_offer``) → accepted | partially accepted (``accept_offer``) | rejected
(``reject_offer``; both in offer_answers.py) | expired (``expire_offer``, daily job);
draft/sent → cancelled (``cancel_offer``); sent/rejected/expired → draft with a new version
(``revise_offer``).

Customers answer one by one (each recipient has its own status); the offer's status sums
them up: accepted when someone accepted everything, partially accepted when someone accepted
a part, rejected when all rejected, expired when the rest expired, else still sent.
Functions never commit; they raise a ``DomainError`` with a readable message when they refuse.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import SYSTEM, Actor
from backoffice.errors import InvalidTransition, ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from backoffice.services.offer_editing import copy_content, lock_offer, reprice, today
from models.base import utcnow
from models.offer_documents import DispatchStatus, OfferDispatch
from models.offers import (
    ACCEPTED_STATUSES,
    Offer,
    OfferRecipient,
    OfferStatus,
    OfferVersion,
)

S = OfferStatus


def status_label(status: OfferStatus) -> str:
    """The translated name of a status."""
    labels = {
        S.DRAFT: _("Draft"),
        S.SENT: _("Sent"),
        S.ACCEPTED: _("Accepted"),
        S.PARTIALLY_ACCEPTED: _("Partially accepted"),
        S.REJECTED: _("Rejected"),
        S.EXPIRED: _("Expired"),
        S.CANCELLED: _("Cancelled"),
    }
    return labels[OfferStatus(status)]


def _refuse(offer_or_recipient, target: OfferStatus) -> InvalidTransition:
    return InvalidTransition(
        _(
            "This is not possible for an offer that is %(status)s (wanted: %(target)s).",
            status=status_label(offer_or_recipient.status).lower(),
            target=status_label(target).lower(),
        )
    )


def move_offer(offer: Offer, target: OfferStatus, *, summary: bool = False) -> None:
    """Change the offer's status if the table allows it (a summary may leave it as it is)."""
    if summary and offer.status == target:
        return
    if not offer.may_move_to(target):
        raise _refuse(offer, target)
    offer.status = target


def move_recipient(recipient: OfferRecipient, target: OfferStatus) -> None:
    if not recipient.may_move_to(target):
        raise _refuse(recipient, target)
    recipient.status = target


def summary_status(offer: Offer) -> OfferStatus:
    """The offer's status implied by its recipients' answers."""
    statuses = [r.status for r in offer.active_recipients]
    if S.ACCEPTED in statuses:
        return S.ACCEPTED
    if S.PARTIALLY_ACCEPTED in statuses:
        return S.PARTIALLY_ACCEPTED
    if not statuses or S.SENT in statuses:
        return S.SENT
    if all(s == S.REJECTED for s in statuses):
        return S.REJECTED
    return S.EXPIRED


# --- sending -------------------------------------------------------------------------------


def check_sendable(offer: Offer) -> None:
    """Refuse to send an offer that has no lines, no customers or a past validity date."""
    version = offer.current_version
    errors: dict[str, list[str]] = {}
    if not any(not ln.optional for ln in version.lines):
        errors["lines"] = [_("Add at least one product line (not optional) before sending.")]
    if not offer.active_recipients:
        errors["recipients"] = [_("Choose at least one customer before sending.")]
    if offer.valid_until < today():
        errors["valid_until"] = [_("The validity date has passed; set a new one before sending.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)


def send_offer(actor: Actor, offer: Offer, *, publish: bool = True, email=None) -> Offer:
    """Draft → sent: freeze the current version, render its documents, publish, e-mail.

    ``email`` is an ``offer_sending.EmailChoice`` (None: no e-mail). Raises
    InvalidTransition unless the offer is a draft, ValidationFailed when it is incomplete.
    """
    from backoffice.services import offer_documents, offer_sending

    offer = lock_offer(offer.id)
    if not offer.may_move_to(S.SENT):
        raise _refuse(offer, S.SENT)
    check_sendable(offer)
    if email is not None:
        offer_sending.check_email_choice(offer, email, publish)
    elif not publish:
        raise ValidationFailed(
            _("Send the offer by e-mail, publish it in the portal, or both."), field="channels"
        )
    now = utcnow()
    version = offer.current_version
    reprice(version)
    version.sent_at, offer.sent_at = now, offer.sent_at or now
    move_offer(offer, S.SENT)
    for recipient in offer.active_recipients:
        move_recipient(recipient, S.SENT)
        recipient.sent_at = now
    if publish and offer.published_at is None:
        offer.published_at = now
    db.session.flush()
    offer_documents.request_documents(version)
    record(
        actor,
        "offer.send",
        offer,
        summary=_(
            "Version %(v)d sent to %(who)s.",
            v=version.number,
            who=", ".join(str(r.customer) for r in offer.active_recipients),
        ),
        changes={
            "version": version.number,
            "published": bool(offer.published_at),
            "email": email is not None,
        },
    )
    if email is not None:
        offer_sending.create_dispatch(actor, offer, version, email)
    return offer


# --- expiry, cancel, revise, publish -------------------------------------------------------


def expire_offer(actor: Actor, offer: Offer) -> Offer:
    """Customers who have not answered by the validity date: sent → expired."""
    offer = lock_offer(offer.id)
    pending = [r for r in offer.active_recipients if r.status == S.SENT]
    if offer.status not in (S.SENT, S.PARTIALLY_ACCEPTED, S.ACCEPTED) or not pending:
        raise _refuse(offer, S.EXPIRED)
    for recipient in pending:
        move_recipient(recipient, S.EXPIRED)
    move_offer(offer, summary_status(offer), summary=True)
    if offer.status == S.EXPIRED:
        offer.expired_at = utcnow()
    _cancel_dispatches(offer)
    record(
        actor,
        "offer.expire",
        offer,
        summary=_("Validity ended on %(date)s.", date=offer.valid_until.isoformat()),
    )
    return offer


def expire_due_offers(on: dt.date | None = None, actor: Actor = SYSTEM) -> int:
    """Expire every offer valid until before ``on`` (today) still waiting for answers."""
    on = on or today()
    ids = db.session.scalars(
        select(Offer.id)
        .join(OfferRecipient, OfferRecipient.offer_id == Offer.id)
        .where(Offer.valid_until < on, OfferRecipient.status == S.SENT)
        .distinct()
    ).all()
    for offer_id in ids:
        expire_offer(actor, db.session.get(Offer, offer_id))
    return len(ids)


def cancel_offer(actor: Actor, offer: Offer, reason: str | None = None) -> Offer:
    """Draft or sent → cancelled (withdrawn); answers already given are kept."""
    offer = lock_offer(offer.id)
    move_offer(offer, S.CANCELLED)
    for recipient in offer.recipients:
        if recipient.status in (S.DRAFT, S.SENT):
            move_recipient(recipient, S.CANCELLED)
    offer.cancelled_at, offer.cancel_reason = utcnow(), (reason or "").strip() or None
    _cancel_dispatches(offer)
    record(actor, "offer.cancel", offer, summary=offer.cancel_reason)
    return offer


def revise_offer(actor: Actor, offer: Offer) -> OfferVersion:
    """Sent, rejected or expired → draft with a new version copied from the current one.

    The earlier versions stay read-only with their documents.
    """
    offer = lock_offer(offer.id)
    if offer.status not in (S.SENT, S.REJECTED, S.EXPIRED) or not offer.may_move_to(S.DRAFT):
        raise _refuse(offer, S.DRAFT)
    if any(r.status in ACCEPTED_STATUSES for r in offer.recipients):
        raise InvalidTransition(
            _("A customer has accepted this offer; it can no longer be revised.")
        )
    current = offer.current_version
    version = OfferVersion(number=current.number + 1, revision=1, created_by=actor.label)
    offer.versions.append(version)
    copy_content(current, version)
    offer.current_version_no = version.number
    move_offer(offer, S.DRAFT)
    for recipient in offer.active_recipients:
        move_recipient(recipient, S.DRAFT)
    _cancel_dispatches(offer)
    db.session.flush()
    reprice(version)
    record(actor, "offer.revise", offer, summary=_("Version %(v)d started.", v=version.number))
    return version


def _cancel_dispatches(offer: Offer) -> None:
    for dispatch in db.session.scalars(
        select(OfferDispatch).where(
            OfferDispatch.offer_id == offer.id, OfferDispatch.status == DispatchStatus.WAITING
        )
    ):
        dispatch.status = DispatchStatus.CANCELLED


PUBLISHABLE = (S.SENT, S.ACCEPTED, S.PARTIALLY_ACCEPTED, S.REJECTED, S.EXPIRED)


def publish_offer(actor: Actor, offer: Offer) -> Offer:
    """Show a sent offer in its customers' portal."""
    offer = lock_offer(offer.id)
    if offer.status not in PUBLISHABLE:
        raise InvalidTransition(_("Only a sent offer can be published."))
    if offer.published_at is None:
        offer.published_at = utcnow()
        record(actor, "offer.publish", offer)
    return offer


def unpublish_offer(actor: Actor, offer: Offer) -> Offer:
    """Hide the offer from the portal again."""
    offer = lock_offer(offer.id)
    if offer.published_at is not None:
        offer.published_at = None
        record(actor, "offer.unpublish", offer)
    return offer


# The customers' answers live in offer_answers.py; re-exported for callers' convenience.
from backoffice.services.offer_answers import accept_offer, reject_offer  # noqa: E402, F401
