"""Filing returns (RMA) against delivery notes, and what the customer may do afterwards.

``file_return`` is the one place that creates a return, for the portal, the API and staff:
it checks the return window, locks the delivery-note lines, checks quantities, products and
serial numbers, numbers the return, stores attachments, records history and audit, and
queues the confirmation. It never commits. The officer's steps live in
``return_workflow.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backoffice.actors import Actor
from backoffice.errors import InvalidTransition, NotFound, ValidationFailed
from backoffice.extensions import db
from backoffice.services import audit, return_quantities, uploads
from backoffice.services.return_lines import build_lines
from backoffice.services.return_notices import notify_customer
from backoffice.validators import normalise_email, normalise_phone
from models.base import utcnow
from models.customers import Customer
from models.delivery_notes import DeliveryNote
from models.returns import (
    AttachmentKind,
    ReturnAttachment,
    ReturnCondition,
    ReturnEvent,
    ReturnNumberSequence,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)
from models.users import PortalUser

#: Statuses in which the customer may still add files or a waybill.
OPEN_STATUSES = (
    ReturnStatus.SUBMITTED,
    ReturnStatus.ACCEPTED,
    ReturnStatus.RECEIVED,
    ReturnStatus.ASSESSED,
    ReturnStatus.RESOLVED,
)
MAX_FILES_PER_RETURN = 20


@dataclass
class LineRequest:
    """One line of a return as asked for; ``quantity=None`` means all that is returnable."""

    delivery_note_line_id: int
    quantity: Decimal | None = None
    serial_numbers: Sequence[str] = ()
    reason_id: int | None = None
    condition_id: int | None = None
    description: str | None = None


@dataclass
class ReturnDraft:
    """What the customer asks to return from one delivery note.

    ``whole_note`` returns every returnable line in full with ``reason_id`` and
    ``condition_id`` (the per-line values in ``lines`` are then ignored).
    """

    lines: list[LineRequest] = field(default_factory=list)
    whole_note: bool = False
    reason_id: int | None = None
    condition_id: int | None = None
    description: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    notes: str | None = None
    waybill_number: str | None = None


def parse_quantity(value, field_name: str) -> Decimal | None:
    """A positive decimal from user input ("1,5" allowed); None when blank."""
    if value is None or str(value).strip() == "":
        return None
    try:
        text = "".join(str(value).split()).replace("\u202f", "").replace(",", ".")
        qty = Decimal(text)
    except InvalidOperation as exc:
        raise ValidationFailed(_("Enter a number."), field=field_name) from exc
    if not qty.is_finite():
        raise ValidationFailed(_("Enter a number."), field=field_name)
    return qty


def file_return(
    actor: Actor,
    customer: Customer,
    note: DeliveryNote,
    draft: ReturnDraft,
    *,
    filed_by: PortalUser | None = None,
    channel: str = "portal",
    files: Sequence[tuple[uploads.CheckedFile, AttachmentKind]] = (),
) -> ReturnRequest:
    """File a new return (status submitted) for lines of ``note``. No commit.

    Raises NotFound when the note is not the customer's, ValidationFailed (field errors
    keyed ``lines.<i>.<field>``) when the window has passed, a quantity is over what is
    returnable, a serial number is missing or was not delivered, or a reason is missing.
    """
    _check_can_file(customer, note, len(files))
    contact = _contact(draft)
    lines = build_lines(note, draft)
    rr = ReturnRequest(
        number=next_return_number(),
        customer=customer,
        delivery_note=note,
        status=ReturnStatus.SUBMITTED,
        channel=channel,
        filed_by=filed_by,
        filed_by_label=actor.label[:300],
        customer_notes=_clean(draft.notes, 5000),
        waybill_number=_clean(draft.waybill_number, 64),
        lines=lines,
        **contact,
    )
    db.session.add(rr)
    db.session.flush()
    for checked, kind in files:
        _store_file(actor, rr, checked, kind)
    add_event(actor, rr, "submitted", note=rr.customer_notes)
    changes = {"lines": [[ln.delivery_note_line_id, ln.quantity] for ln in lines]}
    audit.record(actor, "return.submit", rr, summary=rr.number, changes=changes)
    notify_customer(actor, rr, "submitted")
    return rr


def _contact(draft: ReturnDraft) -> dict:
    """The return's contact person, e-mail and phone checked (all optional)."""
    errors: dict[str, list[str]] = {}
    values = {"contact_name": _clean(draft.contact_name, 200)}
    for key, check in (
        ("contact_email", lambda v: normalise_email(v, field="contact_email", required=False)),
        ("contact_phone", lambda v: normalise_phone(v, field="contact_phone")),
    ):
        try:
            values[key] = check(_clean(getattr(draft, key), 254))
        except ValidationFailed as exc:
            errors[key] = [exc.message]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return values


def _check_can_file(customer: Customer, note: DeliveryNote, file_count: int) -> None:
    if note.customer_id != customer.id:
        raise NotFound(_("Delivery note not found."), field="delivery_note")
    _check_window(note)
    if file_count > MAX_FILES_PER_RETURN:
        raise ValidationFailed(
            _("At most %(n)d files may be attached.", n=MAX_FILES_PER_RETURN), field="files"
        )


