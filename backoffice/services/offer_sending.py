"""E-mailing offers through the communication module, with their documents attached.

Sending records an ``OfferDispatch`` in the sending transaction. Its messages are written
to the register (``messaging.notify``) as soon as every attachment it needs is rendered:
right away when the documents are already current, else by the render job that finishes
the last one. A conditional update (waiting → queued) makes sure that happens once, however
many render jobs finish at the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from babel.numbers import format_currency
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from backoffice.actors import Actor
from backoffice.errors import InvalidTransition, ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from backoffice.services.messaging import Attachment, Recipient, notify, render_blocks
from models.base import utcnow
from models.offer_documents import DispatchStatus, DocumentKind, OfferDispatch
from models.offers import Offer, OfferRecipient, OfferStatus, OfferVersion

EVENT = "offer.sent"


@dataclass
class EmailChoice:
    """What the rep chose in the send dialog."""

    #: recipient id → e-mail addresses picked from ``address_options``.
    to: dict[int, list[str]] = field(default_factory=dict)
    attach_pdf: bool = True
    attach_xlsx: bool = False
    #: None keeps each recipient's language template.
    subject: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class AddressOption:
    email: str
    name: str
    contact_id: int | None
    preselected: bool


def address_options(recipient: OfferRecipient) -> list[AddressOption]:
    """The customer's own address and its contacts' addresses (offer contacts preselected)."""
    customer = recipient.customer
    out: list[AddressOption] = []
    if customer.email:
        out.append(AddressOption(customer.email.lower(), customer.name, None, True))
    chosen = set(recipient.contact_ids or [])
    for contact in customer.contacts:
        if contact.email and contact.email.lower() not in {o.email for o in out}:
            pre = contact.id in chosen if chosen else contact.receives_offers
            out.append(AddressOption(contact.email.lower(), contact.name, contact.id, pre))
    return out


def check_email_choice(offer: Offer, choice: EmailChoice, publish: bool) -> None:
    """Every address must be one of the customer's; nobody may end up receiving nothing."""
    errors: dict[str, list[str]] = {}
    for recipient in offer.active_recipients:
        allowed = {o.email for o in address_options(recipient)}
        picked = [a.lower() for a in choice.to.get(recipient.id, [])]
        if set(picked) - allowed:
            errors.setdefault(f"to.{recipient.id}", []).append(
                _("Choose addresses of this customer.")
            )
        if not picked and not publish:
            errors.setdefault(f"to.{recipient.id}", []).append(
                _(
                    "%(customer)s would receive nothing: choose an address "
                    "or publish the offer in the portal.",
                    customer=recipient.customer.name,
                )
            )
    if not any(choice.to.get(r.id) for r in offer.active_recipients):
        errors.setdefault("to", []).append(_("Choose at least one e-mail address."))
    if not (choice.attach_pdf or choice.attach_xlsx or publish):
        errors.setdefault("attachments", []).append(
            _("Attach the PDF or the XLSX, or publish the offer so the customer can open it.")
        )
    if choice.subject and len(choice.subject) > 300:
        errors.setdefault("subject", []).append(_("At most %(n)d characters.", n=300))
    if choice.message and len(choice.message) > 20000:
        errors.setdefault("message", []).append(_("At most %(n)d characters.", n=20000))
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)


def create_dispatch(
    actor: Actor, offer: Offer, version: OfferVersion, choice: EmailChoice
) -> OfferDispatch:
    """Record the e-mail sending; it goes out as soon as its documents are ready."""
    entries = []
    for recipient in offer.active_recipients:
        options = {o.email: o for o in address_options(recipient)}
        to = [options[a.lower()] for a in choice.to.get(recipient.id, []) if a.lower() in options]
        if to:
            entries.append(
                {
                    "recipient_id": recipient.id,
                    "to": [
                        {"email": o.email, "name": o.name, "contact_id": o.contact_id} for o in to
                    ],
                }
            )
    dispatch = OfferDispatch(
        offer_id=offer.id,
        version_id=version.id,
        attach_pdf=choice.attach_pdf,
        attach_xlsx=choice.attach_xlsx,
        subject=(choice.subject or "").strip() or None,
        message=(choice.message or "").strip() or None,
        recipients=entries,
        created_by=actor.label[:300],
        created_by_id=actor.id if actor.kind == "staff" else None,
    )
    db.session.add(dispatch)
    db.session.flush()
    deliver_dispatch(dispatch)
    return dispatch


def resend_offer(actor: Actor, offer: Offer, choice: EmailChoice) -> OfferDispatch:
    """E-mail the current sent version again (e.g. to another contact); no status change."""
    from backoffice.services.offer_documents import request_documents

    version = offer.current_version
    if offer.status in (OfferStatus.DRAFT, OfferStatus.CANCELLED) or not version.is_frozen:
        raise InvalidTransition(_("Only a sent offer can be e-mailed again."))
    check_email_choice(offer, choice, publish=True)
    request_documents(version)
    record(
        actor, "offer.resend", offer, summary=_("Version %(v)d e-mailed again.", v=version.number)
    )
    return create_dispatch(actor, offer, version, choice)


