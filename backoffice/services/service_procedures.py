"""Service procedures: the seeded defaults, look-ups, and the admin editor's operations.

Each editor operation checks the procedure stays usable (one initial status, at least one
final status, each effect at most once, only existing statuses as next steps) and writes
the audit log. None of them commits.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import Conflict, NotFound, ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from models.service_procedures import (
    ProcedureStatus,
    ProcedureTransition,
    ServiceProcedure,
    StatusEffect,
    TicketKind,
)
from models.service_tickets import ServiceTicket, ServiceTicketEvent

E = StatusEffect
#: (code, Polish name, English name, effect, final, customer may choose)
_COMMON_HEAD = [
    ("submitted", "Zgłoszone", "Submitted", E.NONE, False, False),
    ("accepted", "Przyjęte do realizacji", "Accepted", E.NONE, False, False),
    ("goods_received", "Towar w serwisie", "Goods received", E.GOODS_RECEIVED, False, False),
    ("diagnosis", "Diagnoza", "Diagnosis", E.NONE, False, False),
]
_QUOTE = [
    ("quote_sent", "Wycena wysłana", "Quote sent", E.QUOTE_SENT, False, False),
    ("quote_accepted", "Wycena zaakceptowana", "Quote accepted", E.QUOTE_ACCEPTED, False, True),
    ("quote_rejected", "Wycena odrzucona", "Quote rejected", E.QUOTE_REJECTED, False, True),
]
_COMMON_TAIL = [
    ("repair", "Naprawa", "Repair", E.NONE, False, False),
    ("ready", "Gotowe do wysyłki", "Ready to ship", E.NONE, False, False),
    ("returned", "Odesłane do klienta", "Returned to the customer", E.RETURNED, False, False),
    ("closed", "Zamknięte", "Closed", E.NONE, True, False),
    ("rejected", "Odrzucone", "Rejected", E.NONE, True, False),
    ("cancelled", "Anulowane", "Cancelled", E.NONE, True, False),
]
_COMMON_STEPS = {
    "submitted": ["accepted", "rejected", "cancelled"],
    "accepted": ["goods_received", "cancelled"],
    "goods_received": ["diagnosis"],
    "repair": ["ready"],
    "ready": ["returned"],
    "returned": ["closed"],
}
DEFAULTS = {
    TicketKind.WARRANTY: (
        "Naprawa gwarancyjna",
        _COMMON_HEAD + _COMMON_TAIL,
        {**_COMMON_STEPS, "diagnosis": ["repair", "ready"]},
    ),
    TicketKind.POST_WARRANTY: (
        "Naprawa pogwarancyjna",
        _COMMON_HEAD + _QUOTE + _COMMON_TAIL,
        {
            **_COMMON_STEPS,
            "diagnosis": ["quote_sent", "ready"],
            "quote_sent": ["quote_accepted", "quote_rejected"],
            "quote_accepted": ["repair"],
            "quote_rejected": ["ready"],
        },
    ),
}
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def _build_default(kind: TicketKind) -> ServiceProcedure:
    name, rows, steps = DEFAULTS[kind]
    procedure = ServiceProcedure(kind=kind, name=name)
    by_code = {}
    for position, (code, pl, en, effect, final, customer) in enumerate(rows, start=1):
        status = ProcedureStatus(
            code=code,
            name=pl,
            name_en=en,
            position=position * 10,
            effect=effect,
            is_initial=position == 1,
            is_final=final,
            customer_may_choose=customer,
        )
        procedure.statuses.append(status)
        by_code[code] = status
    for code, targets in steps.items():
        by_code[code].transitions = [
            ProcedureTransition(from_status=by_code[code], to_status=by_code[t]) for t in targets
        ]
    return procedure


def procedure_for(kind: TicketKind | str) -> ServiceProcedure:
    """The procedure of a ticket kind, creating the default one on first use."""
    kind = TicketKind(kind)
    found = db.session.scalar(select(ServiceProcedure).where(ServiceProcedure.kind == kind))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            procedure = _build_default(kind)
            db.session.add(procedure)
            db.session.flush()
    except IntegrityError:  # a concurrent first use seeded it: take theirs
        procedure = db.session.scalar(select(ServiceProcedure).where(ServiceProcedure.kind == kind))
    return procedure


def ensure_procedures() -> list[ServiceProcedure]:
    """Both procedures (seeded with defaults where missing)."""
    return [procedure_for(kind) for kind in TicketKind]


# --- the editor ------------------------------------------------------------------------


def _status_in_use(status: ProcedureStatus) -> bool:
    ticket = db.session.scalar(
        select(ServiceTicket.id).where(ServiceTicket.status_id == status.id).limit(1)
    )
    event = db.session.scalar(
        select(ServiceTicketEvent.id)
        .where(
            or_(
                ServiceTicketEvent.from_status_id == status.id,
                ServiceTicketEvent.to_status_id == status.id,
            )
        )
        .limit(1)
    )
    return ticket is not None or event is not None


def check_procedure(procedure: ServiceProcedure) -> None:
    """Raise ValidationFailed unless the procedure can run tickets."""
    statuses = procedure.statuses
    if sum(1 for s in statuses if s.is_initial) != 1:
        raise ValidationFailed(_("Exactly one status must be the initial one."), field="is_initial")
    if not any(s.is_final for s in statuses):
        raise ValidationFailed(_("At least one status must end the ticket."), field="is_final")
    effects = [s.effect for s in statuses if s.effect != StatusEffect.NONE]
    if len(effects) != len(set(effects)):
        raise ValidationFailed(_("Each effect may be used by one status only."), field="effect")
    for s in statuses:
        if s.is_initial and s.is_final:
            raise ValidationFailed(_("The initial status cannot end the ticket."), field="is_final")


def add_status(
    actor: Actor, procedure: ServiceProcedure, code: str, name: str, **fields
) -> ProcedureStatus:
    """Append a status to a procedure (no next steps yet). Raises ValidationFailed/Conflict."""
    code = (code or "").strip().lower()
    if not CODE_RE.match(code):
        raise ValidationFailed(
            _("The code may contain lower-case letters, digits and _ (2–40 characters)."),
            field="code",
        )
    if procedure.status_by_code(code) is not None:
        raise Conflict(_("This procedure already has a status %(code)s.", code=code), field="code")
    position = max((s.position for s in procedure.statuses), default=0) + 10
    status = ProcedureStatus(code=code, position=position, name="")
    procedure.statuses.append(status)
    _apply_fields(status, name=name, **fields)
    check_procedure(procedure)
    db.session.flush()
    record(actor, "service_procedure.add_status", procedure, summary=code)
    return status


def update_status(actor: Actor, status: ProcedureStatus, **fields) -> None:
    """Change a status's names and flags; the procedure must stay valid."""
    before = {k: getattr(status, k) for k in fields}
    _apply_fields(status, **fields)
    check_procedure(status.procedure)
    after = {k: getattr(status, k) for k in fields}
    changes = {k: [before[k], after[k]] for k in fields if before[k] != after[k]}
    record(
        actor,
        "service_procedure.update_status",
        status.procedure,
        summary=status.code,
        changes=changes,
    )


