"""Writing the audit trail."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from backoffice.actors import Actor
from backoffice.extensions import db
from models.audit import AuditEntry


def record(
    actor: Actor,
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    summary: str | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry for ``action`` on ``obj`` (or the given type and id); no commit."""
    if obj is not None:
        # current_user is a proxy: record the user behind it, not "LocalProxy".
        obj = obj._get_current_object() if hasattr(obj, "_get_current_object") else obj
        object_type = object_type or type(obj).__name__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    entry = AuditEntry(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:300],
        action=action,
        object_type=object_type or "-",
        object_id=None if object_id is None else str(object_id),
        summary=summary,
        changes=_jsonable(changes) if changes else None,
        ip=actor.ip,
    )
    db.session.add(entry)
    return entry


def diff(obj: Any, fields: list[str] | None = None) -> dict[str, list[Any]]:
    """Changed column values of a pending ORM object as {"field": [old, new]}."""
    from sqlalchemy import inspect

    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        if fields is not None and attr.key not in fields:
            continue
        if attr.key in {"updated_at", "created_at", "password_hash"}:
            continue
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changes[attr.key] = [old, new]
    return changes


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value
