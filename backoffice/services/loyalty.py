"""Loyalty points: earning from order events, reversals, staff adjustments, summaries.

Ledger mechanics (locks, lots, spending, expiry) live in ``points_ledger``; the names most
callers need are re-exported here. Functions never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from backoffice.actors import Actor
from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import diff, record
from backoffice.services.loyalty_rules import quote_order
from backoffice.services.points_ledger import (
    balance,
    balances,
    credit,
    debit,
    expiry_for,
    lock_account,
    open_lots,
    pending,
    programme,
    refund_spend,
    spend_points,
)
from models.base import utcnow
from models.loyalty import EarnTrigger, EntryKind, EntryStatus, PointsEntry
from models.orders import Order, OrderEventType

__all__ = [
    "adjust_points",
    "balance",
    "balances",
    "handle_order_event",
    "pending",
    "programme",
    "record_order_points",
    "refund_spend",
    "reverse_order_points",
    "spend_points",
    "summary",
]

#: Biggest single manual adjustment, a guard against typos.
MAX_ADJUSTMENT = 1_000_000


@dataclass
class PointsSummary:
    """What the portal, the console and the shop show about a customer's points."""

    balance: int
    pending: int
    expiring: int
    expiring_at: dt.datetime | None
    history: list[PointsEntry]


def summary(customer_id: int, history: int = 20, within_days: int = 30) -> PointsSummary:
    """Balance, pending points, points expiring within ``within_days`` and latest rows."""
    horizon = utcnow() + dt.timedelta(days=within_days)
    expiring, first = db.session.execute(
        select(
            func.coalesce(func.sum(PointsEntry.remaining), 0), func.min(PointsEntry.expires_at)
        ).where(
            PointsEntry.customer_id == customer_id,
            PointsEntry.status == EntryStatus.CONFIRMED,
            PointsEntry.remaining > 0,
            PointsEntry.expires_at <= horizon,
        )
    ).one()
    rows = db.session.scalars(
        select(PointsEntry)
        .where(PointsEntry.customer_id == customer_id)
        .order_by(PointsEntry.id.desc())
        .limit(history)
    ).all()
    return PointsSummary(balance(customer_id), pending(customer_id), int(expiring), first, rows)


# --- earning from orders ---------------------------------------------------------------


def _earn_entry(order_id: int) -> PointsEntry | None:
    return db.session.scalar(
        select(PointsEntry).where(
            PointsEntry.order_id == order_id, PointsEntry.kind == EntryKind.EARN
        )
    )


def record_order_points(actor: Actor, order: Order, *, confirm: bool) -> PointsEntry | None:
    """Earn points for an order: pending, or confirmed when ``confirm`` (idempotent).

    A pending row is recomputed at confirmation (the order may have changed). An order
    earns once: a repeated event changes nothing. Returns the earn row, if any.
    """
    lock_account(order.customer_id)
    entry = _earn_entry(order.id)
    if entry is not None and entry.status != EntryStatus.PENDING:
        return entry
    if entry is not None and not confirm:
        return entry
    quote = quote_order(order)
    if entry is None:
        if quote.points <= 0:
            return None
        entry = PointsEntry(
            customer_id=order.customer_id,
            kind=EntryKind.EARN,
            status=EntryStatus.PENDING,
            points=quote.points,
            order_id=order.id,
            note=_("Order %(number)s", number=order.number),
            actor_label=actor.label[:300],
        )
        db.session.add(entry)
    entry.details = quote.details
    if confirm:
        if quote.points <= 0:
            entry.status = EntryStatus.VOID
        else:
            now = utcnow()
            entry.points = entry.remaining = quote.points
            entry.status, entry.confirmed_at = EntryStatus.CONFIRMED, now
            entry.expires_at = expiry_for(now)
    db.session.flush()
    return entry


def reverse_order_points(actor: Actor, order: Order) -> PointsEntry | None:
    """Undo what a cancelled order earned (idempotent); returns the reversal row if any.

    Pending points are simply voided. Confirmed ones are taken back from the order's own lot
    first, then oldest first, but never below zero: points already spent on rewards are
    not recoverable and the shortfall is noted on the reversal.
    """
    lock_account(order.customer_id)
    earn = _earn_entry(order.id)
    if earn is None or earn.status == EntryStatus.VOID or earn.reversed_at is not None:
        return None
    now = utcnow()
    earn.reversed_at = now
    if earn.status == EntryStatus.PENDING:
        earn.status = EntryStatus.VOID
        return None
    take = min(earn.points, balance(order.customer_id))
    note = _("Order %(number)s cancelled", number=order.number)
    if take < earn.points:
        note += " — " + _(
            "%(missing)s points were already spent and could not be taken back",
            missing=earn.points - take,
        )
    record(actor, "loyalty.points_reverse", order, summary=note, changes={"points": -take})
    if take == 0:
        return None
    return debit(
        order.customer_id,
        EntryKind.REVERSAL,
        take,
        actor,
        lots=open_lots(order.customer_id, first=earn.id),
        order_id=order.id,
        reverses_id=earn.id,
        note=note,
    )


def handle_order_event(actor: Actor, order: Order, event) -> None:
    """Points for a newly stored order event: pending, confirmed or reversed."""
    kind = OrderEventType(event.type)
    if kind == OrderEventType.CANCELLED:
        reverse_order_points(actor, order)
        return
    settings = programme()
    if not settings.active or order.customer_id is None:
        return
    if kind.value == settings.earn_on.value:
        record_order_points(actor, order, confirm=True)
    elif kind != OrderEventType.DELIVERED and settings.pending_on_placed:
        record_order_points(actor, order, confirm=False)


def adjust_points(actor: Actor, customer, points: int, reason: str) -> PointsEntry:
    """A staff correction with a reason (audited); cannot take the balance below zero."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not points:
        errors["points"] = [_("Enter a number of points other than zero.")]
    elif abs(points) > MAX_ADJUSTMENT:
        errors["points"] = [_("At most %(max)s points at once.", max=MAX_ADJUSTMENT)]
    if len(reason) < 3:
        errors["reason"] = [_("Give the reason for the adjustment.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    lock_account(customer.id)
    if points < 0 and -points > (available := balance(customer.id)):
        raise ValidationFailed(
            _("Cannot take away more than the balance (%(balance)s).", balance=available),
            field="points",
        )
    if points > 0:
        entry = credit(customer.id, EntryKind.ADJUSTMENT, points, actor, note=reason)
    else:
        entry = debit(customer.id, EntryKind.ADJUSTMENT, -points, actor, note=reason)
    record(actor, "loyalty.points_adjust", customer, summary=reason, changes={"points": points})
    return entry


def update_programme(
    actor: Actor,
    *,
    active: bool,
    earn_on: str,
    pending_on_placed: bool,
    expiry_months: int | None,
) -> None:
    """Change the programme's settings (audited). Points already confirmed keep their expiry."""
    if expiry_months is not None and not 1 <= expiry_months <= 120:
        raise ValidationFailed(
            _("Points may expire after 1 to 120 months (leave empty: never)."),
            field="expiry_months",
        )
    settings = programme()
    settings.active, settings.pending_on_placed = bool(active), bool(pending_on_placed)
    settings.earn_on, settings.expiry_months = EarnTrigger(earn_on), expiry_months
    changes = diff(settings)
    if changes:
        record(actor, "loyalty.settings", settings, changes=changes)