def _documents(version: OfferVersion, recipient_id: int, dispatch: OfferDispatch):
    kinds = [
        k
        for k, on in (
            (DocumentKind.PDF, dispatch.attach_pdf),
            (DocumentKind.XLSX, dispatch.attach_xlsx),
        )
        if on
    ]
    docs = {
        d.kind: d for d in version.documents if d.recipient_id == recipient_id and d.kind in kinds
    }
    if len(docs) < len(kinds) or not all(d.is_current for d in docs.values()):
        return None
    return [docs[k] for k in kinds]


def deliver_dispatch(dispatch: OfferDispatch) -> bool:
    """Write the dispatch's messages if all its attachments are current; True when it did."""
    if dispatch.status != DispatchStatus.WAITING:
        return False
    version = dispatch.version
    attachments = {}
    for entry in dispatch.recipients:
        docs = _documents(version, entry["recipient_id"], dispatch)
        if docs is None:
            return False
        attachments[entry["recipient_id"]] = docs
    claimed = db.session.execute(
        update(OfferDispatch)
        .where(OfferDispatch.id == dispatch.id, OfferDispatch.status == DispatchStatus.WAITING)
        .values(status=DispatchStatus.QUEUED, queued_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return False
    db.session.refresh(dispatch)
    actor = Actor(
        "staff" if dispatch.created_by_id else "system",
        dispatch.created_by_id,
        dispatch.created_by or "system",
    )
    count = 0
    for entry in dispatch.recipients:
        recipient = db.session.get(OfferRecipient, entry["recipient_id"])
        count += len(
            _notify_recipient(actor, dispatch, recipient, entry["to"], attachments[recipient.id])
        )
    dispatch.message_count = count
    record(
        actor,
        "offer.email",
        dispatch.offer,
        summary=_(
            "E-mail with version %(v)d queued to %(n)d address(es).", v=version.number, n=count
        ),
    )
    return True


def deliver_waiting_dispatches(offer_id: int) -> int:
    """Deliver every waiting dispatch of the offer whose documents are ready now."""
    waiting = db.session.scalars(
        select(OfferDispatch).where(
            OfferDispatch.offer_id == offer_id, OfferDispatch.status == DispatchStatus.WAITING
        )
    ).all()
    return sum(1 for d in waiting if deliver_dispatch(d))


def _notify_recipient(actor, dispatch, recipient, to, documents):
    customer = recipient.customer
    context = email_context(dispatch.offer, dispatch.version, recipient, customer.locale or "pl")
    context.update(custom_subject=dispatch.subject, custom_message=dispatch.message or "")
    context["message_paragraphs"] = _paragraphs(dispatch.message)
    return notify(
        actor,
        EVENT,
        context=context,
        customer=customer,
        related=dispatch.offer,
        recipients=[
            Recipient(
                email=t["email"],
                name=t["name"],
                customer_id=customer.id,
                contact_id=t["contact_id"],
                locale=customer.locale or "pl",
            )
            for t in to
        ],
        attachments=[Attachment(d.filename, d.path, d.mimetype) for d in documents],
    )


def _paragraphs(text: str | None) -> list[list[str]]:
    """Paragraphs (blank-line separated), each a list of its lines."""
    if not text:
        return []
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n")]
    return [b.split("\n") for b in blocks if b]


def email_context(
    offer: Offer, version: OfferVersion, recipient: OfferRecipient, locale: str
) -> dict:
    """What the offer e-mail templates may use (plain values, formatted for the language)."""
    base = current_app.config.get("BASE_URL", "")
    rep = offer.rep
    return {
        "offer_number": offer.number,
        "offer_title": offer.title or "",
        "version": version.number,
        "valid_until": offer.valid_until.strftime("%d.%m.%Y"),
        "customer_name": recipient.customer.name,
        "total_net": format_currency(version.total_net, offer.currency, locale=locale),
        "total_gross": format_currency(version.total_gross, offer.currency, locale=locale),
        "rep_name": rep.name if rep else "",
        "rep_email": rep.email if rep else "",
        "rep_phone": (rep.phone or "") if rep else "",
        "portal_url": f"{base}/portal/offers/{offer.id}" if offer.published_at else "",
        "custom_subject": None,
        "custom_message": "",
        "message_paragraphs": [],
    }


def default_email(offer: Offer, recipient: OfferRecipient, locale: str = "pl") -> tuple[str, str]:
    """The template's subject and text, prefilled in the send dialog for the rep to edit."""
    context = email_context(offer, offer.current_version, recipient, locale)
    blocks = render_blocks(EVENT, locale, {**context, "recipient": None})
    return blocks.get("subject", ""), blocks.get("text", "")
