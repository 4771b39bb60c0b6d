"""Return labels: rendered once after acceptance, stored with their hash, reprinted as is.

The label is rendered in the customer's language with the customer as sender and our
company (``CompanyProfile``) as recipient; the barcode is the return number, which the
console's scanner field finds again.
"""

from __future__ import annotations

import hashlib

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.errors import InvalidTransition
from backoffice.extensions import db
from backoffice.i18n import format_number
from backoffice.services import audit, uploads
from backoffice.services.return_notices import label_attachment, notify_customer
from backoffice.services.returns import add_event
from models.base import utcnow
from models.company import CompanyProfile
from models.customers import Customer
from models.returns import ReturnRequest, ReturnStatus
from reports.return_label import ReturnLabelView, render_return_label

#: Statuses in which a label makes sense (accepted and later, not rejected/cancelled).
LABEL_STATUSES = (
    ReturnStatus.ACCEPTED,
    ReturnStatus.RECEIVED,
    ReturnStatus.ASSESSED,
    ReturnStatus.RESOLVED,
    ReturnStatus.CLOSED,
)


def _customer_lines(customer: Customer) -> list[str]:
    address = customer.address("shipping") or customer.address("billing")
    lines = [customer.name]
    if address is not None:
        lines += [address.street, f"{address.postal_code} {address.city}"]
    if customer.nip:
        lines.append(f"NIP {customer.nip}")
    return lines


def _company_lines() -> list[str]:
    company = db.session.scalar(select(CompanyProfile).order_by(CompanyProfile.id).limit(1))
    if company is None:
        return [_("Returns department")]
    lines = [company.name, _("Returns department")]
    if company.street:
        lines.append(company.street)
    if company.postal_code or company.city:
        lines.append(f"{company.postal_code or ''} {company.city or ''}".strip())
    return lines


def label_view(rr: ReturnRequest) -> ReturnLabelView:
    """The label's content in the customer's language."""
    with force_locale(rr.customer.locale or "pl"):
        accepted = rr.accepted_lines
        units = sum((line.quantity for line in accepted), 0)
        return ReturnLabelView(
            number=rr.number,
            title=_("Return %(number)s", number=rr.number),
            sender=_customer_lines(rr.customer),
            recipient=_company_lines(),
            notes=[
                _("Delivery note: %(number)s", number=rr.delivery_note.number),
                _(
                    "Accepted lines: %(lines)d, units: %(units)s",
                    lines=len(accepted),
                    units=format_number(units),
                ),
                _("Stick this label on the parcel; the courier is ordered by the sender."),
            ],
            sender_label=_("Sender"),
            recipient_label=_("Recipient"),
        )


def ensure_label(actor: Actor, rr: ReturnRequest, notify: bool = True) -> bool:
    """Render and store the label unless it exists; True when it was made now. No commit.

    The first label tells the customer it can be printed (with the PDF attached).
    Raises InvalidTransition for returns not accepted.
    """
    if rr.status not in LABEL_STATUSES:
        raise InvalidTransition(_("A label is available only for accepted returns."))
    db.session.flush()
    db.session.refresh(rr, with_for_update=True)  # one label even if two callers race
    if rr.label_path:
        return False
    pdf = render_return_label(label_view(rr))
    rr.label_path = uploads.store_bytes(pdf, f"returns/{rr.id}", "pdf")
    rr.label_sha256 = hashlib.sha256(pdf).hexdigest()
    rr.label_generated_at = utcnow()
    add_event(actor, rr, "label")
    audit.record(actor, "return.label", rr, summary=rr.label_sha256)
    if notify:
        notify_customer(actor, rr, "label_ready", attachments=[label_attachment(rr)])
    return True


def record_reprint(actor: Actor, rr: ReturnRequest) -> None:
    """Audit that staff printed the stored label again (the same file, never re-rendered)."""
    audit.record(actor, "return.label_reprint", rr, summary=rr.label_sha256)
