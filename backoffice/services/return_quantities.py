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
from models.delivery_notes import DeliveryNote, DeliveryNoteLine
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


def returnable_until(note: DeliveryNote) -> dt.datetime:
    """The last moment a return may be filed against the note."""
    return note.issued_at + relativedelta(months=window_months(note.customer))


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
    """All lines of the notes with products and serials loaded in a few queries."""
    ids = [n.id for n in notes]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(DeliveryNoteLine)
            .where(DeliveryNoteLine.delivery_note_id.in_(ids))
            .options(
                selectinload(DeliveryNoteLine.product),
                selectinload(DeliveryNoteLine.serials),
                selectinload(DeliveryNoteLine.delivery_note),
            )
            .order_by(DeliveryNoteLine.delivery_note_id, DeliveryNoteLine.line_no)
        )
    )
