"""Filing service tickets: from the portal, the API, the console and from returns (RMA).

The ticket's kind (warranty / post-warranty) is decided from the filing date and the unit's
warranty end; staff may override it with a reason (audited). Numbers come from a gapless
per-year sequence. Status changes live in service_workflow.py, other edits in
service_ticket_edits.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import Conflict, ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from backoffice.services.service_attachments import check_files, store_attachment
from backoffice.services.service_handover import return_line_facts
from backoffice.services.service_notifications import notify_ticket
from backoffice.services.service_procedures import procedure_for
from backoffice.services.service_products import find_or_register
from backoffice.services.service_workflow import enter_status
from backoffice.services.warranty import kind_on, warsaw_today
from backoffice.validators import normalise_email, normalise_phone
from models.service_procedures import StatusEffect, TicketKind
from models.service_products import RegisteredProduct, RegistrationStatus
from models.service_tickets import (
    AttachmentKind,
    ServiceNumberSequence,
    ServiceTicket,
    ServiceTicketEvent,
    TicketSource,
)

DEFAULT_NUMBER_FORMAT = "SRV/{year}/{seq:05d}"
MAX_DESCRIPTION = 5000


@dataclass
class TicketInput:
    """What the person filing a ticket tells us."""

    fault_description: str
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    notify_email: bool = True
    notify_sms: bool = False
    accessories: str | None = None
    inbound_carrier: str | None = None
    inbound_waybill: str | None = None
    #: The caller's id of the request, for idempotent API calls.
    external_id: str | None = None


# --- numbers ---------------------------------------------------------------------------


def _bump_sequence(year: int) -> int:
    bump = (
        update(ServiceNumberSequence)
        .where(ServiceNumberSequence.year == year)
        .values(last=ServiceNumberSequence.last + 1)
        .returning(ServiceNumberSequence.last)
    )
    value = db.session.execute(bump, execution_options={"synchronize_session": False}).scalar()
    if value is not None:
        return value
    try:
        with db.session.begin_nested():
            db.session.execute(insert(ServiceNumberSequence).values(year=year, last=0))
    except IntegrityError:
        pass  # another transaction created the year's row first
    return db.session.execute(bump, execution_options={"synchronize_session": False}).scalar()


def next_ticket_number(year: int) -> str:
    """The next number of the year, e.g. SRV/2026/00042 (the row stays locked until commit)."""
    fmt = current_app.config.get("SERVICE_TICKET_NUMBER_FORMAT") or DEFAULT_NUMBER_FORMAT
    return fmt.format(year=year, seq=_bump_sequence(year))


# --- validation --------------------------------------------------------------------------


def _clean(data: TicketInput, unit: RegisteredProduct) -> TicketInput:
    """Normalised input, or ValidationFailed with every field's problem."""
    errors: dict[str, list[str]] = {}

    def check(field, func):
        try:
            return func()
        except ValidationFailed as exc:
            errors.setdefault(field, []).append(exc.message)
            return None

    description = (data.fault_description or "").strip()
    if not description:
        errors["fault_description"] = [_("Describe the fault.")]
    elif len(description) > MAX_DESCRIPTION:
        errors["fault_description"] = [
            _("The description is too long (at most %(n)d characters).", n=MAX_DESCRIPTION)
        ]
    email = check("contact_email", lambda: normalise_email(data.contact_email, required=False))
    phone = check("contact_phone", lambda: normalise_phone(data.contact_phone))
    if data.notify_sms and not phone and "contact_phone" not in errors:
        errors["contact_phone"] = [_("Give a phone number for text message notifications.")]
    if data.notify_email and not (email or unit.customer.email) and "contact_email" not in errors:
        errors["contact_email"] = [_("Give an e-mail address for e-mail notifications.")]
    for name in ("inbound_carrier", "inbound_waybill", "external_id", "contact_name"):
        value = getattr(data, name)
        if value and len(value.strip()) > (200 if name == "contact_name" else 64):
            errors[name] = [_("This value is too long.")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, errors=errors)
    return TicketInput(
        fault_description=description,
        contact_name=(data.contact_name or "").strip() or None,
        contact_email=email,
        contact_phone=phone,
        notify_email=bool(data.notify_email),
        notify_sms=bool(data.notify_sms),
        accessories=(data.accessories or "").strip()[:500] or None,
        inbound_carrier=(data.inbound_carrier or "").strip() or None,
        inbound_waybill=(data.inbound_waybill or "").strip() or None,
        external_id=(data.external_id or "").strip() or None,
    )


def open_ticket_of(unit: RegisteredProduct) -> ServiceTicket | None:
    return db.session.scalar(
        select(ServiceTicket)
        .where(ServiceTicket.registered_product_id == unit.id, ServiceTicket.is_open.is_(True))
        .limit(1)
    )


def _decide_kind(unit, filed_on, kind, kind_reason) -> tuple[TicketKind, bool, str | None]:
    decided = kind_on(unit, filed_on)
    if kind is None or TicketKind(kind) == decided:
        return decided, False, None
    reason = (kind_reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Give the reason for changing the ticket type decided from the date."),
            field="kind_reason",
        )
    return TicketKind(kind), True, reason


# --- filing ------------------------------------------------------------------------------


