"""Payment monitoring: settings, schedules, exclusions and holds (the rules the runs apply).

The runs live in ``dunning_runs`` (plan) and ``dunning_delivery`` (send), their selection in
``dunning_selection``, thank-yous in ``dunning_thanks`` (``handle_payment`` below is what
``services/payment_hooks`` calls when a payment is booked). Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.errors import Conflict, ValidationFailed
from backoffice.extensions import db
from backoffice.services import dunning_messages  # noqa: F401 - registers the events
from backoffice.services.audit import record
from backoffice.services.dunning_calendar import warsaw_today
from backoffice.services.dunning_messages import STAGE_EVENTS
from backoffice.services.dunning_selection import settings_row
from backoffice.services.dunning_thanks import handle_payment  # noqa: F401 - the hook
from models.base import utcnow
from models.customers import Customer
from models.payment_reminders import (
    PaymentReminderSettings,
    PaymentSchedule,
    PaymentStage,
    ReminderHold,
    ReminderSelection,
    SelectionKind,
    SelectionMode,
)

MAX_OFFSET = 365
MAX_CATCH_UP = 30
#: The stages of the schedule made on first use: (offset, name, e-mail event, sms, attach).
DEFAULT_STAGES = (
    (-7, "Przypomnienie — 7 dni przed terminem", "payment.reminder", False, False),
    (-1, "Przypomnienie — termin jutro", "payment.reminder", False, False),
    (3, "Pierwsze ponaglenie", "payment.notice_1", False, False),
    (14, "Drugie ponaglenie", "payment.notice_2", False, True),
    (30, "Ostateczne wezwanie do zapłaty", "payment.notice_final", True, True),
)


def get_settings() -> PaymentReminderSettings:
    """The module's settings (created with defaults on first use; flushed, not committed)."""
    return settings_row()


def update_settings(
    actor: Actor, *, enabled: bool, run_at: dt.time, mode: str, catch_up_days: int
) -> PaymentReminderSettings:
    """Change the settings; audited. Raises ValidationFailed for out-of-range values."""
    if not 0 <= int(catch_up_days) <= MAX_CATCH_UP:
        raise ValidationFailed(
            _("Catch-up must be between 0 and %(n)s days.", n=MAX_CATCH_UP), field="catch_up_days"
        )
    settings = settings_row(lock=True)
    before = {c: getattr(settings, c) for c in ("enabled", "run_at", "mode", "catch_up_days")}
    settings.enabled = bool(enabled)
    settings.run_at = run_at
    settings.mode = SelectionMode(mode)
    settings.catch_up_days = int(catch_up_days)
    settings.updated_by = actor.label[:300]
    after = {k: getattr(settings, k) for k in before}
    changes = {k: [_plain(v), _plain(after[k])] for k, v in before.items() if v != after[k]}
    if changes:
        record(actor, "payment_settings.update", settings, changes=changes)
    return settings


def _plain(value):
    return value.isoformat(timespec="minutes") if isinstance(value, dt.time) else value


def ensure_default_schedule(actor: Actor) -> PaymentSchedule:
    """The default schedule, made with the usual five stages when there is none."""
    schedule = db.session.scalar(select(PaymentSchedule).where(PaymentSchedule.is_default))
    if schedule is not None:
        return schedule
    schedule = PaymentSchedule(name=_("Default schedule"), is_default=True)
    for offset, name, event, sms, attach in DEFAULT_STAGES:
        schedule.stages.append(
            PaymentStage(
                offset_days=offset,
                name=name,
                email_event=event,
                send_sms=sms,
                sms_event=event,
                attach_pdf=attach,
                attach_xlsx=attach,
            )
        )
    db.session.add(schedule)
    db.session.flush()
    record(actor, "payment_schedule.create", schedule, summary=schedule.name)
    return schedule


def check_schedule(schedule: PaymentSchedule) -> None:
    """Raise ValidationFailed unless the schedule has one scope and sound stages."""
    scopes = [
        schedule.is_default,
        schedule.customer_group_id is not None or schedule.customer_group is not None,
        schedule.customer_id is not None or schedule.customer is not None,
    ]
    if sum(bool(s) for s in scopes) != 1:
        raise ValidationFailed(
            _("A schedule is either the default one, or a customer group's, or a customer's."),
            field="is_default",
        )
    offsets = [s.offset_days for s in schedule.stages]
    if len(offsets) != len(set(offsets)):
        raise ValidationFailed(_("Two stages cannot have the same day."), field="stages")
    for stage in schedule.stages:
        _check_stage(stage)


