"""Moving service tickets through their procedure, changing their kind, fixing repair dates.

Every status change goes through ``change_ticket_status``: the ticket row is locked, the
step must be an allowed transition of the ticket's procedure, the target status's effect
is applied (repair clock, quote decision, warranty extension), the history and the audit
log are written and the customer is notified. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.errors import Forbidden, InvalidTransition, ValidationFailed
from backoffice.extensions import db
from backoffice.queue import defer
from backoffice.services.audit import record
from backoffice.services.service_notifications import notify_ticket
from backoffice.services.service_procedures import procedure_for
from backoffice.services.warranty import sync_extension, warsaw_today
from models.base import utcnow
from models.service_procedures import ProcedureStatus, StatusEffect, TicketKind
from models.service_tickets import ServiceTicket, ServiceTicketEvent


def lock_ticket(ticket: ServiceTicket) -> ServiceTicket:
    """Re-read the ticket under a row lock (PostgreSQL), so two clicks cannot both pass."""
    return db.session.scalars(
        select(ServiceTicket)
        .where(ServiceTicket.id == ticket.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def log_event(actor: Actor, ticket: ServiceTicket, kind: str, note=None, public=True, **extra):
    """Append an entry to the ticket's history."""
    event = ServiceTicketEvent(
        kind=kind,
        actor_kind=actor.kind,
        actor_label=actor.label[:300],
        note=(note or "").strip() or None,
        public=public,
        **extra,
    )
    ticket.events.append(event)
    return event


def _effective_day(value: dt.date | None, field: str, not_before: dt.date | None) -> dt.date:
    day = value or warsaw_today()
    if day > warsaw_today():
        raise ValidationFailed(_("The date cannot be in the future."), field=field)
    if not_before is not None and day < not_before:
        raise ValidationFailed(
            _("The date cannot be earlier than %(day)s.", day=not_before.isoformat()),
            field=field,
        )
    return day


def _apply_effect(ticket: ServiceTicket, target: ProcedureStatus, effective_on) -> None:
    effect = target.effect
    unit = ticket.registered_product
    if effect == StatusEffect.GOODS_RECEIVED:
        ticket.goods_received_on = _effective_day(effective_on, "effective_on", unit.purchase_date)
    elif effect == StatusEffect.QUOTE_SENT:
        if ticket.quote_amount is None:
            raise ValidationFailed(
                _("Enter the quote amount before sending the quote."), field="quote_amount"
            )
    elif effect in (StatusEffect.QUOTE_ACCEPTED, StatusEffect.QUOTE_REJECTED):
        ticket.quote_decision = "accepted" if effect == StatusEffect.QUOTE_ACCEPTED else "rejected"
        ticket.quote_decided_at = utcnow()
    elif effect == StatusEffect.RETURNED:
        if ticket.goods_received_on is None:
            raise ValidationFailed(
                _("The goods were never recorded as received; record the receipt first.")
            )
        ticket.returned_on = _effective_day(effective_on, "effective_on", ticket.goods_received_on)
        sync_extension(ticket)


def enter_status(
    actor: Actor,
    ticket: ServiceTicket,
    target: ProcedureStatus,
    *,
    note: str | None = None,
    effective_on: dt.date | None = None,
) -> None:
    """Put the ticket into ``target`` (already checked): effects, history, audit, message."""
    previous = ticket.status
    _apply_effect(ticket, target, effective_on)
    if ticket.assigned_to_id is None and actor.kind == "staff" and actor.id is not None:
        ticket.assigned_to_id = actor.id  # whoever first works on it handles it
    ticket.status = target
    ticket.status_changed_at = utcnow()
    if target.is_final:
        ticket.is_open = False
        ticket.closed_at = utcnow()
    log_event(actor, ticket, "status", note, from_status=previous, to_status=target)
    record(
        actor,
        "service_ticket.status",
        ticket,
        summary=f"{previous.code} → {target.code}",
        changes={"status": [previous.code, target.code], "note": note},
    )
    if target.effect == StatusEffect.RETURNED:
        defer(
            "tasks.service_tickets.render_repair_report",
            ticket.id,
            queue="documents",
            key=f"service-report-{ticket.id}",
        )
    if target.notify_customer:
        event = (
            "service.quote_sent"
            if target.effect == StatusEffect.QUOTE_SENT
            else "service.status_changed"
        )
        notify_ticket(actor, ticket, event, target, note)


