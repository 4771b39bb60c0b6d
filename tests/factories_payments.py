"""Factories of payment monitoring: schedules with stages, holds, exclusions, open receivables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from backoffice.extensions import db
from models.payment_reminders import (
    PaymentReminderSettings,
    PaymentSchedule,
    PaymentStage,
    ReminderHold,
    ReminderSelection,
    SelectionKind,
)
from tests.factories import make_customer, make_receivable, seq

#: (offset, name, e-mail event) of the usual schedule.
STAGES = (
    (-7, "Przypomnienie 7 dni", "payment.reminder"),
    (-1, "Przypomnienie — jutro", "payment.reminder"),
    (3, "Pierwsze ponaglenie", "payment.notice_1"),
    (14, "Drugie ponaglenie", "payment.notice_2"),
    (30, "Ostateczne wezwanie", "payment.notice_final"),
)


def make_schedule(stages=STAGES, **overrides) -> PaymentSchedule:
    """The default schedule (unless a group or customer is given) with the usual stages."""
    scoped = overrides.get("customer") or overrides.get("customer_group")
    schedule = PaymentSchedule(
        name=overrides.pop("name", f"Harmonogram {seq()}"),
        is_default=overrides.pop("is_default", not scoped),
        **overrides,
    )
    for offset, name, event, *extra in stages:
        options = extra[0] if extra else {}
        schedule.stages.append(
            PaymentStage(
                offset_days=offset, name=name, email_event=event, sms_event=event, **options
            )
        )
    db.session.add(schedule)
    db.session.flush()
    return schedule


def stage(schedule: PaymentSchedule, offset: int) -> PaymentStage:
    return next(s for s in schedule.stages if s.offset_days == offset)


def set_settings(**values) -> PaymentReminderSettings:
    row = db.session.get(PaymentReminderSettings, 1) or PaymentReminderSettings(id=1)
    for key, value in values.items():
        setattr(row, key, value)
    db.session.add(row)
    db.session.flush()
    return row


def open_receivable(customer=None, *, due: dt.date, amount="1230.00", paid="0.00", **overrides):
    """An open receivable due on ``due`` (``paid`` already paid)."""
    customer = customer or make_customer()
    return make_receivable(
        customer,
        due_date=due,
        amount=Decimal(amount),
        paid_amount=Decimal(paid),
        is_open=Decimal(paid) < Decimal(amount),
        **overrides,
    )


def make_hold(customer, *, starts_on: dt.date, ends_on: dt.date, **overrides) -> ReminderHold:
    hold = ReminderHold(
        customer_id=customer.id,
        reason=overrides.pop("reason", "Spór o fakturę — reklamacja"),
        starts_on=starts_on,
        ends_on=ends_on,
        **overrides,
    )
    db.session.add(hold)
    db.session.flush()
    return hold


def select_customer(customer, kind: str = "excluded") -> ReminderSelection:
    row = ReminderSelection(customer_id=customer.id, kind=SelectionKind(kind))
    db.session.add(row)
    db.session.flush()
    return row
