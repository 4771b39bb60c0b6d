"""Offer numbers: a gapless sequence per year, formatted by OFFER_NUMBER_FORMAT.

The counter row of the year is incremented with one upsert (``INSERT … ON CONFLICT DO
UPDATE … RETURNING``). On PostgreSQL the updated row stays locked until the creating
transaction ends, so concurrent creations queue up and each gets the next number; a rolled
back creation gives its number back. SQLite serialises writers anyway.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backoffice.extensions import db
from models.base import utcnow
from models.offers import OfferNumberSequence

WARSAW = ZoneInfo("Europe/Warsaw")
DEFAULT_FORMAT = "OF/{year}/{seq:05d}"


def current_year(now: dt.datetime | None = None) -> int:
    """The calendar year in Warsaw (an offer made on 31 Dec at 23:30 belongs to that year)."""
    return (now or utcnow()).astimezone(WARSAW).year


def next_sequence(year: int) -> int:
    """Take the next number of ``year`` (no commit; the row stays locked until commit)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = OfferNumberSequence.__table__
    stmt = (
        insert(table)
        .values(year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=[table.c.year], set_={"last_value": table.c.last_value + 1}
        )
        .returning(table.c.last_value)
    )
    return db.session.execute(stmt).scalar_one()


def format_number(year: int, seq: int) -> str:
    """The printed number, e.g. OF/2026/00042."""
    pattern = current_app.config.get("OFFER_NUMBER_FORMAT") or DEFAULT_FORMAT
    return pattern.format(year=year, seq=seq)


def allocate_number(now: dt.datetime | None = None) -> tuple[int, int, str]:
    """(year, sequence, number) for a new offer."""
    year = current_year(now)
    seq = next_sequence(year)
    return year, seq, format_number(year, seq)
