"""What a customer may still return: the return window and returnable quantities per line.

Returnable quantity of a delivery-note line = delivered − everything in returns that are
not rejected or cancelled (rejected lines of partly accepted returns count for nothing).
Filing a return locks the delivery-note line rows (``SELECT … FOR UPDATE``) before it
reads these sums, so two returns racing for the last units are serialised by the database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from backoffice.extensions import db
from models.base import utcnow
from models.customers import Customer
from models.delivery_notes import DeliveredSerial, DeliveryNote, DeliveryNoteLine
from models.products import Product
from models.returns import RELEASED_STATUSES, LineDecision, ReturnLine, ReturnRequest

ZERO = Decimal("0")


def window_months(customer: Customer) -> int:
    """The customer's return window in months (its own, else ``RETURN_WINDOW_MONTHS``)."""
    if customer.return_window_months is not None:
        return int(customer.return_window_months)
    return int(current_app.config.get("RETURN_WINDOW_MONTHS", 12))


def window_start(customer: Customer, now: dt.datetime | None = None) -> dt.datetime:
    """The oldest issue date of a delivery note that may still be returned."""
    return (now or utcnow()) - relativedelta(months=window_months(customer))


def returnable_until(note: DeliveryNote, months: int | None = None) -> dt.datetime:
    """The last moment a return may be filed against the note (``months``: the window)."""
    months = window_months(note.customer) if months is None else months
    return note.issued_at + relativedelta(months=months)


def within_window(note: DeliveryNote, now: dt.datetime | None = None) -> bool:
    return note.issued_at >= window_start(note.customer, now)


def _active_lines_filter():
    return (
        ReturnLine.decision != LineDecision.REJECTED,
        ReturnRequest.status.not_in(RELEASED_STATUSES),
    )


def held_quantities(line_ids: Iterable[int]) -> dict[int, Decimal]:
    """Quantity of each delivery-note line already in active returns."""
    ids = list(line_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ReturnLine.delivery_note_line_id, func.sum(ReturnLine.quantity))
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(ReturnLine.delivery_note_line_id.in_(ids), *_active_lines_filter())
        .group_by(ReturnLine.delivery_note_line_id)
    ).all()
    return {line_id: Decimal(total or 0) for line_id, total in rows}


def held_serials(line_ids: Iterable[int]) -> dict[int, set[str]]:
    """Serial numbers of each delivery-note line already in active returns."""
    ids = list(line_ids)
    out: dict[int, set[str]] = defaultdict(set)
    if not ids:
        return out
    rows = db.session.execute(
        select(ReturnLine.delivery_note_line_id, ReturnLine.serial_number)
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(
            ReturnLine.delivery_note_line_id.in_(ids),
            ReturnLine.serial_number.is_not(None),
            *_active_lines_filter(),
        )
    ).all()
    for line_id, serial in rows:
        out[line_id].add(serial)
    return out