def _apply_fields(status: ProcedureStatus, **fields) -> None:
    allowed = {
        "name",
        "name_en",
        "effect",
        "is_initial",
        "is_final",
        "customer_may_choose",
        "notify_customer",
    }
    for key, value in fields.items():
        if key not in allowed:
            raise ValueError(f"unknown status field {key!r}")
        if key == "effect":
            value = StatusEffect(value or StatusEffect.NONE)
        setattr(status, key, value)
    status.name = (status.name or "").strip()
    status.name_en = (status.name_en or "").strip() or None
    if not status.name or len(status.name) > 120:
        raise ValidationFailed(_("The name is required (at most 120 characters)."), field="name")


def set_next_statuses(actor: Actor, status: ProcedureStatus, next_ids: list[int]) -> None:
    """Replace the statuses reachable from ``status`` (same procedure, not itself)."""
    by_id = {s.id: s for s in status.procedure.statuses}
    wanted = []
    for raw in dict.fromkeys(int(i) for i in next_ids):
        target = by_id.get(raw)
        if target is None or target.id == status.id:
            raise ValidationFailed(_("A next status must be another status of this procedure."))
        wanted.append(target)
    if status.is_final and wanted:
        raise ValidationFailed(_("A status that ends the ticket has no next status."))
    old = sorted(t.to_status.code for t in status.transitions)
    kept = {t.to_status_id: t for t in status.transitions}
    status.transitions = [
        kept.get(t.id) or ProcedureTransition(from_status=status, to_status=t) for t in wanted
    ]
    record(
        actor,
        "service_procedure.set_next",
        status.procedure,
        summary=status.code,
        changes={"next": [old, sorted(t.code for t in wanted)]},
    )


def move_status(actor: Actor, status: ProcedureStatus, step: int) -> None:
    """Move a status one place up (step -1) or down (+1) in the procedure's order."""
    ordered = sorted(status.procedure.statuses, key=lambda s: s.position)
    index = ordered.index(status)
    other = index + (1 if step > 0 else -1)
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        item.position = position * 10
    record(actor, "service_procedure.move_status", status.procedure, summary=status.code)


def delete_status(actor: Actor, status: ProcedureStatus) -> None:
    """Remove a status no ticket has ever used. Raises Conflict if one has."""
    if status is None:
        raise NotFound(_("No such status."))
    if _status_in_use(status):
        raise Conflict(
            _("Status %(name)s is used by tickets and cannot be deleted.", name=status.name)
        )
    procedure = status.procedure
    for other in procedure.statuses:
        other.transitions = [t for t in other.transitions if t.to_status_id != status.id]
    procedure.statuses.remove(status)
    check_procedure(procedure)
    db.session.flush()
    record(actor, "service_procedure.delete_status", procedure, summary=status.code)
