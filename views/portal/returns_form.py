"""The portal's return form: one row per delivery-note line, read from and shown back to
the customer with the service's errors next to the fields they concern."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import request
from flask_babel import gettext as _

from backoffice.errors import DomainError, ValidationFailed
from backoffice.services import return_quantities
from backoffice.services.return_quantities import ReturnableLine
from backoffice.services.returns import LineRequest, ReturnDraft, parse_quantity
from models.delivery_notes import DeliveryNote


def note_form_lines(note: DeliveryNote) -> list[ReturnableLine]:
    """The note's lines with what is still returnable from each."""
    return return_quantities.returnable_lines(return_quantities.load_note_lines([note]))


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


@dataclass
class NoteForm:
    """Values typed by the customer, keyed by delivery-note line id, plus errors."""

    values: dict[str, str] = field(default_factory=dict)
    serials: dict[int, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    line_errors: dict[int, list[str]] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)
    line_ids: list[int] = field(default_factory=list)

    @classmethod
    def from_request(cls, note: DeliveryNote, user) -> NoteForm:
        line_ids = [line.id for line in note.lines]
        if request.method != "POST":
            return cls(
                values={
                    "contact_name": user.name or "",
                    "contact_email": user.email or "",
                    "contact_phone": user.phone or "",
                },
                line_ids=line_ids,
            )
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        form = cls(values=values, line_ids=line_ids)
        for line in note.lines:
            form.serials[line.id] = request.form.getlist(f"serials-{line.id}")
        return form

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)

    def draft(self) -> ReturnDraft:
        """The lines the customer filled in (quantity or serial numbers given)."""
        lines: list[LineRequest] = []
        self.order = []
        default_reason = _int(self.get("reason-all"))
        default_condition = _int(self.get("condition-all"))
        problems: dict[str, list[str]] = {}
        for line_id in self.line_ids:
            key = f"qty-{line_id}"
            raw = self.get(key).strip()
            serials = self.serials.get(line_id, [])
            if (not raw or raw in {"0", "0,0", "0.0"}) and not serials:
                continue
            try:
                quantity = parse_quantity(raw, key)
            except ValidationFailed as exc:
                problems[f"lines.{len(self.order)}.quantity"] = [exc.message]
                quantity = None
            self.order.append(line_id)
            lines.append(
                LineRequest(
                    line_id,
                    quantity,
                    serials,
                    _int(self.get(f"reason-{line_id}")) or default_reason,
                    _int(self.get(f"condition-{line_id}")) or default_condition,
                    self.get(f"description-{line_id}") or None,
                )
            )
        if problems:
            raise ValidationFailed(_("Correct the marked lines."), errors=problems)
        return ReturnDraft(
            lines=lines,
            contact_name=self.get("contact_name"),
            contact_email=self.get("contact_email"),
            contact_phone=self.get("contact_phone"),
            notes=self.get("notes"),
            waybill_number=self.get("waybill_number"),
        )

    def add_errors(self, exc: DomainError) -> None:
        """Attach the service's errors to the lines and fields they are about."""
        for key, messages in (exc.errors or {}).items():
            parts = key.split(".")
            if parts[0] == "lines" and len(parts) > 1 and parts[1].isdigit():
                index = int(parts[1])
                if index < len(self.order):
                    self.line_errors.setdefault(self.order[index], []).extend(messages)
                    continue
            self.errors.setdefault(parts[0], []).extend(messages)
        self.errors.setdefault("_", []).insert(0, exc.message)
