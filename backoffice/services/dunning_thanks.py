"""Thank-yous for payments: the payment hook collects paid receivables per customer.

``handle_payment`` (called by ``payment_hooks`` in the transaction that booked the payment)
adds the receivable to the customer's pending thank-you notice — one message however many
payments one ERP call books — and defers its delivery. The item's unique ``thanks_key``
("full:<receivable>", "part:<payment>") makes a repeated report thank only once.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.queue import defer
from backoffice.services.dunning_calendar import warsaw_today
from backoffice.services.dunning_selection import schedule_of, settings_row
from models.payment_reminders import (
    NoticeItem,
    NoticeKind,
    NoticeStatus,
    PaymentNotice,
    PaymentSchedule,
    ReminderHold,
    ReminderSelection,
    SelectionKind,
    SelectionMode,
    ThankYouMode,
)
from models.receivables import Receivable


def handle_payment(actor: Actor, receivable: Receivable, payment=None) -> PaymentNotice | None:
    """Plan a thank-you for a booked payment when the customer's schedule asks for one.

    Full payment: always (per the schedule's mode); a partial one only with
    ``thank_partial``. Excluded customers and customers on hold get nothing. No commit.
    """
    fresh = db.session.execute(
        select(Receivable.amount, Receivable.paid_amount, Receivable.is_open).where(
            Receivable.id == receivable.id
        )
    ).one()
    schedule = _schedule(receivable.customer_id)
    if schedule is None or schedule.thank_you == ThankYouMode.NEVER:
        return None
    full = not fresh.is_open
    if not full and (not schedule.thank_partial or payment is None):
        return None
    if schedule.thank_you == ThankYouMode.AFTER_DUNNING and not _was_dunned(receivable.id):
        return None
    if not _may_receive(receivable.customer_id, receivable.id):
        return None
    key = f"full:{receivable.id}" if full else f"part:{payment.id}"
    return _add_to_notice(receivable, schedule, key, fresh.amount, fresh.paid_amount)


def _schedule(customer_id: int) -> PaymentSchedule | None:
    schedule_id = schedule_of(customer_id)
    return db.session.get(PaymentSchedule, schedule_id) if schedule_id else None


def _was_dunned(receivable_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    NoticeItem.receivable_id == receivable_id,
                    NoticeItem.stage_id.is_not(None),
                    NoticeItem.notice_id == PaymentNotice.id,
                    PaymentNotice.status == NoticeStatus.QUEUED,
                )
            )
        )
    )


def _may_receive(customer_id: int, receivable_id: int) -> bool:
    mode = settings_row().mode
    kind = db.session.scalar(
        select(ReminderSelection.kind).where(ReminderSelection.customer_id == customer_id)
    )
    if kind == SelectionKind.EXCLUDED or (
        mode == SelectionMode.CHOSEN and kind != SelectionKind.CHOSEN
    ):
        return False
    today = warsaw_today()
    held = db.session.scalar(
        select(
            exists().where(
                ReminderHold.customer_id == customer_id,
                (ReminderHold.receivable_id.is_(None))
                | (ReminderHold.receivable_id == receivable_id),
                ReminderHold.released_at.is_(None),
                ReminderHold.starts_on <= today,
                ReminderHold.ends_on >= today,
            )
        )
    )
    return not held


def _add_to_notice(receivable, schedule, key, amount, paid) -> PaymentNotice | None:
    if db.session.scalar(select(exists().where(NoticeItem.thanks_key == key))):
        return None
    notice = _pending_notice(receivable.customer_id, schedule.id)
    item = NoticeItem(
        notice=notice,
        receivable_id=receivable.id,
        thanks_key=key,
        document_number=receivable.document_number,
        issued_at=receivable.issued_at,
        due_date=receivable.due_date,
        currency=receivable.currency,
        amount=amount,
        paid=paid,
        outstanding=amount - paid,
        days_overdue=max((warsaw_today() - receivable.due_date).days, 0),
    )
    try:
        with db.session.begin_nested():
            db.session.add(item)
            db.session.flush()
    except IntegrityError:  # thanked concurrently
        return None
    totals = dict(notice.totals or {})
    totals[item.currency] = str(Decimal(totals.get(item.currency, "0")) + paid)
    notice.totals = totals
    notice.receivable_count = (notice.receivable_count or 0) + 1
    defer("tasks.payment_reminders.deliver_notices", [notice.id], key=f"thanks-{notice.id}")
    return notice


def _pending_notice(customer_id: int, schedule_id: int) -> PaymentNotice:
    """The customer's thank-you not yet sent (locked), else a new one."""
    notice = db.session.scalar(
        select(PaymentNotice)
        .where(
            PaymentNotice.customer_id == customer_id,
            PaymentNotice.kind == NoticeKind.THANK_YOU,
            PaymentNotice.status == NoticeStatus.PLANNED,
        )
        .order_by(PaymentNotice.id.desc())
        .limit(1)
        .with_for_update()
    )
    if notice is None:
        notice = PaymentNotice(
            customer_id=customer_id,
            schedule_id=schedule_id,
            kind=NoticeKind.THANK_YOU,
            status=NoticeStatus.PLANNED,
            totals={},
            receivable_count=0,
            message_count=0,
        )
        db.session.add(notice)
        db.session.flush()
    return notice
