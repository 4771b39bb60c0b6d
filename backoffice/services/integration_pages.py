"""Keyset pagination of API lists on (updated_at, id): stable while rows are inserted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, or_

from backoffice.extensions import db


@dataclass(frozen=True)
class Page:
    """One page of rows and the position after its last row (None when it was the last)."""

    rows: list[Any]
    next_after: tuple[dt.datetime, int] | None


def page(
    stmt: Select,
    model: type,
    *,
    updated_since: dt.datetime | None = None,
    after: tuple[dt.datetime, int] | None = None,
    limit: int = 100,
) -> Page:
    """Rows of ``stmt`` ordered by (updated_at, id), starting after ``after``."""
    if updated_since is not None:
        stmt = stmt.where(model.updated_at >= updated_since)
    if after is not None:
        moment, last_id = after
        stmt = stmt.where(
            or_(
                model.updated_at > moment,
                and_(model.updated_at == moment, model.id > last_id),
            )
        )
    stmt = stmt.order_by(model.updated_at, model.id).limit(limit + 1)
    rows = list(db.session.scalars(stmt).unique())
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    return Page(rows, (rows[-1].updated_at, rows[-1].id))