def _check_window(note: DeliveryNote) -> None:
    if return_quantities.within_window(note):
        return
    months = return_quantities.window_months(note.customer)
    raise ValidationFailed(
        _(
            "Delivery note %(number)s was issued on %(date)s; goods can be returned within "
            "%(months)d months, so no later than %(until)s.",
            number=note.number,
            date=format_date(note.issued_at, "medium"),
            months=months,
            until=format_date(return_quantities.returnable_until(note), "medium"),
        ),
        field="delivery_note",
    )


def _clean(value: str | None, limit: int) -> str | None:
    text = (value or "").strip()
    return text[:limit] or None


def next_return_number(now: dt.datetime | None = None) -> str:
    """The next number of this year (``RETURN_NUMBER_FORMAT``), gapless.

    The sequence row stays locked until the caller's transaction ends, so numbers are
    never skipped (a rollback returns the number) and never issued twice.
    """
    year = (now or utcnow()).year
    dialect = db.session.get_bind().dialect.name
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = dialect_insert(ReturnNumberSequence).values(year=year, last_value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["year"], set_={"last_value": ReturnNumberSequence.last_value + 1}
    ).returning(ReturnNumberSequence.last_value)
    seq = db.session.execute(stmt).scalar_one()
    fmt = current_app.config.get("RETURN_NUMBER_FORMAT") or "RMA/{year}/{seq:05d}"
    return fmt.format(year=year, seq=seq)


def find_by_code(code: str) -> ReturnRequest | None:
    """The return whose number a scanner or a person typed (case and spaces ignored)."""
    text = "".join((code or "").split()).upper()
    if not text:
        return None
    return db.session.scalar(select(ReturnRequest).where(func.upper(ReturnRequest.number) == text))


def add_event(
    actor: Actor, rr: ReturnRequest, action: str, note: str | None = None, public: bool = True
) -> ReturnEvent:
    """Append a history entry (status after the step) to the return."""
    event = ReturnEvent(
        action=action,
        status=rr.status,
        actor_kind=actor.kind,
        actor_label=actor.label[:300],
        note=note,
        public=public,
        at=utcnow(),
    )
    rr.events.append(event)
    return event


def _store_file(
    actor: Actor, rr: ReturnRequest, checked: uploads.CheckedFile, kind: AttachmentKind
) -> ReturnAttachment:
    stored = uploads.store_upload(checked, folder=f"returns/{rr.id}")
    attachment = ReturnAttachment(
        kind=kind,
        path=stored.path,
        filename=stored.filename,
        mimetype=stored.mimetype,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_kind=actor.kind,
        uploaded_by_label=actor.label[:300],
    )
    rr.attachments.append(attachment)
    return attachment


def add_files(
    actor: Actor,
    rr: ReturnRequest,
    files: Sequence[tuple[uploads.CheckedFile, AttachmentKind]],
) -> list[ReturnAttachment]:
    """Attach checked files (photos, documents, the waybill) to an open return. No commit."""
    if rr.status not in OPEN_STATUSES:
        raise InvalidTransition(_("Files can no longer be added to this return."))
    if not files:
        raise ValidationFailed(_("Choose a file."), field="files")
    if len(rr.attachments) + len(files) > MAX_FILES_PER_RETURN:
        raise ValidationFailed(
            _("At most %(n)d files may be attached.", n=MAX_FILES_PER_RETURN), field="files"
        )
    added = [_store_file(actor, rr, checked, kind) for checked, kind in files]
    db.session.flush()
    names = ", ".join(a.filename for a in added)
    add_event(actor, rr, "attachment", note=names)
    audit.record(actor, "return.attach", rr, summary=names)
    return added


def set_waybill(actor: Actor, rr: ReturnRequest, waybill_number: str) -> None:
    """Record the waybill number of the customer's shipment (before receipt). No commit."""
    if rr.status not in (ReturnStatus.SUBMITTED, ReturnStatus.ACCEPTED):
        raise InvalidTransition(_("The waybill can only be given before the goods arrive."))
    number = _clean(waybill_number, 64)
    if not number:
        raise ValidationFailed(_("Enter the waybill number."), field="waybill_number")
    old, rr.waybill_number = rr.waybill_number, number
    add_event(actor, rr, "waybill", note=number)
    audit.record(actor, "return.waybill", rr, changes={"waybill_number": [old, number]})


def cancel_return(actor: Actor, rr: ReturnRequest, note: str | None = None) -> None:
    """submitted | accepted → cancelled (the customer withdraws it; goods not yet received).

    Frees the quantities for other returns. Raises InvalidTransition otherwise.
    """
    if not rr.can_move_to(ReturnStatus.CANCELLED):
        raise InvalidTransition(_("This return can no longer be cancelled."))
    rr.status = ReturnStatus.CANCELLED
    rr.cancelled_at = utcnow()
    add_event(actor, rr, "cancelled", note=_clean(note, 2000))
    audit.record(actor, "return.cancel", rr, summary=note)
    notify_customer(actor, rr, "cancelled")


def active_reasons() -> list[ReturnReason]:
    return list(
        db.session.scalars(
            select(ReturnReason)
            .where(ReturnReason.active.is_(True))
            .order_by(ReturnReason.position, ReturnReason.name)
        )
    )


def active_conditions() -> list[ReturnCondition]:
    return list(
        db.session.scalars(
            select(ReturnCondition)
            .where(ReturnCondition.active.is_(True))
            .order_by(ReturnCondition.position, ReturnCondition.name)
        )
    )
