"""The offer workflow: one function per transition (see OFFER_TRANSITIONS in models/offers.py).

draft → sent (``send_offer``) → accepted | partially accepted (``accept_offer``) | rejected
(``reject_offer``) | expired (``expire_offer``, daily job); draft/sent → cancelled
(``cancel_offer``); sent/rejected/expired → draft with a new version (``revise_offer``).

Customers answer one by one (each recipient has its own status); the offer's status sums
them up: accepted when someone accepted everything, partially accepted when someone accepted
a part, rejected when all rejected, expired when the rest expired, else still sent.
Functions never commit; they raise a ``DomainError`` with a readable message when they refuse.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import SYSTEM, Actor
from backoffice.errors import Conflict, InvalidTransition, ValidationFailed
from backoffice.extensions import db
from backoffice.services import offer_pricing as pricing
from backoffice.services.audit import record
from backoffice.services.offer_editing import copy_content, lock_offer, reprice, today
from models.base import utcnow
from models.offer_documents import DispatchStatus, OfferDispatch
from models.offer_lines import OfferAcceptedItem
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


# --- answers -------------------------------------------------------------------------------


def _lock_recipient(recipient: OfferRecipient) -> tuple[Offer, OfferRecipient]:
    offer = lock_offer(recipient.offer_id)
    db.session.refresh(recipient)
    return offer, recipient


def _check_answerable(offer: Offer, recipient: OfferRecipient, version_no: int | None, target):
    if recipient.status != S.SENT:
        raise _refuse(recipient, target)
    if offer.status not in (S.SENT, S.PARTIALLY_ACCEPTED, S.ACCEPTED):
        raise _refuse(offer, target)
    if version_no is not None and version_no != offer.current_version_no:
        raise Conflict(
            _("The offer has been changed since you opened it; please review the current version.")
        )
    if offer.valid_until < today():
        raise InvalidTransition(
            _("The offer expired on %(date)s.", date=offer.valid_until.isoformat())
        )


def accept_offer(
    actor: Actor,
    recipient: OfferRecipient,
    *,
    lines: dict[int, Decimal] | None = None,
    services: set[int] | None = None,
    version_no: int | None = None,
    note: str | None = None,
) -> OfferRecipient:
    """Sent → accepted (everything) or partially accepted (chosen lines and quantities).

    ``lines`` maps line ids to accepted quantities (None: every non-optional line in full and
    every service). Refuses quantities above the offer, outside whole packages, or nothing.
    """
    offer, recipient = _lock_recipient(recipient)
    _check_answerable(offer, recipient, version_no, S.ACCEPTED)
    version = offer.current_version
    items, full = _accepted_items(version, lines, services)
    target = S.ACCEPTED if full else S.PARTIALLY_ACCEPTED
    move_recipient(recipient, target)
    recipient.accepted_items = items
    rows = pricing.vat_rows(
        [(i.line.vat_rate if i.line else i.service_line.vat_rate, i.net_amount) for i in items]
    )
    recipient.accepted_net = sum((r.net for r in rows), Decimal("0.00"))
    recipient.accepted_gross = sum((r.gross for r in rows), Decimal("0.00"))
    _record_answer(actor, recipient, version, note)
    move_offer(offer, summary_status(offer), summary=True)
    record(
        actor,
        "offer.accept" if full else "offer.accept_part",
        offer,
        summary=_(
            "%(customer)s accepted net %(net)s.",
            customer=recipient.customer.name,
            net=recipient.accepted_net,
        ),
        changes={"recipient": recipient.customer_id, "version": version.number, "note": note},
    )
    _notify_rep(actor, offer, recipient, "offer.accepted")
    return recipient


def _accepted_items(version: OfferVersion, lines, services) -> tuple[list[OfferAcceptedItem], bool]:
    errors: dict[str, list[str]] = {}
    by_id = {ln.id: ln for ln in version.lines}
    if lines is None:
        lines = {ln.id: ln.quantity for ln in version.lines if not ln.optional}
        services = {s.id for s in version.services}
    items = []
    for line_id, qty in lines.items():
        line = by_id.get(int(line_id))
        if line is None:
            errors.setdefault("lines", []).append(_("This line is not part of the offer."))
            continue
        problem = _quantity_problem(line, Decimal(qty))
        if problem:
            errors.setdefault(f"lines.{line.id}", []).append(problem)
        elif qty > 0:
            net = pricing.accepted_net(line.net_amount, line.quantity, Decimal(qty))
            items.append(OfferAcceptedItem(line=line, quantity=Decimal(qty), net_amount=net))
    chosen = {int(s) for s in (services or set())}
    for service in version.services:
        if service.id in chosen:
            items.append(
                OfferAcceptedItem(
                    service_line=service, quantity=service.quantity, net_amount=service.net_amount
                )
            )
    if errors:
        raise ValidationFailed(_("Please correct the accepted quantities."), errors=errors)
    if not any(i.line is not None for i in items):
        raise ValidationFailed(_("Choose at least one line to accept."), field="lines")
    accepted = {i.line.id: i.quantity for i in items if i.line is not None}
    full = all(accepted.get(ln.id) == ln.quantity for ln in version.lines if not ln.optional)
    full = full and chosen >= {s.id for s in version.services}
    return items, full


def _quantity_problem(line, qty: Decimal) -> str | None:
    if qty < 0:
        return _("The quantity cannot be negative.")
    if qty > line.quantity:
        return _(
            "%(name)s: at most %(max)s can be accepted.",
            name=line.name,
            max=format(line.quantity.normalize(), "f"),
        )
    if line.package_quantity and qty % line.package_quantity:
        return _(
            "%(name)s: accept whole packages of %(size)s.",
            name=line.name,
            size=format(line.package_quantity.normalize(), "f"),
        )
    return None


def reject_offer(
    actor: Actor, recipient: OfferRecipient, *, reason: str, version_no: int | None = None
) -> OfferRecipient:
    """Sent → rejected, with the customer's reason (required)."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationFailed(_("Please tell us why you reject the offer."), field="reason")
    offer, recipient = _lock_recipient(recipient)
    _check_answerable(offer, recipient, version_no, S.REJECTED)
    move_recipient(recipient, S.REJECTED)
    recipient.accepted_items, recipient.accepted_net, recipient.accepted_gross = [], None, None
    _record_answer(actor, recipient, offer.current_version, reason[:5000])
    move_offer(offer, summary_status(offer), summary=True)
    record(
        actor,
        "offer.reject",
        offer,
        summary=_(
            "%(customer)s rejected: %(reason)s",
            customer=recipient.customer.name,
            reason=reason[:500],
        ),
        changes={"recipient": recipient.customer_id, "version": offer.current_version_no},
    )
    _notify_rep(actor, offer, recipient, "offer.rejected")
    return recipient


