"""Payment monitoring: which receivables reach which stage on a day (boundaries, weekends,
catch-up, Warsaw midnight), schedules per group and customer, holds and exclusions."""

import datetime as dt
from decimal import Decimal

import pytest

from backoffice.actors import SYSTEM
from backoffice.errors import ValidationFailed
from backoffice.services import payment_reminders
from backoffice.services.dunning_calendar import (
    is_working_day,
    stage_date,
    warsaw_today,
)
from backoffice.services.dunning_runs import plan_run
from backoffice.services.dunning_selection import due_groups
from models.payment_reminders import NoticeStatus, SelectionMode
from tests.factories import make_customer, make_group
from tests.factories_payments import (
    make_hold,
    make_schedule,
    open_receivable,
    select_customer,
    set_settings,
    stage,
)

WEDNESDAY = dt.date(2026, 5, 13)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def selected(today, catch_up=0, mode=SelectionMode.ALL):
    """{receivable id: stage offset} of the due set."""
    from backoffice.extensions import db
    from models.payment_reminders import PaymentStage

    out = {}
    for group in due_groups(today, catch_up, mode):
        offset = db.session.get(PaymentStage, group.stage_id).offset_days
        for row in group.rows:
            out[row.receivable_id] = offset
    return out


def test_exact_stage_boundaries_without_catch_up(db):
    schedule = make_schedule()
    customer = make_customer()
    due = {n: open_receivable(customer, due=WEDNESDAY + days(n)) for n in range(-31, 9)}
    got = selected(WEDNESDAY)
    expected = {-7: 7, -1: 1, 3: -3, 14: -14, 30: -30}  # stage offset: due relative to today
    assert got == {due[rel].id: offset for offset, rel in expected.items()}
    assert {stage(schedule, o).id for o in expected}  # the stages exist


def test_due_today_gets_nothing_and_catch_up_sends_a_missed_stage(db):
    make_schedule()
    customer = make_customer()
    today_due = open_receivable(customer, due=WEDNESDAY)  # -1 was yesterday
    missed = open_receivable(customer, due=WEDNESDAY - days(5))  # +3 was two days ago
    assert selected(WEDNESDAY, catch_up=0) == {}
    # a missed run: the reminder still goes out on the due day, the notice two days late
    assert selected(WEDNESDAY, catch_up=2) == {today_due.id: -1, missed.id: 3}
    assert selected(WEDNESDAY, catch_up=1) == {today_due.id: -1}


def test_no_reminder_after_the_due_date_even_within_catch_up(db):
    make_schedule()
    late = open_receivable(due=WEDNESDAY - days(1))  # -1 reminder was 2 days ago
    assert late.id not in selected(WEDNESDAY, catch_up=5)


def test_paid_and_partly_paid_receivables(db):
    make_schedule()
    paid = open_receivable(due=WEDNESDAY - days(3), amount="100.00", paid="100.00")
    part = open_receivable(due=WEDNESDAY - days(3), amount="100.00", paid="40.00")
    groups = due_groups(WEDNESDAY, 0, SelectionMode.ALL)
    rows = [r for g in groups for r in g.rows]
    assert [r.receivable_id for r in rows] == [part.id]
    assert rows[0].outstanding == Decimal("60.00") and paid.id


def test_weekends_do_not_move_dates_unless_configured():
    thursday = dt.date(2026, 5, 14)
    assert stage_date(thursday, 3, False) == dt.date(2026, 5, 17)  # Sunday
    assert stage_date(thursday, 3, True) == dt.date(2026, 5, 18)  # Monday
    assert stage_date(dt.date(2026, 4, 30), 1, True) == dt.date(2026, 5, 4)  # 1 and 3 May
    assert not is_working_day(dt.date(2026, 6, 4))  # Corpus Christi
    assert not is_working_day(dt.date(2026, 12, 24)) and is_working_day(dt.date(2026, 12, 23))


def test_shifted_schedule_sends_on_monday_not_on_sunday(db):
    make_schedule(shift_off_days=True)
    receivable = open_receivable(due=dt.date(2026, 5, 14))  # +3 falls on Sunday 17th
    assert selected(dt.date(2026, 5, 17)) == {}
    assert selected(dt.date(2026, 5, 18)) == {receivable.id: 3}


def test_customer_and_group_schedules_take_precedence(db):
    make_schedule(stages=((3, "Domyślny", "payment.notice_1"),))
    group = make_group()
    make_schedule(customer_group=group, stages=((5, "Grupa", "payment.notice_1"),))
    vip = make_customer(group=group)
    own = make_customer(group=group)
    make_schedule(customer=own, stages=((7, "Własny", "payment.notice_2"),))
    plain = make_customer()
    r = {
        c.id: open_receivable(c, due=WEDNESDAY - days(n))
        for c, n in ((vip, 5), (own, 7), (plain, 3))
    }
    assert selected(WEDNESDAY) == {r[vip.id].id: 5, r[own.id].id: 7, r[plain.id].id: 3}


def test_inactive_customer_schedule_falls_back_to_the_default(db):
    make_schedule(stages=((3, "Domyślny", "payment.notice_1"),))
    customer = make_customer()
    make_schedule(customer=customer, active=False, stages=((5, "Własny", "payment.notice_1"),))
    receivable = open_receivable(customer, due=WEDNESDAY - days(3))
    assert selected(WEDNESDAY) == {receivable.id: 3}