def lock_lines(line_ids: Iterable[int]) -> dict[int, DeliveryNoteLine]:
    """Lock delivery-note lines for this transaction (in id order, so no deadlocks)."""
    ids = sorted(set(line_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        select(DeliveryNoteLine)
        .where(DeliveryNoteLine.id.in_(ids))
        .order_by(DeliveryNoteLine.id)
        .with_for_update(of=DeliveryNoteLine)
    ).all()
    return {line.id: line for line in rows}


@dataclass
class ReturnableLine:
    """A delivery-note line with what is left to return from it."""

    line: DeliveryNoteLine
    held: Decimal
    held_serials: set[str] = field(default_factory=set)

    @property
    def delivered(self) -> Decimal:
        return self.line.quantity

    @property
    def product_returnable(self) -> bool:
        return bool(self.line.product.returnable)

    @property
    def returnable(self) -> Decimal:
        if not self.product_returnable:
            return ZERO
        return max(self.line.quantity - self.held, ZERO)

    @property
    def available_serials(self) -> list[str]:
        return [s for s in self.line.serial_numbers if s not in self.held_serials]


def returnable_lines(lines: Iterable[DeliveryNoteLine]) -> list[ReturnableLine]:
    """Each line with its held and returnable quantity and still-returnable serials."""
    lines = list(lines)
    ids = [line.id for line in lines]
    held = held_quantities(ids)
    serials = held_serials(ids)
    return [
        ReturnableLine(line, held.get(line.id, ZERO), serials.get(line.id, set())) for line in lines
    ]


@dataclass(frozen=True)
class LineSummary:
    """A delivery-note line as plain values with what is left to return (read-only lists)."""

    delivery_note_id: int
    line_id: int
    line_no: int
    product_external_id: str | None
    sku: str
    product_name: str
    unit: str
    serial_tracked: bool
    product_returnable: bool
    delivered: Decimal
    held: Decimal
    available_serials: list[str]

    @property
    def returnable(self) -> Decimal:
        return max(self.delivered - self.held, ZERO) if self.product_returnable else ZERO


def line_summaries(note_ids: list[int]) -> list[LineSummary]:
    """Every line of the notes with returnable quantities, in the notes' given order.

    The same numbers as ``returnable_lines`` in three plain queries keyed by the notes (not
    by their many lines) and without loading ORM objects: for long lists and the API.
    """
    if not note_ids:
        return []
    of_notes = DeliveryNoteLine.delivery_note_id.in_(note_ids)
    active = _active_lines_of(of_notes)
    held = (
        select(
            active.c.delivery_note_line_id.label("line_id"),
            func.sum(active.c.quantity).label("held"),
        )
        .group_by(active.c.delivery_note_line_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            DeliveryNoteLine.delivery_note_id,
            DeliveryNoteLine.id,
            DeliveryNoteLine.line_no,
            Product.external_id,
            Product.sku,
            Product.name,
            Product.unit,
            Product.serial_tracked,
            Product.returnable,
            DeliveryNoteLine.quantity,
            func.coalesce(held.c.held, 0),
        )
        .join(Product, Product.id == DeliveryNoteLine.product_id)
        .outerjoin(held, held.c.line_id == DeliveryNoteLine.id)
        .where(of_notes)
    ).all()
    serials = _available_serials(of_notes, active) if any(r[7] for r in rows) else {}
    position = {note_id: i for i, note_id in enumerate(note_ids)}
    rows.sort(key=lambda r: (position[r[0]], r[2]))
    return [LineSummary(*r[:9], Decimal(r[9]), Decimal(r[10]), serials.get(r[1], [])) for r in rows]


def _active_lines_of(of_notes):
    """A subquery of the active return lines (quantity, serial) on the notes' lines."""
    return (
        select(ReturnLine.delivery_note_line_id, ReturnLine.quantity, ReturnLine.serial_number)
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .join(DeliveryNoteLine, DeliveryNoteLine.id == ReturnLine.delivery_note_line_id)
        .where(of_notes, *_active_lines_filter())
        .subquery()
    )


def _available_serials(of_notes, active) -> dict[int, list[str]]:
    """Delivered serial numbers of the notes' lines not held by an active return."""
    taken = {
        tuple(row)
        for row in db.session.execute(
            select(active.c.delivery_note_line_id, active.c.serial_number).where(
                active.c.serial_number.is_not(None)
            )
        )
    }
    out: dict[int, list[str]] = defaultdict(list)
    for line_id, serial in db.session.execute(
        select(DeliveredSerial.line_id, DeliveredSerial.serial)
        .join(DeliveryNoteLine, DeliveryNoteLine.id == DeliveredSerial.line_id)
        .where(of_notes)
        .order_by(DeliveredSerial.id)
    ):
        if (line_id, serial) not in taken:
            out[line_id].append(serial)
    return out


def notes_in_window(customer: Customer, now: dt.datetime | None = None):
    """A query of the customer's delivery notes that may still be returned, newest first."""
    return (
        select(DeliveryNote)
        .where(
            DeliveryNote.customer_id == customer.id,
            DeliveryNote.issued_at >= window_start(customer, now),
        )
        .order_by(DeliveryNote.issued_at.desc(), DeliveryNote.id.desc())
    )


def load_note_lines(notes: Iterable[DeliveryNote]) -> list[DeliveryNoteLine]:
    """All lines of the notes with products and serials loaded in a few queries.

    The notes themselves are already in the session, so each line's ``delivery_note`` is
    found in the identity map without a query.
    """
    ids = [n.id for n in notes]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(DeliveryNoteLine)
            .where(DeliveryNoteLine.delivery_note_id.in_(ids))
            .options(selectinload(DeliveryNoteLine.product), selectinload(DeliveryNoteLine.serials))
            .order_by(DeliveryNoteLine.delivery_note_id, DeliveryNoteLine.line_no)
        )
    )
