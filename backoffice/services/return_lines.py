"""Turning the lines a customer asks to return into checked ``ReturnLine`` rows.

Runs inside ``file_return``'s transaction after the delivery-note lines are locked, so the
held quantities and serial numbers it reads cannot change until the caller commits. Every
problem is collected, keyed ``lines.<index>.<field>``, and raised together.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.i18n import format_number
from backoffice.services import return_quantities
from backoffice.services.return_quantities import ReturnableLine
from models.delivery_notes import DeliveryNote
from models.returns import ReturnCondition, ReturnLine, ReturnReason

if TYPE_CHECKING:
    from backoffice.services.returns import LineRequest, ReturnDraft

MAX_DESCRIPTION = 5000


def build_lines(note: DeliveryNote, draft: ReturnDraft) -> list[ReturnLine]:
    """Checked return lines for ``draft`` (one per unit for serial-tracked products)."""
    requests = _requests(note, draft)
    errors: dict[str, list[str]] = {}
    note_lines = {line.id: line for line in note.lines}
    for i, req in enumerate(requests):
        if req.delivery_note_line_id not in note_lines:
            errors[f"lines.{i}.delivery_note_line_id"] = [
                _("This line is not on delivery note %(number)s.", number=note.number)
            ]
    seen: set[int] = set()
    for i, req in enumerate(requests):
        if req.delivery_note_line_id in seen:
            errors[f"lines.{i}.delivery_note_line_id"] = [_("This line is given twice.")]
        seen.add(req.delivery_note_line_id)
    _raise_if(errors)
    ids = [r.delivery_note_line_id for r in requests]
    locked = return_quantities.lock_lines(ids)
    state = {s.line.id: s for s in return_quantities.returnable_lines(locked[i] for i in ids)}
    dictionaries = _Dictionaries()
    lines: list[ReturnLine] = []
    for i, req in enumerate(requests):
        try:
            lines.extend(_lines_for(req, state[req.delivery_note_line_id], dictionaries))
        except ValidationFailed as exc:
            for key, messages in exc.errors.items():
                errors.setdefault(f"lines.{i}.{key}", []).extend(messages)
    _raise_if(errors)
    for n, line in enumerate(lines, start=1):
        line.line_no = n
    return lines


def _raise_if(errors: dict[str, list[str]]) -> None:
    """One problem is the message itself; several are summarised (details per field)."""
    messages = [m for ms in errors.values() for m in ms]
    if len(messages) == 1:
        raise ValidationFailed(messages[0], errors=errors)
    if messages:
        raise ValidationFailed(_("Correct the marked lines."), errors=errors)


def _requests(note: DeliveryNote, draft: ReturnDraft) -> list[LineRequest]:
    from backoffice.services.returns import LineRequest

    if draft.whole_note:
        state = return_quantities.returnable_lines(note.lines)
        requests = [
            LineRequest(s.line.id, None, (), draft.reason_id, draft.condition_id, draft.description)
            for s in state
            if s.returnable > 0
        ]
        if not requests:
            raise ValidationFailed(
                _("Nothing on delivery note %(number)s can still be returned.", number=note.number),
                field="delivery_note",
            )
        return requests
    if not draft.lines:
        raise ValidationFailed(_("Choose at least one line to return."), field="lines")
    return list(draft.lines)


class _Dictionaries:
    """Active reasons and conditions, loaded once per filing."""

    def __init__(self):
        self.reasons = {r.id: r for r in db.session.query(ReturnReason).filter_by(active=True)}
        self.conditions = {
            c.id: c for c in db.session.query(ReturnCondition).filter_by(active=True)
        }


def _lines_for(req: LineRequest, state: ReturnableLine, dicts: _Dictionaries) -> list[ReturnLine]:
    line = state.line
    label = _line_label(line)
    errors: dict[str, list[str]] = {}
    reason = dicts.reasons.get(req.reason_id or 0)
    if reason is None:
        errors["reason_id"] = [_("Choose the reason for the return.")]
    condition = dicts.conditions.get(req.condition_id or 0)
    if condition is None:
        errors["condition_id"] = [_("Choose the condition of the goods.")]
    description = (req.description or "").strip()[:MAX_DESCRIPTION] or None
    if reason is not None and reason.requires_description and not description:
        errors["description"] = [_("Describe the problem (required for this reason).")]
    if not state.product_returnable:
        errors["quantity"] = [_("%(line)s cannot be returned.", line=label)]
        raise ValidationFailed(errors["quantity"][0], errors=errors)
    units = _units(req, state, label, errors)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return [
        ReturnLine(
            delivery_note_line_id=line.id,
            product_id=line.product_id,
            quantity=qty,
            serial_number=serial,
            reason_id=reason.id,
            condition_id=condition.id,
            description=description,
        )
        for qty, serial in units
    ]


def _line_label(line) -> str:
    return _("line %(no)d (%(product)s)", no=line.line_no, product=line.product.name)


def _units(req, state: ReturnableLine, label: str, errors) -> list[tuple[Decimal, str | None]]:
    """(quantity, serial) pairs to create; appends to ``errors`` instead of raising."""
    if state.line.product.serial_tracked:
        return _serial_units(req, state, label, errors)
    quantity = state.returnable if req.quantity is None else req.quantity
    if quantity <= 0:
        if req.quantity is None:
            errors["quantity"] = [_("Nothing from %(line)s can still be returned.", line=label)]
        else:
            errors["quantity"] = [_("The quantity must be greater than zero.")]
        return []
    if quantity > state.returnable:
        errors["quantity"] = [_over_limit(state, label)]
        return []
    return [(quantity, None)]


def _over_limit(state: ReturnableLine, label: str) -> str:
    return _(
        "Only %(left)s %(unit)s of %(line)s can still be returned (delivered %(delivered)s, "
        "already in returns %(held)s).",
        left=format_number(state.returnable),
        unit=state.line.product.unit,
        line=label,
        delivered=format_number(state.delivered),
        held=format_number(state.held),
    )


def _serial_units(req, state: ReturnableLine, label: str, errors):
    serials = [s.strip() for s in req.serial_numbers if s and s.strip()]
    if not serials and req.quantity is None:
        serials = state.available_serials
        if not serials:
            errors["quantity"] = [_("Nothing from %(line)s can still be returned.", line=label)]
            return []
    if not serials:
        errors["serial_numbers"] = [
            _("Give the serial number of every returned unit of %(line)s.", line=label)
        ]
        return []
    delivered = {s.upper(): s for s in state.line.serial_numbers}
    held = {s.upper() for s in state.held_serials}
    wanted: list[str] = []
    for serial in serials:
        key = serial.upper()
        if key not in delivered:
            errors.setdefault("serial_numbers", []).append(
                _(
                    "Serial number %(serial)s was not delivered on %(line)s.",
                    serial=serial,
                    line=label,
                )
            )
        elif key in held:
            errors.setdefault("serial_numbers", []).append(
                _("Serial number %(serial)s is already in another return.", serial=serial)
            )
        elif delivered[key] in wanted:
            errors.setdefault("serial_numbers", []).append(
                _("Serial number %(serial)s is given twice.", serial=serial)
            )
        else:
            wanted.append(delivered[key])
    if req.quantity is not None and req.quantity != len(serials):
        errors["quantity"] = [
            _("The quantity must equal the number of serial numbers given (%(n)d).", n=len(serials))
        ]
    if len(wanted) > state.returnable:
        errors.setdefault("quantity", []).append(_over_limit(state, label))
    return [(Decimal(1), s) for s in wanted]
