"""Default rows for an empty dictionary table (return reasons, offer services, …)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select

from backoffice.extensions import db


def add_if_empty(model, fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Add ``rows`` (values in ``fields`` order) at positions 10, 20, … when the table has no
    row yet; returns how many were added. No flush, no commit."""
    if db.session.scalar(select(func.count()).select_from(model)):
        return 0
    added = 0
    for added, values in enumerate(rows, start=1):
        db.session.add(model(position=added * 10, **dict(zip(fields, values, strict=True))))
    return added
