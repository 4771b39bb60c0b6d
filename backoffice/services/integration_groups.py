"""Customer and product groups named by the ERP: found by code or name, created when new."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from backoffice.extensions import db
from backoffice.services.upsert_children import chunks, one_of


def group_ids(model: type, labels: set[str], create_column: str) -> dict[str, int]:
    """Map each group label (lower-cased) to an id.

    A label matches a group's ``code`` first, then its ``name``, case-insensitively; labels
    matching nothing become new groups (``create_column`` is the unique column used, and
    a concurrent creation of the same group is absorbed by ON CONFLICT DO NOTHING).
    """
    wanted = {label.lower(): label for label in labels}
    found: dict[str, int] = {}
    _match(model, set(wanted), found)
    missing = sorted(key for key in wanted if key not in found)
    if missing:
        table = model.__table__
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        rows = [
            {"name": wanted[k], "code": wanted[k] if create_column == "code" else None}
            for k in missing
        ]
        stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=[create_column])
        db.session.execute(stmt, rows)
        _match(model, set(missing), found)
    return found


def _match(model: type, keys: set[str], found: dict[str, int]) -> None:
    for batch in chunks(sorted(keys)):
        code = func.lower(model.code)
        for key, id_ in db.session.execute(select(code, model.id).where(one_of(code, batch))):
            found.setdefault(key, id_)
        rest = [k for k in batch if k not in found]
        if not rest:
            continue
        name = func.lower(model.name)
        stmt = select(name, model.id).where(one_of(name, rest)).order_by(model.id.desc())
        for key, id_ in db.session.execute(stmt):
            found[key] = id_  # rows come newest first: the oldest group of a name wins
