"""Idempotent, set-based upserts keyed by the caller's external id (the API's engine).

A resource is described once with an ``UpsertSpec`` (model, references to resolve, child
collections, unique columns); ``upsert_many`` then, for a batch of up to 1,000 items:

1. refuses duplicate ids and unknown references, naming the field (``"17.customer_external_id"``);
2. compares every item with the stored row and writes only new and changed rows, with one
   ``INSERT … ON CONFLICT (external_id) DO UPDATE … WHERE <row differs>`` per input shape
   (a concurrent insert of the same id becomes an update, never a duplicate);
3. reconciles child rows (packaging, lines, addresses…) by their natural key: update in
   place, insert new, delete missing, so other modules' references to kept rows survive;
4. records one audit entry per batch that changed something.

Omitted fields keep their stored value (null clears them); an item identical to the stored
row changes nothing, not even ``updated_at``. It never commits: the caller does, once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, false, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import Conflict, ValidationFailed
from backoffice.extensions import db
from backoffice.services import audit
from backoffice.services.upsert_children import (
    Children,
    chunks,
    is_postgres,
    one_of,
    reconcile_children,
    same,
)
from models.base import utcnow

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass(frozen=True)
class Ref:
    """An input field naming another row by a key, stored as a foreign-key column."""

    field: str  #: input field, e.g. "customer_external_id"
    column: str  #: column written, e.g. "customer_id"
    model: type
    #: message for an unknown value, with ``%(value)s``
    unknown: Any
    lookup: str = "external_id"
    normalise: Callable[[str], str] | None = None


@dataclass(frozen=True)
class UpsertSpec:
    """How one resource is written: its model, references, children and unique columns."""

    name: str  #: audit prefix, e.g. "product"
    model: type
    refs: tuple[Ref, ...] = ()
    children: tuple[Children, ...] = ()
    #: Other unique columns (e.g. sku): held by another external id → 409.
    unique: tuple[str, ...] = ()
    #: A unique column by which a row without an external id is adopted (pre-API data).
    adopt: str | None = None
    #: Resource-specific resolution before writing (groups, totals…); may add errors.
    prepare: Callable[[list[Item], Errors], None] | None = None
    #: Follow-up after writing (recompute balances, hooks); gets the actor and the items.
    after: Callable[[Actor, list[Item]], None] | None = None
    #: Labels of the unique columns for messages, e.g. {"sku": "SKU"}.
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Item:
    """One input item on its way to the database."""

    index: int | None  #: position in a bulk request; None for a single PUT
    key: str  #: external id
    values: dict[str, Any]  #: column → value, only the fields that were sent
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    id: int | None = None
    status: str = UNCHANGED
    #: The stored column values before this write (None for a new row).
    before: dict[str, Any] | None = None

    def path(self, *parts: Any) -> str:
        """Error path of a field of this item: "17.lines.0.quantity" in a bulk request."""
        bits = ([] if self.index is None else [str(self.index)]) + [str(p) for p in parts]
        return ".".join(bits) or "_"


class Errors:
    """Field errors collected over a whole batch before anything is written."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, []).append(str(message))

    def raise_if_any(self, conflict: bool = False) -> None:
        if not self.fields:
            return
        if conflict:
            first = next(iter(self.fields.values()))[0]
            raise Conflict(first, errors=self.fields)
        raise ValidationFailed(_("Some fields are invalid."), errors=self.fields)


def upsert_many(
    actor: Actor,
    spec: UpsertSpec,
    entries: list[tuple[str, dict]],
    *,
    bulk: bool = True,
    defaults: Mapping[str, Any] | None = None,
) -> list[Item]:
    """Create or update ``entries`` [(external_id, fields)] all-or-nothing; never commits.

    ``defaults`` are column values for created rows only (e.g. an order's source).

    Raises ValidationFailed (422, errors keyed by "index.field") for duplicate ids and
    unknown references, Conflict (409) for a unique value held by another row.
    """
    child_fields = {c.field for c in spec.children}
    items = [
        Item(
            i if bulk else None,
            key,
            {k: v for k, v in data.items() if k not in child_fields},
            {k: v for k, v in data.items() if k in child_fields and v is not None},
        )
        for i, (key, data) in enumerate(entries)
    ]
    errors = Errors()
    _check_duplicates(spec, items, errors)
    for children in spec.children:
        children.check_keys(items, errors)
    resolve_refs(spec, items, errors)
    if spec.prepare is not None:
        spec.prepare(items, errors)
    errors.raise_if_any()
    try:
        _write(spec, items, errors, dict(defaults or {}))
    except IntegrityError as exc:
        raise Conflict(conflict_message(exc)) from exc
    if spec.after is not None:
        spec.after(actor, items)
    _audit(actor, spec, items)
    db.session.expire_all()  # Core writes bypassed the identity map
    return items


