"""The points ledger underneath the loyalty module: lots, debits, credits, spending, expiry.

Every change runs under the customer's account row lock (``SELECT … FOR UPDATE`` on
``points_accounts``), so concurrent spending can never take the balance below zero.
Credits are lots consumed oldest-first (by expiry date) by every debit, with allocation rows
saying which lot paid for what; the balance is the sum of confirmed entries. Nothing here
commits.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backoffice.actors import Actor
from backoffice.errors import Conflict
from backoffice.extensions import db
from models.base import utcnow
from models.loyalty import (
    EntryKind,
    EntryStatus,
    LoyaltyProgramme,
    PointsAccount,
    PointsAllocation,
    PointsEntry,
)


def _insert_ignore(model, **values) -> None:
    name = db.session.get_bind().dialect.name
    insert = pg_insert if name == "postgresql" else sqlite_insert
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing())


def programme() -> LoyaltyProgramme:
    """The programme's settings (created with defaults on first use)."""
    found = db.session.get(LoyaltyProgramme, 1)
    if found is None:
        _insert_ignore(LoyaltyProgramme, id=1, created_at=utcnow(), updated_at=utcnow())
        found = db.session.get(LoyaltyProgramme, 1)
    return found


def expiry_for(confirmed_at: dt.datetime) -> dt.datetime | None:
    """When points confirmed at ``confirmed_at`` expire under the current settings."""
    months = programme().expiry_months
    return confirmed_at + relativedelta(months=months) if months else None


def lock_account(customer_id: int) -> None:
    """Take the customer's account row lock for the rest of the transaction."""
    _insert_ignore(PointsAccount, customer_id=customer_id, created_at=utcnow())
    db.session.execute(
        select(PointsAccount.customer_id)
        .where(PointsAccount.customer_id == customer_id)
        .with_for_update()
    )


# --- balances -------------------------------------------------------------------------


def balance(customer_id: int) -> int:
    """Confirmed points: the sum of the customer's confirmed ledger rows."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
                PointsEntry.customer_id == customer_id,
                PointsEntry.status == EntryStatus.CONFIRMED,
            )
        )
    )


def pending(customer_id: int) -> int:
    """Points of placed orders not yet confirmed by payment or delivery."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
                PointsEntry.customer_id == customer_id,
                PointsEntry.status == EntryStatus.PENDING,
            )
        )
    )


def balances(customer_ids) -> dict[int, int]:
    """Balances of many customers at once (customers without points are left out)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(PointsEntry.customer_id, func.sum(PointsEntry.points))
        .where(PointsEntry.customer_id.in_(ids), PointsEntry.status == EntryStatus.CONFIRMED)
        .group_by(PointsEntry.customer_id)
    ).all()
    return {cid: int(total) for cid, total in rows}


# --- lots ------------------------------------------------------------------------------


def open_lots(customer_id: int, first: int | None = None) -> list[PointsEntry]:
    """Credits with points left, the one that expires first first (``first`` before all)."""
    lots = db.session.scalars(
        select(PointsEntry)
        .where(
            PointsEntry.customer_id == customer_id,
            PointsEntry.status == EntryStatus.CONFIRMED,
            PointsEntry.remaining > 0,
        )
        .order_by(PointsEntry.expires_at.is_(None), PointsEntry.expires_at, PointsEntry.id)
    ).all()
    return sorted(lots, key=lambda lot: lot.id != first) if first else list(lots)


def debit(
    customer_id: int, kind: EntryKind, points: int, actor: Actor, lots=None, **values
) -> PointsEntry:
    """A negative confirmed row paid from ``lots`` (default: oldest first). Caller locks."""
    entry = PointsEntry(
        customer_id=customer_id,
        kind=kind,
        status=EntryStatus.CONFIRMED,
        points=-points,
        confirmed_at=utcnow(),
        actor_label=actor.label[:300],
        **values,
    )
    db.session.add(entry)
    db.session.flush()
    left = points
    for lot in lots if lots is not None else open_lots(customer_id):
        if left == 0:
            break
        take = min(lot.remaining, left)
        if take <= 0:
            continue
        lot.remaining -= take
        left -= take
        db.session.add(PointsAllocation(debit_id=entry.id, lot_id=lot.id, points=take))
    if left:
        raise Conflict(_("The points ledger is inconsistent; nothing was changed."))
    return entry


def credit(customer_id: int, kind: EntryKind, points: int, actor: Actor, **values):
    now = utcnow()
    values.setdefault("expires_at", expiry_for(now))
    values.setdefault("remaining", points)
    entry = PointsEntry(
        customer_id=customer_id,
        kind=kind,
        status=EntryStatus.CONFIRMED,
        points=points,
        confirmed_at=now,
        actor_label=actor.label[:300],
        **values,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


# --- spending and expiry ---------------------------------------------------------------


def spend_points(actor: Actor, customer_id: int, points: int, **values) -> PointsEntry:
    """Take ``points`` from the balance (oldest first); Conflict when it does not cover them."""
    lock_account(customer_id)
    available = balance(customer_id)
    if points > available:
        raise Conflict(
            _(
                "Not enough points: the balance is %(balance)s and %(points)s are needed.",
                balance=available,
                points=points,
            ),
            field="points",
        )
    return debit(customer_id, EntryKind.SPEND, points, actor, **values)


def refund_spend(actor: Actor, spend: PointsEntry, note: str) -> PointsEntry | None:
    """Give back the points of a spend (a cancelled redemption), once.

    Points go back to the lots they came from and keep their expiry date; points whose lot
    expired meanwhile come back as a new lot with a fresh expiry period.
    """
    lock_account(spend.customer_id)
    db.session.refresh(spend)
    if spend.reversed_at is not None:
        return None
    now = utcnow()
    spend.reversed_at = now
    allocations = db.session.scalars(
        select(PointsAllocation).where(PointsAllocation.debit_id == spend.id)
    ).all()
    fresh = 0
    for alloc in allocations:
        lot = db.session.get(PointsEntry, alloc.lot_id)
        if lot.expires_at is not None and lot.expires_at <= now:
            fresh += alloc.points
        else:
            lot.remaining += alloc.points
    return credit(
        spend.customer_id,
        EntryKind.REVERSAL,
        -spend.points,
        actor,
        remaining=fresh,
        expires_at=expiry_for(now) if fresh else None,
        reverses_id=spend.id,
        redemption_id=spend.redemption_id,
        note=note,
    )


def customers_with_expired_points(now: dt.datetime, limit: int = 500) -> list[int]:
    """Customers holding lots whose expiry date has passed."""
    return list(
        db.session.scalars(
            select(PointsEntry.customer_id)
            .where(
                PointsEntry.remaining > 0,
                PointsEntry.expires_at <= now,
                PointsEntry.status == EntryStatus.CONFIRMED,
            )
            .group_by(PointsEntry.customer_id)
            .order_by(PointsEntry.customer_id)
            .limit(limit)
        )
    )


def expire_customer_points(actor: Actor, customer_id: int, now: dt.datetime) -> int:
    """Expire what is left of the customer's lots due by ``now``; returns the points."""
    lock_account(customer_id)
    due = [
        lot
        for lot in open_lots(customer_id)
        if lot.expires_at is not None and lot.expires_at <= now
    ]
    total = sum(lot.remaining for lot in due)
    if total:
        debit(
            customer_id,
            EntryKind.EXPIRY,
            total,
            actor,
            lots=due,
            note=_("Points expired"),
        )
    return total
