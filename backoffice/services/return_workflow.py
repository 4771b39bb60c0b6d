"""The RMA officer's steps: decide (per line), receive, assess, resolve, close.

Each function checks the transition (``RETURN_TRANSITIONS``), changes rows, appends the
customer-visible history, writes the audit log, queues the e-mails and never commits.
Refusals raise ``InvalidTransition`` or ``ValidationFailed`` with a translated message.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from flask_babel import gettext as _

from backoffice.actors import Actor
from backoffice.errors import Conflict, InvalidTransition, ValidationFailed
from backoffice.extensions import db
from backoffice.queue import defer
from backoffice.services import audit
from backoffice.services.return_notices import notify_account_manager, notify_customer
from backoffice.services.returns import add_event
from models.base import utcnow
from models.returns import (
    Disposition,
    LineDecision,
    ReturnCondition,
    ReturnLine,
    ReturnRequest,
    ReturnStatus,
)

SERVICE_MODULE = "backoffice.services.service_tickets"


def _require(rr: ReturnRequest, target: ReturnStatus) -> None:
    if not rr.can_move_to(target):
        raise InvalidTransition(
            _(
                "Return %(number)s cannot go from “%(current)s” to “%(target)s”.",
                number=rr.number,
                current=_status(rr.status),
                target=_status(target),
            )
        )


def _status(status: ReturnStatus) -> str:
    from backoffice.services.return_texts import status_label

    return status_label(status)


def _line_map(rr: ReturnRequest, values: dict, *, accepted_only: bool) -> dict[int, ReturnLine]:
    lines = {line.id: line for line in rr.lines}
    unknown = set(values) - set(lines)
    if unknown:
        raise ValidationFailed(_("A line does not belong to this return."), field="lines")
    if accepted_only:
        return {i: line for i, line in lines.items() if line.decision == LineDecision.ACCEPTED}
    return lines


def _clean(text: str | None, limit: int = 5000) -> str | None:
    return (text or "").strip()[:limit] or None


def decide_return(
    actor: Actor,
    rr: ReturnRequest,
    accepted_line_ids: set[int] | None = None,
    note: str | None = None,
    inform_account_manager: bool | None = None,
) -> ReturnStatus:
    """submitted → accepted (some or all lines) | rejected (every line).

    ``accepted_line_ids=None`` accepts every line; lines not listed are rejected, which
    needs ``note`` (the reason, shown to the customer). The account manager is told when
    asked, by default when anything is rejected. Acceptance queues the label rendering.
    """
    target_ids = {line.id for line in rr.lines} if accepted_line_ids is None else accepted_line_ids
    _line_map(rr, dict.fromkeys(target_ids), accepted_only=False)
    rejected = [line for line in rr.lines if line.id not in target_ids]
    new_status = ReturnStatus.REJECTED if len(rejected) == len(rr.lines) else ReturnStatus.ACCEPTED
    _require(rr, new_status)
    note = _clean(note)
    if rejected and not note:
        raise ValidationFailed(_("Give the reason for the rejection."), field="note")
    for line in rr.lines:
        line.decision = LineDecision.REJECTED if line in rejected else LineDecision.ACCEPTED
        line.decision_note = note if line in rejected else None
    rr.status, rr.decision_note, rr.decided_at = new_status, note, utcnow()
    rr.decided_by_id = actor.id if actor.kind == "staff" else None
    step = _decision_step(new_status, rejected)
    add_event(actor, rr, step, note=note)
    audit.record(
        actor,
        f"return.{'reject' if new_status == ReturnStatus.REJECTED else 'accept'}",
        rr,
        summary=note,
        changes={"rejected_lines": [line.line_no for line in rejected]},
    )
    notify_customer(actor, rr, "rejected" if new_status == ReturnStatus.REJECTED else "accepted")
    if inform_account_manager if inform_account_manager is not None else bool(rejected):
        notify_account_manager(actor, rr, step)
    if new_status == ReturnStatus.ACCEPTED:
        defer("tasks.returns.render_label", rr.id, queue="documents", key=f"return-label-{rr.id}")
    return new_status


def _decision_step(status: ReturnStatus, rejected: list) -> str:
    if status == ReturnStatus.REJECTED:
        return "rejected"
    return "partially_accepted" if rejected else "accepted"


def receive_return(actor: Actor, rr: ReturnRequest, note: str | None = None) -> None:
    """accepted → received: the parcel arrived at the warehouse."""
    _require(rr, ReturnStatus.RECEIVED)
    rr.status, rr.received_at = ReturnStatus.RECEIVED, utcnow()
    add_event(actor, rr, "received", note=_clean(note))
    audit.record(actor, "return.receive", rr, summary=note)
    notify_customer(actor, rr, "received")


@dataclass
class Assessment:
    """What the officer found on one accepted line."""

    found_condition_id: int | None
    notes: str | None = None


def assess_return(actor: Actor, rr: ReturnRequest, assessments: dict[int, Assessment]) -> None:
    """received → assessed: the state found (and notes) for every accepted line.

    While assessed and not yet resolved, calling it again corrects the assessment.
    """
    if rr.status != ReturnStatus.ASSESSED:
        _require(rr, ReturnStatus.ASSESSED)
    lines = _line_map(rr, assessments, accepted_only=True)
    conditions = {c.id: c for c in db.session.query(ReturnCondition).filter_by(active=True)}
    errors: dict[str, list[str]] = {}
    for line_id, line in lines.items():
        found = assessments.get(line_id)
        if found is None or found.found_condition_id not in conditions:
            errors[f"lines.{line_id}.found_condition_id"] = [
                _("Choose the condition found for line %(no)d.", no=line.line_no)
            ]
            continue
        line.found_condition = conditions[found.found_condition_id]
        line.assessment_notes = _clean(found.notes)
    if errors:
        raise ValidationFailed(_("Assess every accepted line."), errors=errors)
    again = rr.status == ReturnStatus.ASSESSED
    rr.status, rr.assessed_at = ReturnStatus.ASSESSED, utcnow()
    add_event(actor, rr, "assessed")
    audit.record(actor, "return.assess", rr, changes=_assessment_changes(lines.values()))
    if not again:
        notify_customer(actor, rr, "assessed")


def _assessment_changes(lines) -> dict:
    return {str(line.line_no): [line.found_condition_id, line.assessment_notes] for line in lines}


@dataclass
class Resolution:
    """The disposition of one accepted line, with an optional ERP reference."""

    disposition: Disposition | str | None
    reference: str | None = None


def resolve_return(
    actor: Actor,
    rr: ReturnRequest,
    resolutions: dict[int, Resolution],
    notes: str | None = None,
    inform_account_manager: bool = True,
) -> None:
    """assessed → resolved: a disposition for every accepted line.

    ``repair`` hands the line to the service module
    (``service_tickets.create_ticket_from_return_line``) in the same transaction.
    """
    _require(rr, ReturnStatus.RESOLVED)
    lines = _set_dispositions(rr, resolutions)
    for line in lines.values():
        if line.disposition == Disposition.REPAIR and line.service_ticket_id is None:
            _hand_over_to_service(actor, line)
    rr.status, rr.resolved_at, rr.resolution_notes = ReturnStatus.RESOLVED, utcnow(), _clean(notes)
    add_event(actor, rr, "resolved", note=rr.resolution_notes)
    audit.record(
        actor,
        "return.resolve",
        rr,
        changes={str(ln.line_no): ln.disposition.value for ln in lines.values()},
    )
    notify_customer(actor, rr, "resolved")
    if inform_account_manager:
        notify_account_manager(actor, rr, "resolved")


def _set_dispositions(rr: ReturnRequest, resolutions: dict[int, Resolution]) -> dict:
    """Give every accepted line its disposition; ValidationFailed lists the lines without."""
    lines = _line_map(rr, resolutions, accepted_only=True)
    errors: dict[str, list[str]] = {}
    for line_id, line in lines.items():
        choice = resolutions.get(line_id)
        try:
            disposition = Disposition(choice.disposition) if choice else None
        except ValueError:
            disposition = None
        if disposition is None:
            errors[f"lines.{line_id}.disposition"] = [
                _("Choose what happens to line %(no)d.", no=line.line_no)
            ]
            continue
        line.disposition = disposition
        line.resolution_reference = _clean(choice.reference, 64)
    if errors:
        raise ValidationFailed(_("Choose a disposition for every accepted line."), errors=errors)
    return lines


def _hand_over_to_service(actor: Actor, line: ReturnLine) -> None:
    try:
        service = importlib.import_module(SERVICE_MODULE)
        create = service.create_ticket_from_return_line
    except (ModuleNotFoundError, AttributeError) as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name != SERVICE_MODULE:
            raise  # the module exists but is broken: a programming error, not a refusal
        raise Conflict(
            _("The service module is not available; choose another disposition for repairs."),
            field="disposition",
        ) from exc
    ticket = create(actor, line)
    db.session.flush()
    line.service_ticket_id = getattr(ticket, "id", None)
    line.service_ticket_number = str(getattr(ticket, "number", "") or "")[:64] or None


def close_return(actor: Actor, rr: ReturnRequest, note: str | None = None) -> None:
    """resolved → closed: nothing more will happen to this return."""
    _require(rr, ReturnStatus.CLOSED)
    rr.status, rr.closed_at = ReturnStatus.CLOSED, utcnow()
    add_event(actor, rr, "closed", note=_clean(note))
    audit.record(actor, "return.close", rr, summary=note)
    notify_customer(actor, rr, "closed")


def add_internal_note(actor: Actor, rr: ReturnRequest, text: str) -> None:
    """A staff-only note in the return's history."""
    text = _clean(text)
    if not text:
        raise ValidationFailed(_("Write the note."), field="note")
    add_event(actor, rr, "note", note=text, public=False)
    audit.record(actor, "return.note", rr, summary=text[:200])
