"""Dates of payment monitoring: the Warsaw calendar day, Polish working days, stage dates.

A stage's date is the receivable's due date plus the stage's offset; with the schedule's
``shift_off_days`` a date on a Saturday, Sunday or Polish public holiday moves to the next
working day. A run on day D sends stage S of a receivable when S's date is D or at most
``catch_up`` days earlier, the next stage's date is still ahead, and — for a reminder — the
receivable is not overdue yet. For one stage those receivables are one range of due dates,
which ``due_range`` finds, so the selection is set-based SQL.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.easter import easter

from models.base import utcnow

WARSAW = ZoneInfo("Europe/Warsaw")
DAY = dt.timedelta(days=1)


def warsaw_today(now: dt.datetime | None = None) -> dt.date:
    """The calendar day in Warsaw at ``now`` (aware; default: the current time)."""
    return (now or utcnow()).astimezone(WARSAW).date()


@lru_cache(maxsize=64)
def polish_holidays(year: int) -> frozenset[dt.date]:
    """Public holidays in Poland (ustawa o dniach wolnych od pracy), Christmas Eve from 2025."""
    sunday = easter(year)
    days = {
        dt.date(year, 1, 1),
        dt.date(year, 1, 6),
        sunday,
        sunday + DAY,  # Easter Monday
        dt.date(year, 5, 1),
        dt.date(year, 5, 3),
        sunday + 49 * DAY,  # Pentecost
        sunday + 60 * DAY,  # Corpus Christi
        dt.date(year, 8, 15),
        dt.date(year, 11, 1),
        dt.date(year, 11, 11),
        dt.date(year, 12, 25),
        dt.date(year, 12, 26),
    }
    if year >= 2025:
        days.add(dt.date(year, 12, 24))
    return frozenset(days)


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a Polish public holiday."""
    return day.weekday() < 5 and day not in polish_holidays(day.year)


def stage_date(due: dt.date, offset_days: int, shift_off_days: bool) -> dt.date:
    """When a stage falls for a receivable due on ``due``."""
    day = due + offset_days * DAY
    if shift_off_days:
        while not is_working_day(day):
            day += DAY
    return day


def stage_applies(
    due: dt.date,
    today: dt.date,
    offset: int,
    next_offset: int | None,
    *,
    shift: bool,
    catch_up: int,
) -> bool:
    """Whether a run on ``today`` sends the stage for a receivable due on ``due``."""
    when = stage_date(due, offset, shift)
    if when > today or (today - when).days > catch_up:
        return False
    if next_offset is not None and stage_date(due, next_offset, shift) <= today:
        return False  # the next stage has come: this one is over
    return offset > 0 or today <= due  # no "due soon" reminder once it is overdue


def due_range(
    today: dt.date,
    offset: int,
    next_offset: int | None,
    *,
    shift: bool,
    catch_up: int,
) -> tuple[dt.date, dt.date] | None:
    """The due dates (first, last) whose receivables get the stage on ``today``; None if none.

    Stage dates only grow with the due date, so the matching due dates are contiguous.
    """
    last = today - offset * DAY
    first = last - (catch_up + 12) * DAY  # a shifted date moves at most a few days
    hits = [
        day
        for day in _days(first, last)
        if stage_applies(day, today, offset, next_offset, shift=shift, catch_up=catch_up)
    ]
    return (hits[0], hits[-1]) if hits else None


def _days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += DAY