def _record_answer(actor: Actor, recipient: OfferRecipient, version: OfferVersion, note) -> None:
    recipient.responded_at = utcnow()
    recipient.responded_version_no = version.number
    recipient.responded_by = actor.label[:300]
    recipient.response_note = note


def _notify_rep(actor: Actor, offer: Offer, recipient: OfferRecipient, event: str) -> None:
    """Tell the rep by internal e-mail, unless the rep recorded the answer themself."""
    from backoffice.services.messaging import Recipient, notify
    from models.messaging import Purpose

    rep = offer.rep
    if rep is None or not rep.email or (actor.kind == "staff" and actor.id == rep.id):
        return
    base = current_app.config.get("BASE_URL", "")
    notify(
        actor,
        event,
        context={
            "offer_number": offer.number,
            "offer_title": offer.title or "",
            "customer_name": recipient.customer.name,
            "accepted_net": recipient.accepted_net,
            "accepted_gross": recipient.accepted_gross,
            "currency": offer.currency,
            "reason": recipient.response_note or "",
            "responded_by": recipient.responded_by,
            "status": recipient.status.value,
            "offer_url": f"{base}/admin/offers/details/?id={offer.id}",
        },
        related=offer,
        purpose=Purpose.INTERNAL,
        recipients=[Recipient(email=rep.email, name=rep.name, locale=rep.locale or "pl")],
    )


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
