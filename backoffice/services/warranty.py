"""Warranty arithmetic: end = purchase date + months + days spent in warranty repairs.

Months are calendar months, end-of-month safe (31 January + 1 month = 28/29 February).
Each warranty ticket contributes the half-open interval [goods received, returned); the
intervals are merged before counting, so overlapping tickets never count a day twice.
Post-warranty tickets contribute nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from backoffice.extensions import db
from models.service_procedures import TicketKind
from models.service_products import RegisteredProduct, WarrantyExtension
from models.service_tickets import ServiceTicket

WARSAW = ZoneInfo("Europe/Warsaw")


def warsaw_today() -> dt.date:
    """Today's date in Warsaw (the business day, whatever the server's zone)."""
    return dt.datetime.now(WARSAW).date()


def add_months(start: dt.date, months: int) -> dt.date:
    """``start`` plus calendar months; a missing day becomes the month's last day."""
    return start + relativedelta(months=months)


def merged_days(intervals: Iterable[tuple[dt.date, dt.date]]) -> int:
    """Days covered by the union of half-open [start, end) intervals."""
    total, cur_start, cur_end = 0, None, None
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if cur_end is None or start > cur_end:
            if cur_end is not None:
                total += (cur_end - cur_start).days
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None:
        total += (cur_end - cur_start).days
    return total


def warranty_end(
    purchase: dt.date, months: int, repairs: Iterable[tuple[dt.date, dt.date]] = ()
) -> dt.date:
    """The last day of warranty: purchase + months, plus the merged repair days."""
    return add_months(purchase, months) + dt.timedelta(days=merged_days(repairs))


def incremental_days(intervals: list[tuple[dt.date, dt.date]]) -> list[int]:
    """For intervals in the given order, the days each adds to the union of those before."""
    added, seen = [], []
    for interval in intervals:
        before = merged_days(seen)
        seen.append(interval)
        added.append(merged_days(seen) - before)
    return added


def recompute_warranty(unit: RegisteredProduct) -> dt.date:
    """Store the unit's extension days and warranty end from its extension rows. No commit."""
    db.session.flush()
    rows = sorted(unit.extensions, key=lambda e: (e.starts_on, e.id or 0))
    intervals = [(e.starts_on, e.ends_on) for e in rows]
    for row, days in zip(rows, incremental_days(intervals), strict=True):
        row.days_added = days
    unit.warranty_extension_days = merged_days(intervals)
    unit.warranty_ends_on = warranty_end(unit.purchase_date, unit.warranty_months, intervals)
    return unit.warranty_ends_on


def sync_extension(ticket: ServiceTicket) -> None:
    """Make the ticket's extension row match its kind and dates, then recompute. No commit.

    Only a warranty ticket whose goods were received and returned extends the warranty.
    """
    unit = ticket.registered_product
    row = next((e for e in unit.extensions if e.ticket_id == ticket.id), None)
    counts = (
        ticket.kind == TicketKind.WARRANTY
        and ticket.goods_received_on is not None
        and ticket.returned_on is not None
    )
    if counts:
        if row is None:
            row = WarrantyExtension(ticket=ticket, starts_on=ticket.goods_received_on)
            unit.extensions.append(row)
        row.starts_on, row.ends_on = ticket.goods_received_on, ticket.returned_on
    elif row is not None:
        unit.extensions.remove(row)
    recompute_warranty(unit)


@dataclass(frozen=True)
class WarrantyState:
    """What the product page shows about a unit's warranty on a given day."""

    base_ends_on: dt.date
    ends_on: dt.date
    extension_days: int
    active: bool
    days_left: int
    #: Received for a warranty repair and not yet returned: the end will move.
    in_repair_since: dt.date | None


def warranty_state(unit: RegisteredProduct, today: dt.date | None = None) -> WarrantyState:
    """The unit's warranty as of ``today`` (Warsaw)."""
    today = today or warsaw_today()
    in_repair = [
        t.goods_received_on
        for t in unit.tickets
        if t.kind == TicketKind.WARRANTY and t.goods_received_on and not t.returned_on
    ]
    return WarrantyState(
        base_ends_on=add_months(unit.purchase_date, unit.warranty_months),
        ends_on=unit.warranty_ends_on,
        extension_days=unit.warranty_extension_days,
        active=today <= unit.warranty_ends_on,
        days_left=max((unit.warranty_ends_on - today).days, 0),
        in_repair_since=min(in_repair) if in_repair else None,
    )


def kind_on(unit: RegisteredProduct, day: dt.date) -> TicketKind:
    """Warranty when ``day`` is on or before the unit's warranty end, else post-warranty."""
    return TicketKind.WARRANTY if day <= unit.warranty_ends_on else TicketKind.POST_WARRANTY
