"""Portal pages of the offers module: the company's published offers, their documents, and
accepting (whole, or chosen lines and quantities) or rejecting them.

Only users of the customer with the "may accept offers" permission see offers; another
company's offer or document answers 404. The answer goes through the same service
functions as in the console (which notify the rep).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.security import portal_required
from backoffice.services import offer_documents, offers
from backoffice.services.offer_editing import today
from models.offer_documents import OfferDocument
from models.offers import Offer, OfferRecipient, OfferStatus
from views.portal import nav_item, portal

PER_PAGE = 20


def may_see_offers(user) -> bool:
    return bool(getattr(user, "customer_id", None)) and bool(
        getattr(user, "can_accept_offers", False)
    )


def _offers_summary(user) -> str:
    waiting = db.session.scalar(
        select(func.count(OfferRecipient.id))
        .join(Offer, Offer.id == OfferRecipient.offer_id)
        .where(
            OfferRecipient.customer_id == user.customer_id,
            OfferRecipient.sent_at.is_not(None),
            Offer.published_at.is_not(None),
            OfferRecipient.status == OfferStatus.SENT,
        )
    )
    if not waiting:
        return _("No offers waiting for your answer.")
    return ngettext(
        "%(num)d offer is waiting for your answer.",
        "%(num)d offers are waiting for your answer.",
        waiting,
    )


nav_item(
    "portal.offers_list", _l("Offers"), order=20, visible=may_see_offers, summary=_offers_summary
)


def _check_user():
    if not may_see_offers(current_user):
        abort(403)


def _visible():
    """The company's recipients of published offers that were sent to it."""
    return (
        select(OfferRecipient)
        .join(Offer, Offer.id == OfferRecipient.offer_id)
        .where(
            OfferRecipient.customer_id == current_user.customer_id,
            OfferRecipient.sent_at.is_not(None),
            Offer.published_at.is_not(None),
        )
    )


def _recipient(offer_id: int) -> OfferRecipient:
    recipient = db.session.scalar(_visible().where(OfferRecipient.offer_id == offer_id))
    if recipient is None:
        abort(404)
    return recipient


def shown_version(recipient: OfferRecipient):
    """The version the customer sees: the current one once sent, else the last sent one."""
    sent = [v for v in recipient.offer.versions if v.is_frozen]
    current = recipient.offer.current_version
    return current if current.is_frozen else (sent[-1] if sent else None)


@portal.get("/offers")
@portal_required
def offers_list():
    """The company's offers, newest first."""
    _check_user()
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.scalars(
        _visible()
        .order_by(Offer.sent_at.desc(), Offer.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    return render_template(
        "portal/offers/list.html",
        rows=rows[:PER_PAGE],
        page=page,
        has_next=len(rows) > PER_PAGE,
        status_label=offers.status_label,
        title=_("Offers"),
    )


@portal.get("/offers/<int:offer_id>")
@portal_required
def offer_detail(offer_id: int):
    """One offer: lines, documents, and the acceptance form while it awaits an answer."""
    _check_user()
    recipient = _recipient(offer_id)
    version = shown_version(recipient)
    if version is None:
        abort(404)
    docs = [d for d in version.documents if d.recipient_id == recipient.id and d.is_current]
    offer = recipient.offer
    answerable = (
        recipient.status == OfferStatus.SENT
        and offer.current_version_no == version.number
        and offer.valid_until >= today()
    )
    return render_template(
        "portal/offers/detail.html",
        recipient=recipient,
        offer=offer,
        version=version,
        documents=docs,
        answerable=answerable,
        status_label=offers.status_label,
        title=_("Offer %(number)s", number=offer.number),
    )


@portal.get("/offers/<int:offer_id>/documents/<int:doc_id>")
@portal_required
def offer_document(offer_id: int, doc_id: int):
    """Download the company's own PDF or XLSX of a sent version."""
    _check_user()
    recipient = _recipient(offer_id)
    doc = db.session.get(OfferDocument, doc_id)
    if (
        doc is None
        or doc.recipient_id != recipient.id
        or not doc.version.is_frozen
        or not doc.is_current
    ):
        abort(404)
    return send_file(
        offer_documents.absolute_path(doc),
        mimetype=doc.mimetype,
        as_attachment=True,
        download_name=doc.filename,
    )


def _accepted_quantities(recipient: OfferRecipient):
    """Posted lines (checkbox + quantity) and services; None for "accept everything"."""
    form = request.form
    if form.get("scope") == "all":
        return None, None
    lines: dict[int, Decimal] = {}
    for line in recipient.offer.current_version.lines:
        if form.get(f"line_{line.id}") != "1":
            continue
        raw = (form.get(f"qty_{line.id}") or "").strip().replace(" ", "").replace(",", ".")
        try:
            lines[line.id] = Decimal(raw or "0")
        except InvalidOperation:
            lines[line.id] = Decimal("-1")  # the service refuses it with a clear message
    services = {int(s) for s in form.getlist("service") if s.isdigit()}
    return lines, services


@portal.post("/offers/<int:offer_id>/accept")
@portal_required
def offer_accept(offer_id: int):
    """Accept the whole offer or the chosen lines and quantities."""
    _check_user()
    recipient = _recipient(offer_id)
    lines, services = _accepted_quantities(recipient)
    try:
        offers.accept_offer(
            current_actor(),
            recipient,
            lines=lines,
            services=services,
            version_no=request.form.get("version", type=int),
            note=(request.form.get("note") or "").strip()[:2000] or None,
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _flash_errors(exc)
        return redirect(url_for("portal.offer_detail", offer_id=offer_id))
    flash(_("Thank you: your acceptance has been sent to your sales representative."), "success")
    return redirect(url_for("portal.offer_detail", offer_id=offer_id))


@portal.post("/offers/<int:offer_id>/reject")
@portal_required
def offer_reject(offer_id: int):
    """Reject the offer with a reason."""
    _check_user()
    recipient = _recipient(offer_id)
    try:
        offers.reject_offer(
            current_actor(),
            recipient,
            reason=request.form.get("reason", ""),
            version_no=request.form.get("version", type=int),
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _flash_errors(exc)
        return redirect(url_for("portal.offer_detail", offer_id=offer_id))
    flash(_("The offer has been rejected; your sales representative has been told."), "info")
    return redirect(url_for("portal.offer_detail", offer_id=offer_id))


def _flash_errors(exc: DomainError) -> None:
    flash(exc.message, "danger")
    for messages in (exc.errors or {}).values():
        for message in messages:
            if message != exc.message:
                flash(message, "danger")