def _write(spec: UpsertSpec, items: list[Item], errors: Errors, defaults: dict) -> None:
    existing = _load_existing(spec, items)
    _check_unique(spec, items, existing, errors)
    errors.raise_if_any(conflict=True)
    now = utcnow()
    _write_rows(spec, items, existing, now, defaults)
    touched: set[int] = set()
    for children in spec.children:
        touched |= reconcile_children(children, spec.model, items, lock=is_postgres())
    for item in items:
        if item.id in touched and item.status == UNCHANGED:
            item.status = UPDATED
    table = spec.model.__table__
    stale = [it.id for it in items if it.id in touched]
    for ids in chunks(stale):
        db.session.execute(update(table).where(one_of(table.c.id, ids)).values(updated_at=now))


def conflict_message(exc: IntegrityError) -> str:
    """A user-readable 409 message for a constraint the database enforced."""
    text = str(getattr(exc, "orig", exc)).lower()
    if "foreign key" in text:
        return _("The change would remove a row that other records still refer to.")
    return _("The data conflicts with a record written at the same time; send it again.")


def _check_duplicates(spec: UpsertSpec, items: list[Item], errors: Errors) -> None:
    """An external id, or a unique value such as a SKU, may appear once per request."""
    seen: set[str] = set()
    for item in items:
        if item.key in seen:
            errors.add(
                item.path("external_id"),
                _("The external id %(id)s appears twice in this request.", id=item.key),
            )
        seen.add(item.key)
    for name in spec.unique:
        values: set = set()
        for item in items:
            value = item.values.get(name)
            if value is not None and value in values:
                errors.add(
                    item.path(name),
                    _(
                        "%(field)s %(value)s appears twice in this request.",
                        field=spec.labels.get(name, name),
                        value=value,
                    ),
                )
            values.add(value)


def resolve_refs(spec: UpsertSpec, items: list[Item], errors: Errors) -> None:
    """Replace reference fields (e.g. customer_external_id) by ids; unknown ones are errors."""
    sites: list[tuple[Ref, dict, str]] = []
    for item in items:
        sites += [(ref, item.values, item.path(ref.field)) for ref in spec.refs]
        for children in spec.children:
            sites += children.ref_sites(item)
    wanted: dict[tuple[type, str], set[str]] = defaultdict(set)
    for ref, target, _path in sites:
        value = target.get(ref.field)
        if value is not None:
            wanted[(ref.model, ref.lookup)].add(ref.normalise(value) if ref.normalise else value)
    found: dict[tuple[type, str], dict[str, int]] = {}
    for (model, lookup), values in wanted.items():
        column = getattr(model, lookup)
        found[(model, lookup)] = {
            key: id_
            for batch in chunks(sorted(values))
            for key, id_ in db.session.execute(
                select(column, model.id).where(one_of(column, batch))
            )
        }
    for ref, target, path in sites:
        if ref.field not in target:
            continue
        value = target.pop(ref.field)
        if value is None:
            target[ref.column] = None
            continue
        id_ = found[(ref.model, ref.lookup)].get(ref.normalise(value) if ref.normalise else value)
        if id_ is None:
            errors.add(path, str(ref.unknown) % {"value": value})
        target[ref.column] = id_


def _load_existing(spec: UpsertSpec, items: list[Item]) -> dict[str, dict[str, Any]]:
    model = spec.model
    columns = sorted({c for it in items for c in it.values})
    rows: dict[str, dict[str, Any]] = {}
    for keys in chunks([it.key for it in items]):
        stmt = select(model.id, model.external_id, *(getattr(model, c) for c in columns))
        for row in db.session.execute(stmt.where(one_of(model.external_id, keys))):
            rows[row.external_id] = row._asdict()
    return rows


