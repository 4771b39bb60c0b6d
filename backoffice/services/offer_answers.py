"""The customers' answers to an offer: sent → accepted (everything), partially accepted (chosen
lines and quantities) or rejected (with a reason). Each recipient answers once per version;
the offer's status then sums the answers up (``offers.summary_status``) and the rep is told
by internal e-mail."""

from __future__ import annotations

from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _

from backoffice.actors import Actor
from backoffice.errors import Conflict, InvalidTransition, ValidationFailed
from backoffice.extensions import db
from backoffice.services import offer_pricing as pricing
from backoffice.services.audit import record
from backoffice.services.offer_editing import lock_offer, today
from backoffice.services.offers import _refuse, move_offer, move_recipient, summary_status
from models.base import utcnow
from models.offer_lines import OfferAcceptedItem
from models.offers import Offer, OfferRecipient, OfferStatus, OfferVersion

S = OfferStatus


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
