"""E-mails about returns: to the customer on every step, to its designated contacts, and
to the account manager when the officer's decision calls for it; signed label links.

Customer-side recipients of each message: the portal user who filed the return, the
return's contact e-mail, the customer's own address and every contact flagged "receives
return notices" (one message per address). Templates: ``templates/emails/return.<event>``.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.services.message_events import register_event
from backoffice.services.messaging import Attachment, Recipient, default_recipients, notify
from models.messaging import Purpose
from models.returns import LineDecision, ReturnRequest

LABEL_LINK_SALT = "return-label"
#: How long a label link from an e-mail stays valid (seconds): 180 days.
LABEL_LINK_MAX_AGE = 180 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LABEL_LINK_SALT)


def label_token(rr: ReturnRequest) -> str:
    """A signed, unguessable token naming the return (for the label link in e-mails)."""
    return _serializer().dumps({"r": rr.id, "n": rr.number})


def return_id_from_label_token(token: str) -> int | None:
    """The return id of a valid label token; None when forged or expired."""
    try:
        data = _serializer().loads(token, max_age=LABEL_LINK_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    return data.get("r") if isinstance(data, dict) else None


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def portal_link(rr: ReturnRequest) -> str:
    return f"{base_url()}/portal/returns/{rr.id}"


def label_link(rr: ReturnRequest) -> str:
    return f"{base_url()}/portal/returns/label/{label_token(rr)}"


def console_link(rr: ReturnRequest) -> str:
    return f"{base_url()}/admin/returns/details/?id={rr.id}"


def customer_recipients(rr: ReturnRequest) -> list[Recipient]:
    """The filer, the return's contact, the customer and its return-notice contacts."""
    customer = rr.customer
    out: list[Recipient] = []
    if rr.filed_by is not None and rr.filed_by.active:
        out.append(
            Recipient(
                rr.filed_by.email,
                rr.filed_by.phone,
                rr.filed_by.name,
                customer.id,
                None,
                rr.filed_by.locale,
            )
        )
    if rr.contact_email:
        out.append(
            Recipient(rr.contact_email, None, rr.contact_name, customer.id, None, customer.locale)
        )
    out.extend(default_recipients(customer, "returns"))
    seen, unique = set(), []
    for r in out:
        key = ((r.email or "").lower(), r.phone)
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return unique


def return_context(rr: ReturnRequest) -> dict:
    """Plain values the templates use (no ORM objects reach the sandbox)."""
    note = rr.delivery_note
    return {
        "number": rr.number,
        "status": rr.status.value,
        "customer": rr.customer.name,
        "delivery_note": note.number,
        "decision_note": rr.decision_note or "",
        "resolution_notes": rr.resolution_notes or "",
        "waybill_number": rr.waybill_number or "",
        "portal_url": portal_link(rr),
        "label_url": label_link(rr),
        "console_url": console_link(rr),
        "lines": [
            {
                "product": line.product.name,
                "sku": line.product.sku,
                "quantity": f"{line.quantity.normalize():f}",
                "unit": line.product.unit,
                "serial": line.serial_number or "",
                "reason": line.reason.name,
                "reason_en": line.reason.label("en"),
                "decision": line.decision.value,
                "decision_note": line.decision_note or "",
                "found": line.found_condition.name if line.found_condition else "",
                "found_en": line.found_condition.label("en") if line.found_condition else "",
                "assessment_notes": line.assessment_notes or "",
                "disposition": line.disposition.value if line.disposition else "",
                "reference": line.resolution_reference or "",
                "service_ticket": line.service_ticket_number or "",
            }
            for line in rr.lines
        ],
        "accepted_count": sum(1 for line in rr.lines if line.decision == LineDecision.ACCEPTED),
        "rejected_count": sum(1 for line in rr.lines if line.decision == LineDecision.REJECTED),
    }