def _check_unique(
    spec: UpsertSpec, items: list[Item], existing: dict[str, dict], errors: Errors
) -> None:
    """A unique value (SKU) held by another external id is a conflict; pre-API rows with
    no external id are adopted by the item carrying their value."""
    model = spec.model
    for name in spec.unique:
        column = getattr(model, name)
        claims = {it.values[name]: it for it in items if it.values.get(name) is not None}
        adopted: list[str] = []
        for values in chunks(list(claims)):
            stmt = select(model.id, model.external_id, column).where(one_of(column, values))
            for row_id, owner, value in db.session.execute(stmt):
                item = claims[value]
                if owner == item.key:
                    continue
                if owner is None and spec.adopt == name and item.key not in existing:
                    db.session.execute(
                        update(model.__table__)
                        .where(model.__table__.c.id == row_id)
                        .values(external_id=item.key)
                    )
                    adopted.append(item.key)
                    continue
                other = owner or f"#{row_id}"
                errors.add(
                    item.path(name),
                    _(
                        "%(field)s %(value)s is already used by the record %(other)s.",
                        field=spec.labels.get(name, name),
                        value=value,
                        other=other,
                    ),
                )
        if adopted:
            existing.update(_load_existing(spec, [it for it in items if it.key in adopted]))


def _write_rows(spec: UpsertSpec, items: list[Item], existing: dict, now, defaults: dict) -> None:
    pending: list[Item] = []
    for item in items:
        row = existing.get(item.key)
        if row is None:
            item.status = CREATED
            pending.append(item)
            continue
        item.id, item.before = row["id"], row
        changed = any(not same(row[c], v) for c, v in item.values.items())
        item.status = UPDATED if changed else UNCHANGED
        if changed:
            pending.append(item)
    shapes: dict[tuple[str, ...], list[Item]] = defaultdict(list)
    for item in pending:
        shapes[tuple(sorted(item.values))].append(item)
    for columns, group in shapes.items():
        group.sort(key=lambda it: it.key)  # one lock order for every request: no deadlocks
        by_key = {it.key: it for it in group}
        params = [
            {**defaults, **it.values, "external_id": it.key, "created_at": now, "updated_at": now}
            for it in group
        ]
        for row in db.session.execute(_upsert_statement(spec.model, columns), params):
            item = by_key.pop(row.external_id)
            item.id = row.id
            item.status = CREATED if row.created_at == now else UPDATED
        for item in by_key.values():  # written identically by a concurrent request
            item.status = UNCHANGED
    _fill_ids(spec.model, [it for it in items if it.id is None])


def _upsert_statement(model: type, columns: tuple[str, ...]):
    table = model.__table__
    dialect = postgresql if is_postgres() else sqlite
    stmt = dialect.insert(table)
    excluded = stmt.excluded
    differs = [table.c[c].is_distinct_from(excluded[c]) for c in columns]
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.external_id],
        set_={**{c: excluded[c] for c in columns}, "updated_at": excluded.updated_at},
        where=or_(*differs) if differs else false(),
    )
    return stmt.returning(table.c.id, table.c.external_id, table.c.created_at)


def _fill_ids(model: type, items: list[Item]) -> None:
    by_key = {it.key: it for it in items}
    for keys in chunks(list(by_key)):
        stmt = select(model.external_id, model.id).where(one_of(model.external_id, keys))
        for key, id_ in db.session.execute(stmt):
            by_key[key].id = id_


def _audit(actor: Actor, spec: UpsertSpec, items: list[Item]) -> None:
    created = [it.key for it in items if it.status == CREATED]
    updated = [it.key for it in items if it.status == UPDATED]
    if not created and not updated:
        return
    single = items[0] if len(items) == 1 else None
    audit.record(
        actor,
        f"{spec.name}.import",
        object_type=spec.model.__name__,
        object_id=single.id if single else None,
        summary=f"created {len(created)}, updated {len(updated)}, "
        f"unchanged {len(items) - len(created) - len(updated)}",
        changes={"created": created, "updated": updated},
    )


def delete_rows(model: type, ids: list[int]) -> None:
    """Delete rows by id (in chunks)."""
    table = model.__table__
    for batch in chunks(ids):
        db.session.execute(delete(table).where(one_of(table.c.id, batch)))
