"""Warranty end: calendar months, extension by warranty repairs, no double counting."""

import datetime as dt

import pytest

from backoffice.services.service_workflow import correct_repair_dates, override_ticket_kind
from backoffice.services.warranty import (
    add_months,
    incremental_days,
    merged_days,
    warranty_end,
    warranty_state,
)
from models.service_procedures import TicketKind
from tests.factories_service import STAFF, WARRANTY_PATH, make_ticket, make_unit, walk

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (D(2025, 3, 10), 24, D(2027, 3, 10)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2025, 8, 31), 3, D(2025, 11, 30)),
        (D(2025, 3, 10), 0, D(2025, 3, 10)),
    ],
)
def test_calendar_months_are_end_of_month_safe(start, months, end):
    assert add_months(start, months) == end


@pytest.mark.parametrize(
    ("intervals", "days"),
    [
        ([], 0),
        ([(D(2026, 1, 5), D(2026, 1, 25))], 20),
        ([(D(2026, 1, 5), D(2026, 1, 25)), (D(2026, 1, 20), D(2026, 2, 4))], 30),
        ([(D(2026, 1, 20), D(2026, 2, 4)), (D(2026, 1, 5), D(2026, 1, 25))], 30),
        ([(D(2026, 1, 5), D(2026, 1, 25)), (D(2026, 1, 25), D(2026, 1, 30))], 25),
        ([(D(2026, 1, 5), D(2026, 1, 25)), (D(2026, 1, 10), D(2026, 1, 12))], 20),
        ([(D(2026, 1, 5), D(2026, 1, 15)), (D(2026, 3, 1), D(2026, 3, 11))], 20),
        ([(D(2026, 1, 5), D(2026, 1, 5))], 0),
    ],
)
def test_merged_days_count_each_day_once(intervals, days):
    assert merged_days(intervals) == days


def test_incremental_days_attribute_overlap_to_the_first():
    intervals = [(D(2026, 1, 5), D(2026, 1, 25)), (D(2026, 1, 20), D(2026, 2, 4))]
    assert incremental_days(intervals) == [20, 10]
    assert warranty_end(D(2025, 3, 10), 24, intervals) == D(2027, 4, 9)


def test_registration_computes_the_end(db):
    unit = make_unit(purchase_date=D(2025, 3, 10), months=24)
    assert unit.warranty_ends_on == D(2027, 3, 10)
    assert unit.warranty_extension_days == 0


def test_warranty_repair_extends_by_days_in_service(db):
    unit = make_unit(purchase_date=D(2025, 3, 10), months=24)
    ticket = make_ticket(unit, filed_on=D(2026, 1, 5))
    assert ticket.kind == TicketKind.WARRANTY
    walk(ticket, WARRANTY_PATH, {"goods_received": D(2026, 1, 5), "returned": D(2026, 1, 25)})
    assert unit.warranty_ends_on == D(2027, 3, 30)
    assert unit.warranty_extension_days == 20
    [extension] = unit.extensions
    assert (extension.ticket, extension.days, extension.days_added) == (ticket, 20, 20)


def test_post_warranty_repair_moves_nothing(db):
    unit = make_unit(purchase_date=D(2023, 1, 10), months=24)
    assert unit.warranty_ends_on == D(2025, 1, 10)
    ticket = make_ticket(unit, filed_on=D(2026, 1, 5))
    assert ticket.kind == TicketKind.POST_WARRANTY
    ticket.quote_amount = 250
    path = ["accepted", "goods_received", "diagnosis", "quote_sent", "quote_accepted"]
    walk(
        ticket,
        path + ["repair", "ready", "returned"],
        {"goods_received": D(2026, 1, 5), "returned": D(2026, 1, 25)},
    )
    assert unit.warranty_ends_on == D(2025, 1, 10)
    assert unit.extensions == []


def test_overlapping_tickets_do_not_double_count(db):
    unit = make_unit(purchase_date=D(2025, 3, 10), months=24)
    first = make_ticket(unit, filed_on=D(2026, 1, 5))
    second = make_ticket(unit, filed_on=D(2026, 1, 20))
    walk(first, WARRANTY_PATH[:2], {"goods_received": D(2026, 1, 5)})
    walk(second, WARRANTY_PATH, {"goods_received": D(2026, 1, 20), "returned": D(2026, 2, 4)})
    walk(first, WARRANTY_PATH[2:], {"returned": D(2026, 1, 25)})
    assert unit.warranty_extension_days == 30
    assert unit.warranty_ends_on == D(2027, 4, 9)
    assert sorted(e.days_added for e in unit.extensions) == [10, 20]


def test_override_to_post_warranty_removes_the_extension(db):
    unit = make_unit(purchase_date=D(2025, 3, 10), months=24)
    ticket = make_ticket(unit, filed_on=D(2026, 1, 5))
    walk(ticket, WARRANTY_PATH, {"goods_received": D(2026, 1, 5), "returned": D(2026, 1, 25)})
    assert unit.warranty_ends_on == D(2027, 3, 30)
    override_ticket_kind(STAFF, ticket, TicketKind.POST_WARRANTY, "Uszkodzenie mechaniczne")
    assert unit.warranty_ends_on == D(2027, 3, 10)
    assert unit.extensions == []


def test_corrected_dates_move_the_end(db):
    unit = make_unit(purchase_date=D(2025, 3, 10), months=24)
    ticket = make_ticket(unit, filed_on=D(2026, 1, 5))
    walk(ticket, WARRANTY_PATH, {"goods_received": D(2026, 1, 5), "returned": D(2026, 1, 25)})
    correct_repair_dates(
        STAFF, ticket, received_on=D(2026, 1, 2), returned_on=D(2026, 1, 25), reason="Pomyłka"
    )
    assert unit.warranty_ends_on == D(2027, 4, 2)


def test_state_shows_a_repair_in_progress(db):
    unit = make_unit(purchase_date=D(2025, 3, 10), months=24)
    ticket = make_ticket(unit, filed_on=D(2026, 1, 5))
    walk(ticket, WARRANTY_PATH[:2], {"goods_received": D(2026, 1, 5)})
    state = warranty_state(unit, today=D(2026, 1, 10))
    assert state.in_repair_since == D(2026, 1, 5)
    assert state.active and state.days_left == (D(2027, 3, 10) - D(2026, 1, 10)).days
    assert warranty_state(unit, today=D(2027, 3, 11)).active is False
    assert warranty_state(unit, today=D(2027, 3, 10)).active is True