def _check_stage(stage: PaymentStage) -> None:
    if stage.offset_days is None or not -MAX_OFFSET <= stage.offset_days <= MAX_OFFSET:
        raise ValidationFailed(
            _("A stage's day must be between -%(n)s and %(n)s.", n=MAX_OFFSET), field="stages"
        )
    if not (stage.send_email or stage.send_sms):
        raise ValidationFailed(
            _("Stage %(name)s sends nothing: choose e-mail or SMS.", name=stage.name),
            field="stages",
        )
    for event in (stage.email_event, stage.sms_event):
        if event not in STAGE_EVENTS:
            raise ValidationFailed(_("Unknown message template %(e)s.", e=event), field="stages")
    if stage.min_amount is not None and stage.min_amount < Decimal("0"):
        raise ValidationFailed(_("The minimum amount cannot be negative."), field="stages")
    stage.min_amount = stage.min_amount or Decimal("0.00")


def set_selection(actor: Actor, customer: Customer, kind: str | None, note: str | None = None):
    """Exclude a customer, choose it ("only chosen" mode) or (None) clear that; audited."""
    row = db.session.scalar(
        select(ReminderSelection).where(ReminderSelection.customer_id == customer.id)
    )
    before = row.kind.value if row else None
    if kind is None:
        if row is not None:
            db.session.delete(row)
    else:
        row = row or ReminderSelection(customer_id=customer.id)
        row.kind = SelectionKind(kind)
        row.note = (note or "").strip()[:500] or None
        row.created_by = actor.label[:300]
        row.created_at = utcnow()
        db.session.add(row)
    if before != kind:
        record(actor, "payment_selection.update", customer, changes={"selection": [before, kind]})
    return row


def add_hold(
    actor: Actor,
    customer: Customer,
    *,
    reason: str,
    ends_on: dt.date,
    starts_on: dt.date | None = None,
    receivable_id: int | None = None,
    send_missed: bool = False,
) -> ReminderHold:
    """Stop reminders for a customer (or one of its documents) until ``ends_on``; audited.

    Raises ValidationFailed without a reason, with an end before the start or in the past,
    or for a document of another customer.
    """
    starts_on = starts_on or warsaw_today()
    check_hold(customer.id, reason, starts_on, ends_on, receivable_id)
    hold = ReminderHold(
        customer_id=customer.id,
        receivable_id=receivable_id,
        reason=reason.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        send_missed=send_missed,
        created_by=actor.label[:300],
    )
    db.session.add(hold)
    db.session.flush()
    record(actor, "payment_hold.create", hold, summary=f"{customer.name}: {starts_on}–{ends_on}")
    return hold


def check_hold(customer_id, reason, starts_on, ends_on, receivable_id=None) -> None:
    """Raise ValidationFailed for an unusable hold (also used by the console form)."""
    if not (reason or "").strip():
        raise ValidationFailed(_("Give the reason for the hold."), field="reason")
    if ends_on is None or starts_on is None:
        raise ValidationFailed(_("Give the start and end dates."), field="ends_on")
    if ends_on < starts_on:
        raise ValidationFailed(_("The hold cannot end before it starts."), field="ends_on")
    if ends_on < warsaw_today():
        raise ValidationFailed(_("The end date is in the past."), field="ends_on")
    if receivable_id is not None:
        from models.receivables import Receivable

        owner = db.session.scalar(
            select(Receivable.customer_id).where(Receivable.id == receivable_id)
        )
        if owner != customer_id:
            raise ValidationFailed(
                _("The document belongs to another customer."), field="receivable"
            )


def release_hold(actor: Actor, hold: ReminderHold) -> ReminderHold:
    """End a hold today (reminders resume with the next run); Conflict if already ended."""
    if hold.released_at is not None or hold.ends_on < warsaw_today():
        raise Conflict(_("This hold has already ended."))
    hold.released_at = utcnow()
    hold.released_by = actor.label[:300]
    record(actor, "payment_hold.release", hold, summary=str(hold.customer))
    return hold