def test_excluded_and_chosen_customers(db):
    make_schedule()
    excluded, chosen, other = make_customer(), make_customer(), make_customer()
    select_customer(excluded, "excluded")
    select_customer(chosen, "chosen")
    r = {c.id: open_receivable(c, due=WEDNESDAY - days(3)).id for c in (excluded, chosen, other)}
    assert set(selected(WEDNESDAY)) == {r[chosen.id], r[other.id]}
    assert set(selected(WEDNESDAY, mode=SelectionMode.CHOSEN)) == {r[chosen.id]}


def test_hold_skips_the_stage_for_good(db):
    make_schedule()
    customer = make_customer()
    receivable = open_receivable(customer, due=WEDNESDAY - days(3))
    make_hold(customer, starts_on=WEDNESDAY - days(1), ends_on=WEDNESDAY + days(1))
    result = plan_run(SYSTEM, WEDNESDAY)
    assert result.notice_ids == [] and result.skipped == 1
    notice = result.run and db.session.get(type(result.run), result.run.id)
    from models.payment_reminders import PaymentNotice

    skipped = db.session.query(PaymentNotice).one()
    assert skipped.status == NoticeStatus.SKIPPED and skipped.reason == "hold" and notice
    # after the hold, within the catch-up window: still not sent late
    assert selected(WEDNESDAY + days(2), catch_up=3) == {} and receivable.id


def test_hold_that_keeps_missed_stages_sends_after_it_ends(db):
    make_schedule()
    customer = make_customer()
    receivable = open_receivable(customer, due=WEDNESDAY - days(3))
    make_hold(
        customer, starts_on=WEDNESDAY - days(1), ends_on=WEDNESDAY + days(6), send_missed=True
    )
    assert plan_run(SYSTEM, WEDNESDAY).skipped == 0  # waits, nothing written
    assert selected(WEDNESDAY + days(7), catch_up=0) == {receivable.id: 3}


def test_hold_on_one_document_leaves_the_others(db):
    make_schedule()
    customer = make_customer()
    disputed = open_receivable(customer, due=WEDNESDAY - days(3))
    other = open_receivable(customer, due=WEDNESDAY - days(3))
    make_hold(customer, starts_on=WEDNESDAY, ends_on=WEDNESDAY, receivable_id=disputed.id)
    groups = due_groups(WEDNESDAY, 0, SelectionMode.ALL)
    holds = {r.receivable_id: r.hold for g in groups for r in g.rows}
    assert holds == {disputed.id: "skip", other.id: None}


def test_warsaw_day_at_midnight():
    assert warsaw_today(dt.datetime(2026, 5, 12, 21, 59, tzinfo=dt.UTC)) == dt.date(2026, 5, 12)
    assert warsaw_today(dt.datetime(2026, 5, 12, 22, 0, tzinfo=dt.UTC)) == dt.date(2026, 5, 13)
    assert warsaw_today(dt.datetime(2026, 1, 12, 22, 59, tzinfo=dt.UTC)) == dt.date(2026, 1, 12)
    assert warsaw_today(dt.datetime(2026, 1, 12, 23, 0, tzinfo=dt.UTC)) == dt.date(2026, 1, 13)


def test_schedule_validation(db):
    schedule = make_schedule()
    payment_reminders.check_schedule(schedule)
    stage(schedule, 3).send_email = False
    with pytest.raises(ValidationFailed, match="nic nie wysyła"):
        payment_reminders.check_schedule(schedule)
    stage(schedule, 3).send_email = True
    stage(schedule, 3).offset_days = 14
    with pytest.raises(ValidationFailed, match="tego samego dnia"):
        payment_reminders.check_schedule(schedule)


def test_hold_validation(db):
    customer = make_customer()
    today = warsaw_today()
    with pytest.raises(ValidationFailed, match="powód"):
        payment_reminders.add_hold(SYSTEM, customer, reason=" ", ends_on=today)
    with pytest.raises(ValidationFailed, match="przeszłości"):
        payment_reminders.add_hold(SYSTEM, customer, reason="x", ends_on=today - days(1),
                                   starts_on=today - days(3))  # fmt: skip
    other = open_receivable(due=today)
    with pytest.raises(ValidationFailed, match="innego kontrahenta"):
        payment_reminders.add_hold(SYSTEM, customer, reason="x", ends_on=today,
                                   receivable_id=other.id)  # fmt: skip
    hold = payment_reminders.add_hold(SYSTEM, customer, reason="Reklamacja", ends_on=today)
    payment_reminders.release_hold(SYSTEM, hold)
    assert hold.released_at is not None


def test_settings_validation_and_audit(db):
    set_settings()
    with pytest.raises(ValidationFailed):
        payment_reminders.update_settings(
            SYSTEM, enabled=True, run_at=dt.time(7), mode="all", catch_up_days=99
        )
    settings = payment_reminders.update_settings(
        SYSTEM, enabled=False, run_at=dt.time(6, 30), mode="chosen", catch_up_days=1
    )
    assert settings.mode == SelectionMode.CHOSEN and settings.run_at == dt.time(6, 30)
