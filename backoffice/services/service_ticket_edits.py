"""Edits of a service ticket besides its status: handler, diagnosis, quote, parts and work,
courier details, notes and files. Each writes the history and the audit log; none commits.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from backoffice.actors import Actor
from backoffice.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from backoffice.services.service_attachments import check_files, store_attachment
from backoffice.services.service_workflow import lock_ticket, log_event
from models.products import Product
from models.service_procedures import StatusEffect
from models.service_tickets import (
    AttachmentKind,
    ServiceTicket,
    ServiceWorkLine,
    WorkLineKind,
)
from models.users import Role, User

VAT_RATES = (Decimal("0"), Decimal("5"), Decimal("8"), Decimal("23"))


def _open(ticket: ServiceTicket) -> None:
    if not ticket.is_open:
        raise InvalidTransition(_("Ticket %(number)s is closed.", number=ticket.number))


def _text(value: str | None, limit: int, field: str) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationFailed(_("This value is too long."), field=field)
    return text or None


def _decimal(value, field: str, minimum: Decimal = Decimal("0")) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", ".").replace(" ", "").replace("\xa0", ""))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("Enter a number."), field=field) from None
    if not number.is_finite() or number < minimum or number >= Decimal("1e9"):
        raise ValidationFailed(_("Enter a number of at least %(min)s.", min=minimum), field=field)
    return number


def assign_ticket(actor: Actor, ticket: ServiceTicket, user: User | None) -> None:
    """Set (or clear) the staff member handling the ticket; they must hold the service role."""
    if user is not None and (not user.active or not user.has_role(Role.SERVICE)):
        raise ValidationFailed(_("Choose an active member of the service staff."), field="user")
    old = ticket.assigned_to.name if ticket.assigned_to else None
    ticket.assigned_to = user
    log_event(actor, ticket, "assign", user.name if user else None, public=False)
    record(
        actor, "service_ticket.assign", ticket, changes={"assigned_to": [old, user and user.name]}
    )


def update_findings(
    actor: Actor, ticket: ServiceTicket, *, diagnosis: str | None, repair_notes: str | None
) -> None:
    """Record the diagnosis and the work done (shown to the customer and on the report)."""
    _open(ticket)
    new = (_text(diagnosis, 5000, "diagnosis"), _text(repair_notes, 5000, "repair_notes"))
    old = (ticket.diagnosis, ticket.repair_notes)
    if new == old:
        return
    ticket.diagnosis, ticket.repair_notes = new
    record(
        actor,
        "service_ticket.findings",
        ticket,
        changes={"diagnosis": [old[0], new[0]], "repair_notes": [old[1], new[1]]},
    )


def set_quote(actor: Actor, ticket: ServiceTicket, amount, notes: str | None) -> None:
    """Set the repair quote (net PLN) before it is sent; it cannot change once sent."""
    _open(ticket)
    if ticket.status.effect == StatusEffect.QUOTE_SENT or ticket.quote_decision:
        raise InvalidTransition(_("The quote has been sent and can no longer be changed."))
    old = ticket.quote_amount
    ticket.quote_amount = None if amount in (None, "") else _decimal(amount, "quote_amount")
    ticket.quote_notes = _text(notes, 2000, "quote_notes")
    record(
        actor, "service_ticket.quote", ticket, changes={"quote_amount": [old, ticket.quote_amount]}
    )


def add_work_line(
    actor: Actor,
    ticket: ServiceTicket,
    *,
    kind: WorkLineKind | str,
    description: str,
    quantity,
    unit_price_net,
    vat_rate=Decimal("23"),
    product: Product | None = None,
) -> ServiceWorkLine:
    """Add a part used or work done, with its cost."""
    _open(ticket)
    try:
        kind = WorkLineKind(kind)
    except ValueError:
        raise ValidationFailed(_("Choose part, labour or other."), field="kind") from None
    text = _text(description, 300, "description") or (product.name if product else None)
    if not text:
        raise ValidationFailed(_("Describe the part or the work."), field="description")
    vat = _decimal(vat_rate, "vat_rate")
    if vat not in VAT_RATES:
        raise ValidationFailed(_("Choose a VAT rate of 0, 5, 8 or 23%."), field="vat_rate")
    line = ServiceWorkLine(
        kind=kind,
        product=product,
        description=text,
        quantity=_decimal(quantity, "quantity", Decimal("0.001")),
        unit_price_net=_decimal(unit_price_net, "unit_price_net"),
        vat_rate=vat,
        added_by=actor.label[:300],
    )
    ticket.lines.append(line)
    db.session.flush()
    record(
        actor,
        "service_ticket.add_line",
        ticket,
        summary=f"{line.description} × {line.quantity} = {line.total_net}",
    )
    return line


def remove_work_line(actor: Actor, ticket: ServiceTicket, line_id: int) -> None:
    """Remove a part/work line of an open ticket."""
    _open(ticket)
    line = next((ln for ln in ticket.lines if ln.id == line_id), None)
    if line is None:
        raise NotFound(_("No such line on this ticket."))
    ticket.lines.remove(line)
    record(
        actor, "service_ticket.remove_line", ticket, summary=f"{line.description} {line.total_net}"
    )


def set_shipment(
    actor: Actor,
    ticket: ServiceTicket,
    direction: str,
    *,
    carrier: str | None,
    waybill: str | None,
    by_customer: bool = False,
) -> None:
    """Record the courier and waybill of the inbound or outbound shipment.

    Customers may only give the inbound one, and only until the goods arrive.
    """
    if direction not in ("inbound", "outbound"):
        raise ValidationFailed(_("Unknown shipment direction."), field="direction")
    if by_customer and (direction == "outbound" or ticket.goods_received_on or not ticket.is_open):
        raise Forbidden(_("The shipment details can no longer be changed."))
    carrier = _text(carrier, 64, "carrier")
    waybill = _text(waybill, 64, "waybill")
    if not waybill:
        raise ValidationFailed(_("Enter the waybill number."), field="waybill")
    old = (getattr(ticket, f"{direction}_carrier"), getattr(ticket, f"{direction}_waybill"))
    setattr(ticket, f"{direction}_carrier", carrier)
    setattr(ticket, f"{direction}_waybill", waybill)
    log_event(actor, ticket, "courier", f"{carrier or ''} {waybill}".strip())
    record(
        actor,
        f"service_ticket.{direction}_shipment",
        ticket,
        changes={"carrier": [old[0], carrier], "waybill": [old[1], waybill]},
    )


def add_note(actor: Actor, ticket: ServiceTicket, text: str, public: bool) -> None:
    """A note in the ticket's history (public notes are shown to the customer)."""
    text = _text(text, 5000, "note")
    if not text:
        raise ValidationFailed(_("Write the note."), field="note")
    log_event(actor, ticket, "note", text, public=public)
    record(actor, "service_ticket.note", ticket, summary=text[:200])


def add_files(
    actor: Actor, ticket: ServiceTicket, files, *, public: bool = True, by_customer: bool = False
) -> list:
    """Attach files (all checked before any is stored)."""
    if by_customer and not ticket.is_open:
        raise Forbidden(_("Files can no longer be added to this ticket."))
    checked = check_files(files)
    if not checked:
        raise ValidationFailed(_("Choose a file."), field="attachments")
    ticket = lock_ticket(ticket)
    kind = AttachmentKind.FAULT if by_customer else AttachmentKind.OTHER
    rows = [store_attachment(actor, c, kind, ticket=ticket, public=public) for c in checked]
    log_event(actor, ticket, "attachment", ", ".join(r.filename for r in rows), public=public)
    record(actor, "service_ticket.files", ticket, summary=", ".join(r.filename for r in rows))
    return rows