def create_ticket(
    actor: Actor,
    unit: RegisteredProduct,
    data: TicketInput,
    *,
    source: TicketSource | str,
    attachments=(),
    kind: TicketKind | str | None = None,
    kind_reason: str | None = None,
    filed_on: dt.date | None = None,
    return_line_id: int | None = None,
    return_reference: str | None = None,
) -> ServiceTicket:
    """File a ticket for a registered unit, in its procedure's initial status. No commit.

    A repeated ``external_id`` returns the ticket filed before. Raises ValidationFailed
    (bad input, rejected registration, override without reason) or Conflict (the customer
    files a second open ticket for the same unit).
    """
    source = TicketSource(source)
    if data.external_id:
        earlier = _by_external_id(data.external_id.strip(), unit)
        if earlier is not None:
            return earlier
    data = _clean(data, unit)
    _check_may_file(unit, source)
    attachments = check_files(attachments)
    filed_on = filed_on or warsaw_today()
    kind, overridden, reason = _decide_kind(unit, filed_on, kind, kind_reason)
    procedure = procedure_for(kind)
    ticket = ServiceTicket(
        number=next_ticket_number(filed_on.year),
        customer=unit.customer,
        registered_product=unit,
        kind=kind,
        kind_overridden=overridden,
        kind_override_reason=reason,
        warranty_end_at_filing=unit.warranty_ends_on,
        procedure=procedure,
        status=procedure.initial_status,
        source=source,
        filed_on=filed_on,
        return_line_id=return_line_id,
        return_reference=return_reference,
        **vars(data),
    )
    db.session.add(ticket)
    db.session.flush()
    _log_created(actor, ticket)
    for upload in attachments:
        store_attachment(actor, upload, AttachmentKind.FAULT, ticket=ticket)
    if ticket.status.notify_customer and source != TicketSource.RETURN:
        notify_ticket(actor, ticket, "service.ticket_submitted")
    return ticket


def _check_may_file(unit: RegisteredProduct, source: TicketSource) -> None:
    """A rejected registration gets no tickets; customers file one open ticket per unit."""
    if unit.status == RegistrationStatus.REJECTED:
        raise ValidationFailed(
            _("The registration of this product was rejected: %(reason)s", reason=unit.notes),
            field="registered_product",
        )
    if source in (TicketSource.PORTAL, TicketSource.API):
        current = open_ticket_of(unit)
        if current is not None:
            raise Conflict(
                _("This product already has an open ticket %(number)s.", number=current.number),
                field="registered_product",
            )


def _by_external_id(external_id: str, unit: RegisteredProduct) -> ServiceTicket | None:
    earlier = db.session.scalar(
        select(ServiceTicket).where(ServiceTicket.external_id == external_id)
    )
    if earlier is not None and earlier.customer_id != unit.customer_id:
        raise Conflict(_("This request id is used by another customer."), field="external_id")
    return earlier


def _log_created(actor: Actor, ticket: ServiceTicket) -> None:
    ticket.events.append(
        ServiceTicketEvent(
            kind="created",
            to_status=ticket.status,
            actor_kind=actor.kind,
            actor_label=actor.label[:300],
            note=ticket.kind_override_reason,
        )
    )
    record(
        actor,
        "service_ticket.create",
        ticket,
        summary=ticket.number,
        changes={
            "kind": ticket.kind,
            "kind_overridden": ticket.kind_overridden,
            "source": ticket.source,
            "warranty_end_at_filing": ticket.warranty_end_at_filing,
        },
    )


# --- hand-over from returns (RMA) ---------------------------------------------------------


def create_ticket_from_return_line(actor: Actor, return_line) -> ServiceTicket:
    """Hand a returned item over to service (RMA disposition "repair"). No commit.

    The unit is found or registered (purchase date from the return's delivery note), a
    ticket is filed with source "return" and moved straight to the goods-received status
    (the goods are already here), dated the day the return was received. Calling it again
    for the same return line returns the same ticket. Raises ValidationFailed when the line
    names no product or customer, Conflict when the serial belongs to another customer.
    """
    facts = return_line_facts(return_line)
    if facts.line_id is not None:
        earlier = db.session.scalar(
            select(ServiceTicket).where(ServiceTicket.return_line_id == facts.line_id)
        )
        if earlier is not None:
            return earlier
    unit = find_or_register(
        actor,
        customer=facts.customer,
        product=facts.product,
        serial=facts.serial,
        purchase_date=facts.purchase_date,
        delivery_note=facts.delivery_note,
        source="return",
    )
    reference = facts.return_number or (f"#{facts.line_id}" if facts.line_id else None)
    description = facts.description or _("Handed over from return %(ref)s.", ref=reference)
    ticket = create_ticket(
        actor,
        unit,
        TicketInput(
            fault_description=description,
            contact_name=facts.contact_name,
            contact_email=facts.contact_email,
            contact_phone=facts.contact_phone,
        ),
        source=TicketSource.RETURN,
        return_line_id=facts.line_id,
        return_reference=reference,
    )
    received = facts.received_on or warsaw_today()
    target = ticket.procedure.status_with_effect(StatusEffect.GOODS_RECEIVED)
    if target is not None:
        enter_status(
            actor,
            ticket,
            target,
            note=_("Goods handed over from return %(ref)s.", ref=reference),
            effective_on=max(received, unit.purchase_date),
        )
    return ticket
