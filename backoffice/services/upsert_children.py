"""Child collections of upserted rows: packaging, lines, addresses, serial numbers.

A sent collection replaces the stored one, but rows are matched by a natural key
(``line_no``, packaging ``name``, a contact's e-mail, or the position) and updated in
place, so ids that other modules refer to (a return's delivery-note line) survive.
Work is set-based: one SELECT per level, then batched DELETE, UPDATE and INSERT.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import String, any_, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType

from backoffice.extensions import db

if TYPE_CHECKING:
    from backoffice.services.upserts import Errors, Item, Ref

#: Values per IN (…) list: far below PostgreSQL's 65,535 bind parameters per statement.
CHUNK = 5000


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    """Lists of at most ``size`` values."""
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def one_of(column, values: list[Any]):
    """``column IN (values)``; on PostgreSQL ``= ANY(:array)`` — one parameter, so the
    statement stays short and its parsing cached however many values there are."""
    if is_postgres():
        item = String() if isinstance(column.type, NullType) else column.type  # func.lower(…)
        return column == any_(bindparam(None, list(values), type_=ARRAY(item)))
    return column.in_(values)


def same(stored: Any, new: Any) -> bool:
    """True when a stored value equals an input value (decimals by value, enums by value)."""
    if stored is None or new is None:
        return stored is None and new is None
    if isinstance(stored, enum.Enum):
        stored = stored.value
    if isinstance(new, enum.Enum):
        new = new.value
    if isinstance(stored, Decimal) or isinstance(new, Decimal):
        try:
            return Decimal(str(stored)) == Decimal(str(new))
        except ArithmeticError:
            return False
    return stored == new


@dataclass(frozen=True)
class Children:
    """A child collection of a resource and how its rows are matched to stored ones."""

    field: str  #: input field, e.g. "packaging"
    model: type
    parent_column: str  #: e.g. "product_id"
    #: Column (or function of the row) identifying a child within its parent; None: position.
    key: str | Callable[[dict], Any] | None = None
    refs: tuple[Ref, ...] = ()
    nested: Children | None = None
    #: Children sent as plain values (serial numbers) are stored in this column.
    scalar: str | None = None
    #: Column filled with the 1-based position when the caller leaves it out (line_no).
    numbered: str | None = None

    # --- input -------------------------------------------------------------------------
    def incoming(self, rows: list[Any]) -> list[dict[str, Any]]:
        """The sent rows as column dicts (plain values wrapped, numbering filled in)."""
        if self.scalar:
            return [{self.scalar: value} for value in rows]
        if self.numbered:
            for position, row in enumerate(rows, start=1):
                if row.get(self.numbered) is None:
                    row[self.numbered] = position
        return rows

    def key_of(self, row: dict[str, Any], position: int) -> Any:
        if self.key is None:
            return position
        if callable(self.key):
            return self.key(row)
        return row.get(self.key)

    def check_keys(self, items: list[Item], errors: Errors) -> None:
        """Two children of one parent with the same key are an input error."""
        name = self.key if isinstance(self.key, str) else None
        for item in items:
            rows = item.children.get(self.field)
            if rows is None:
                continue
            item.children[self.field] = rows = self.incoming(rows)
            self._check_rows(rows, errors, lambda *p, it=item: it.path(self.field, *p), name)

    def _check_rows(self, rows, errors, path, name) -> None:
        seen: set[Any] = set()
        for position, row in enumerate(rows):
            key = self.key_of(row, position)
            if key in seen:
                errors.add(path(position, *([name] if name else [])), _("Duplicate in this list."))
            seen.add(key)
            if self.nested is not None and row.get(self.nested.field) is not None:
                row[self.nested.field] = nested = self.nested.incoming(row[self.nested.field])
                inner = self.nested.key if isinstance(self.nested.key, str) else None
                self.nested._check_rows(
                    nested, errors, lambda *p, pos=position: path(pos, self.nested.field, *p), inner
                )

    def ref_sites(self, item: Item) -> list[tuple[Ref, dict, str]]:
        """(reference, row, error path) for every reference inside this collection."""
        return [
            (ref, row, item.path(self.field, position, ref.field))
            for position, row in enumerate(item.children.get(self.field) or [])
            for ref in self.refs
        ]

    # --- writing -----------------------------------------------------------------------
    def apply(self, pairs: list[tuple[int, list[dict], bool]], dry_run: bool = False) -> set[int]:
        """Make each parent's stored children equal the sent ones; return changed parents.

        ``pairs``: (parent id, sent rows, parent is new — so nothing is stored yet). With
        ``dry_run`` nothing is written: only which parents would change is returned.
        """
        stored = self._load([pid for pid, _rows, fresh in pairs if not fresh])
        inserts: list[tuple[int, dict, list | None]] = []
        updates: list[tuple[int, dict]] = []
        deletes: list[int] = []
        nested_pairs: list[tuple[int, list, bool]] = []
        owner: dict[int, int] = {}
        changed: set[int] = set()
        nested_field = self.nested.field if self.nested else None
        for pid, rows, _fresh in pairs:
            current = {self.key_of(r, i): r for i, r in enumerate(stored.get(pid, []))}
            for position, row in enumerate(rows):
                values = {k: v for k, v in row.items() if k != nested_field}
                sub = row.get(nested_field) if nested_field else None
                match = current.pop(self.key_of(row, position), None)
                if match is None:
                    inserts.append((pid, values, sub))
                    changed.add(pid)
                    continue
                diff = {c: v for c, v in values.items() if not same(match[c], v)}
                if diff:
                    updates.append((match["id"], diff))
                    changed.add(pid)
                if sub is not None:
                    nested_pairs.append((match["id"], sub, False))
                    owner[match["id"]] = pid
            if current:
                deletes += [r["id"] for r in current.values()]
                changed.add(pid)
        if dry_run:
            if self.nested is not None and nested_pairs:
                changed |= {owner[cid] for cid in self.nested.apply(nested_pairs, dry_run=True)}
            return changed
        self._delete(deletes)
        self._update(updates)
        for (pid, _values, sub), new_id in zip(inserts, self._insert(inserts), strict=True):
            if sub:
                nested_pairs.append((new_id, sub, True))
                owner[new_id] = pid
        if self.nested is not None and nested_pairs:
            changed |= {owner[cid] for cid in self.nested.apply(nested_pairs)}
        return changed

    def _load(self, parent_ids: list[int]) -> dict[int, list[dict]]:
        table = self.model.__table__
        parent = table.c[self.parent_column]
        stored: dict[int, list[dict]] = defaultdict(list)
        for ids in chunks(parent_ids):
            stmt = select(table).where(one_of(parent, ids)).order_by(parent, table.c.id)
            for row in db.session.execute(stmt):
                stored[row._mapping[parent]].append(dict(row._mapping))
        return stored

    def _delete(self, ids: list[int]) -> None:
        table = self.model.__table__
        for batch in chunks(ids):
            db.session.execute(delete(table).where(one_of(table.c.id, batch)))

    def _update(self, updates: list[tuple[int, dict]]) -> None:
        table = self.model.__table__
        shapes: dict[tuple[str, ...], list[dict]] = defaultdict(list)
        for row_id, diff in updates:
            shapes[tuple(sorted(diff))].append(
                {"_id": row_id, **{f"v_{k}": v for k, v in diff.items()}}
            )
        for columns, params in shapes.items():
            stmt = (
                update(table)
                .where(table.c.id == bindparam("_id"))
                .values({c: bindparam(f"v_{c}") for c in columns})
            )
            db.session.execute(stmt, params)

    def _insert(self, inserts: list[tuple[int, dict, list | None]]) -> list[int | None]:
        """Insert rows in input order; ids are returned only when nested rows need them."""
        table = self.model.__table__
        ids: list[int | None] = [None] * len(inserts)
        shapes: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for n, (_pid, values, _sub) in enumerate(inserts):
            shapes[tuple(sorted(values))].append(n)
        for positions in shapes.values():
            params = [{self.parent_column: inserts[n][0], **inserts[n][1]} for n in positions]
            if self.nested is None:
                db.session.execute(insert(table), params)
                continue
            stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            for n, new_id in zip(positions, db.session.scalars(stmt, params), strict=True):
                ids[n] = new_id
        return ids


def reconcile_children(children: Children, parent_model: type, items: list[Item], lock: bool):
    """Apply one child collection for every item that sent it; return changed parent ids.

    Stored children are compared first without locks, so a re-sent unchanged batch takes
    none; parents whose children differ are locked (in id order) and compared again.
    """
    targets = [it for it in items if children.field in it.children]
    old = [it for it in targets if it.status != "created"]
    if lock and old:
        pairs = [(it.id, it.children[children.field], False) for it in old]
        dirty = children.apply(pairs, dry_run=True)
        for ids in chunks(sorted(dirty)):
            db.session.execute(
                select(parent_model.id).where(one_of(parent_model.id, ids)).with_for_update()
            )
        targets = [it for it in targets if it.status == "created" or it.id in dirty]
    if not targets:
        return set()
    pairs = [(it.id, it.children[children.field], it.status == "created") for it in targets]
    return children.apply(pairs)