def notify_customer(actor: Actor, rr: ReturnRequest, event: str, attachments=()) -> list:
    """Queue ``return.<event>`` to everyone on the customer's side (no commit)."""
    return notify(
        actor,
        f"return.{event}",
        context=return_context(rr),
        customer=rr.customer,
        related=rr,
        audience="returns",
        recipients=customer_recipients(rr),
        attachments=attachments,
        dedupe_key=f"return:{rr.id}:{event}",
    )


def notify_account_manager(actor: Actor, rr: ReturnRequest, step: str) -> list:
    """Queue the internal ``return.account_manager`` mail about ``step`` (no commit)."""
    manager = rr.customer.account_manager
    if manager is None or not manager.active or not manager.email:
        return []
    recipient = Recipient(manager.email, None, manager.name, None, None, manager.locale or "pl")
    return notify(
        actor,
        "return.account_manager",
        context={**return_context(rr), "step": step, "officer": actor.label},
        customer=rr.customer,
        related=rr,
        purpose=Purpose.INTERNAL,
        recipients=[recipient],
        dedupe_key=f"return:{rr.id}:manager:{step}",
    )


def label_attachment(rr: ReturnRequest) -> Attachment:
    """The stored label as an e-mail attachment."""
    safe = rr.number.replace("/", "-")
    return Attachment(f"etykieta-{safe}.pdf", rr.label_path, "application/pdf")


# --- the event catalogue (console: templates, matrix, previews) ------------------------------

VARIABLES = {
    "number": _l("return number, e.g. RMA/2026/00042"),
    "status": _l("status code (submitted, accepted, …)"),
    "customer": _l("customer's name"),
    "delivery_note": _l("delivery note number"),
    "decision_note": _l("the officer's reason or remarks"),
    "resolution_notes": _l("notes given with the resolution"),
    "waybill_number": _l("waybill of the customer's shipment"),
    "portal_url": _l("link to the return in the customer portal"),
    "label_url": _l("signed link to the label (through portal login)"),
    "lines": _l(
        "lines: product, sku, quantity, unit, serial, reason, decision, decision_note, found, "
        "assessment_notes, disposition, reference, service_ticket"
    ),
    "accepted_count": _l("number of accepted lines"),
    "rejected_count": _l("number of rejected lines"),
}
EVENTS = {
    "submitted": _l("Return filed (confirmation)"),
    "accepted": _l("Return accepted (fully or partly)"),
    "rejected": _l("Return rejected"),
    "label_ready": _l("Return label ready to print"),
    "received": _l("Returned goods received"),
    "assessed": _l("Returned goods assessed"),
    "resolved": _l("Return resolved (dispositions)"),
    "closed": _l("Return closed"),
    "cancelled": _l("Return cancelled"),
}


def sample_context(ref: str | None, extra: dict | None = None) -> dict:
    """The context of a real return (by number, else the newest) for template previews."""
    query = select(ReturnRequest).order_by(ReturnRequest.id.desc()).limit(1)
    if ref:
        query = select(ReturnRequest).where(ReturnRequest.number == ref.strip())
    rr = db.session.scalar(query)
    return {**return_context(rr), **(extra or {})} if rr is not None else {}


for _event, _description in EVENTS.items():
    register_event(
        f"return.{_event}",
        _description,
        variables=VARIABLES,
        channels=("email",),
        sample=sample_context,
        sample_label=_l("Return number"),
    )
register_event(
    "return.account_manager",
    _l("Return decision, to the customer's account manager (internal)"),
    variables={
        **VARIABLES,
        "step": _l("accepted, partially_accepted, rejected or resolved"),
        "officer": _l("who decided"),
        "console_url": _l("link to the return in the console"),
    },
    channels=("email",),
    purpose=Purpose.INTERNAL,
    sample=lambda ref: sample_context(ref, {"step": "rejected", "officer": "RMA"}),
    sample_label=_l("Return number"),
)