def change_ticket_status(
    actor: Actor,
    ticket: ServiceTicket,
    to_code: str,
    *,
    note: str | None = None,
    effective_on: dt.date | None = None,
    by_customer: bool = False,
) -> ServiceTicket:
    """Move the ticket to the status ``to_code`` of its procedure. No commit.

    Allowed only along the procedure's transitions from the current status (customers
    only into statuses flagged for them, e.g. a quote decision). Raises InvalidTransition
    (closed ticket, step not allowed, e.g. after a concurrent change), Forbidden, or
    ValidationFailed (missing quote, dates out of order).
    """
    ticket = lock_ticket(ticket)
    current = ticket.status
    if not ticket.is_open:
        raise InvalidTransition(_("Ticket %(number)s is closed.", number=ticket.number))
    target = next((s for s in current.next_statuses if s.code == to_code), None)
    if target is None:
        wanted = ticket.procedure.status_by_code(to_code)
        raise InvalidTransition(
            _(
                "Ticket %(number)s in status %(current)s cannot move to %(target)s.",
                number=ticket.number,
                current=current.name,
                target=wanted.name if wanted else to_code,
            )
        )
    if by_customer and not target.customer_may_choose:
        raise Forbidden(_("Only the service can make this change."))
    enter_status(actor, ticket, target, note=note, effective_on=effective_on)
    return ticket


def override_ticket_kind(
    actor: Actor, ticket: ServiceTicket, kind: TicketKind | str, reason: str
) -> None:
    """Staff change warranty ↔ post-warranty; the ticket moves to the other procedure.

    The status keeps its code in the other procedure. Raises ValidationFailed (no reason)
    or InvalidTransition (closed ticket, same kind, status missing in the other procedure).
    """
    kind = TicketKind(kind)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for changing the ticket type."), field="reason")
    ticket = lock_ticket(ticket)
    if not ticket.is_open:
        raise InvalidTransition(_("Ticket %(number)s is closed.", number=ticket.number))
    if ticket.kind == kind:
        raise InvalidTransition(_("The ticket already has this type."))
    procedure = procedure_for(kind)
    target = procedure.status_by_code(ticket.status.code)
    if target is None:
        raise InvalidTransition(
            _(
                "Status %(status)s does not exist in the procedure %(procedure)s; "
                "move the ticket to another status first.",
                status=ticket.status.name,
                procedure=procedure.name,
            )
        )
    old_kind, previous = ticket.kind, ticket.status
    ticket.kind, ticket.procedure, ticket.status = kind, procedure, target
    ticket.kind_overridden, ticket.kind_override_reason = True, reason
    sync_extension(ticket)
    log_event(actor, ticket, "kind", reason, from_status=previous, to_status=target)
    record(
        actor,
        "service_ticket.override_kind",
        ticket,
        summary=reason,
        changes={"kind": [old_kind, kind]},
    )


def correct_repair_dates(
    actor: Actor,
    ticket: ServiceTicket,
    *,
    received_on: dt.date | None,
    returned_on: dt.date | None,
    reason: str,
) -> None:
    """Staff correct when the goods arrived / went back; the warranty follows. Audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for the correction."), field="reason")
    if returned_on is not None and received_on is None:
        raise ValidationFailed(_("Enter the date the goods were received."), field="received_on")
    if received_on is not None:
        received_on = _effective_day(
            received_on, "received_on", ticket.registered_product.purchase_date
        )
    if returned_on is not None:
        returned_on = _effective_day(returned_on, "returned_on", received_on)
    old = (ticket.goods_received_on, ticket.returned_on)
    ticket.goods_received_on, ticket.returned_on = received_on, returned_on
    sync_extension(ticket)
    log_event(actor, ticket, "dates", reason, public=False)
    record(
        actor,
        "service_ticket.repair_dates",
        ticket,
        summary=reason,
        changes={"goods_received_on": [old[0], received_on], "returned_on": [old[1], returned_on]},
    )
