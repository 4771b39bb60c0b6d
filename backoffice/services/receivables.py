"""Receivables (należności) from the ERP and the payments booked against them.

``paid_amount`` = the larger of what the ERP last reported as paid on the receivable and
the sum of the payments pushed for it, so an ERP that pushes both never counts a payment
twice, and one that pushes only either still gets the right balance. ``is_open`` and
``paid_at`` follow from it. A newly booked payment (or a reported amount that grew) is
announced through ``backoffice.services.payment_hooks`` (payment reminders thank for it).
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.services import payment_hooks
from backoffice.services.upsert_children import chunks, one_of
from backoffice.services.upserts import CREATED, UNCHANGED, Errors, Item, Ref, UpsertSpec
from models.base import utcnow
from models.customers import Customer
from models.receivables import Payment, Receivable

CENT = Decimal("0.01")


def _reported(items: list[Item], errors: Errors) -> None:
    """The API's ``paid_amount`` is the ERP's report; the balance is computed (settle)."""
    for item in items:
        if "paid_amount" in item.values:
            item.values["reported_paid_amount"] = item.values.pop("paid_amount")


def _after_receivables(actor: Actor, items: list[Item]) -> None:
    changed = [it.id for it in items if it.status != UNCHANGED]
    for receivable_id, grew in settle(changed).items():
        if grew:
            payment_hooks.dispatch(actor, db.session.get(Receivable, receivable_id), None)


def _after_payments(actor: Actor, items: list[Item]) -> None:
    changed = [it for it in items if it.status != UNCHANGED]
    ids = {it.values["receivable_id"] for it in changed}
    ids |= {it.before["receivable_id"] for it in changed if it.before}  # moved payments
    settle(sorted(ids))
    for item in changed:
        if item.status == CREATED:
            payment = db.session.get(Payment, item.id)
            payment_hooks.dispatch(actor, payment.receivable, payment)


RECEIVABLES = UpsertSpec(
    name="receivable",
    model=Receivable,
    refs=(
        Ref(
            "customer_external_id",
            "customer_id",
            Customer,
            unknown=_l("No customer has the external id %(value)s."),
        ),
    ),
    prepare=_reported,
    after=_after_receivables,
)

PAYMENTS = UpsertSpec(
    name="payment",
    model=Payment,
    refs=(
        Ref(
            "receivable_external_id",
            "receivable_id",
            Receivable,
            unknown=_l("No receivable has the external id %(value)s."),
        ),
    ),
    after=_after_payments,
)


def settle(receivable_ids: list[int]) -> dict[int, bool]:
    """Recompute paid_amount, is_open and paid_at of receivables (rows locked first).

    Returns {id: paid amount grew} for the receivables whose balance changed.
    """
    result: dict[int, bool] = {}
    now = utcnow()
    for ids in chunks(sorted(set(receivable_ids))):
        rows = db.session.execute(
            select(
                Receivable.id,
                Receivable.amount,
                Receivable.reported_paid_amount,
                Receivable.paid_amount,
                Receivable.is_open,
                Receivable.paid_at,
            )
            .where(one_of(Receivable.id, ids))
            .order_by(Receivable.id)
            .with_for_update()
        ).all()
        sums = {
            rid: (_money(total), last)
            for rid, total, last in db.session.execute(
                select(Payment.receivable_id, func.sum(Payment.amount), func.max(Payment.paid_at))
                .where(one_of(Payment.receivable_id, ids))
                .group_by(Payment.receivable_id)
            )
        }
        changes = []
        for rid, amount, reported, paid_before, was_open, paid_at in rows:
            total, last_payment = sums.get(rid, (Decimal("0.00"), None))
            paid = max(_money(reported), total)
            is_open = paid < amount
            closed_at = None if is_open else (paid_at or last_payment or now)
            if paid != paid_before or is_open != was_open or closed_at != paid_at:
                changes.append({"_id": rid, "v_paid": paid, "v_open": is_open, "v_at": closed_at})
                result[rid] = paid > paid_before
        _write_settlements(changes, now)
    return result


def _write_settlements(changes: list[dict], now) -> None:
    if not changes:
        return
    table = Receivable.__table__
    stmt = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values(
            paid_amount=bindparam("v_paid"),
            is_open=bindparam("v_open"),
            paid_at=bindparam("v_at"),
            updated_at=now,
        )
    )
    db.session.execute(stmt, changes)


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def count_receivables(*, overdue_on=None) -> int:
    """Open receivables; with ``overdue_on`` (a date) only those due before that day."""
    stmt = select(func.count()).select_from(Receivable).where(Receivable.is_open.is_(True))
    if overdue_on is not None:
        stmt = stmt.where(Receivable.due_date < overdue_on)
    return db.session.scalar(stmt) or 0
