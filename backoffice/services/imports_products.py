"""Importing products: the columns, row checks against the file and the database, bulk upsert.

Products are matched by SKU. Only columns present in the file are written; an empty cell
sets the column's default (or clears it). Unknown group paths are created level by level
unless the caller refuses them. Packaging given in a row replaces the product's packaging.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from backoffice.extensions import db
from backoffice.services import imports_columns as columns
from backoffice.services.imports_cells import ParsedRow, RowError, chunked
from backoffice.services.products import ensure_group_path, group_paths, replace_packaging
from models.base import utcnow
from models.products import PackagingUnit, Product

COLUMNS = columns.PRODUCT_COLUMNS
#: Value written for a present but empty cell (columns not listed here are cleared).
DEFAULTS = {
    "unit": "szt.",
    "price_net": Decimal("0.00"),
    "vat_rate": Decimal("23"),
    "warranty_months": 24,
    "serial_tracked": False,
    "returnable": True,
    "active": True,
}
PLAIN = [c.key for c in COLUMNS if c.key not in {"sku", "group", "packaging"}]


def header_errors(keys: set[str]) -> list[str]:
    """File-level problems with the set of columns."""
    return [] if "sku" in keys else [_("The column %(name)s is missing.", name="Indeks (SKU)")]


@dataclass
class ProductPlan:
    """What an import will do; ``apply()`` does it with a handful of bulk statements."""

    new: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    unchanged: int = 0
    packaging: dict[str, list] = field(default_factory=dict)
    pending_groups: set = field(default_factory=set)
    groups_to_create: list[tuple[str, ...]] = field(default_factory=list)
    known_groups: dict = field(default_factory=dict)

    @property
    def created_keys(self) -> list[str]:
        return [r["sku"] for r in self.new]

    @property
    def updated_keys(self) -> list[str]:
        return [r["sku"] for r in self.updates]

    @property
    def groups_created(self) -> list[str]:
        return [" / ".join(p) for p in self.groups_to_create]

    def apply(self) -> None:
        now = utcnow()
        for row in self.new + self.updates:
            path = row.pop("_group_path", None)
            if path is not None:
                row["group_id"] = ensure_group_path(path, self.known_groups)
        ids = {}
        if self.new:
            for row in self.new:
                row.update(created_at=now, updated_at=now)
            # Plain executemany (no RETURNING): much faster on psycopg; ids are read back.
            db.session.execute(insert(Product.__table__), self.new)
            ids.update(_ids_by_sku([r["sku"] for r in self.new]))
        if self.updates:
            for row in self.updates:
                row["updated_at"] = now
            db.session.execute(update(Product), [_without_sku(r) for r in self.updates])
            ids.update({r["sku"]: r["id"] for r in self.updates})
        if self.packaging:
            replace_packaging({ids[sku]: units for sku, units in self.packaging.items()})


def _ids_by_sku(skus: list[str]) -> dict[str, int]:
    found = {}
    for chunk in chunked(skus):
        found.update(
            {
                sku: pid
                for pid, sku in db.session.execute(
                    select(Product.id, Product.sku).where(Product.sku.in_(chunk))
                )
            }
        )
    return found


def _without_sku(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "sku"}


def plan(rows: list[ParsedRow], keys: set[str], create_groups: bool):
    """Check good rows against the database; returns (ProductPlan, errors)."""
    existing = _existing(rows, keys)
    errors = _external_id_conflicts(rows)
    result = ProductPlan(known_groups=group_paths() if "group" in keys else {})
    for row in rows:
        errors += _plan_row(result, row, existing.get(row.values["sku"]), keys, create_groups)
    return result, errors


def duplicates(rows: list[ParsedRow]) -> list[RowError]:
    """Keys repeated inside the file (all rows, including those with bad cells)."""
    errors = _duplicates(rows, "sku", _("SKU %(value)s appears more than once in the file."))
    errors += _duplicates(
        rows, "external_id", _("External id %(value)s appears more than once in the file.")
    )
    errors += _duplicates(rows, "ean", _("EAN %(value)s appears more than once in the file."))
    required = _("The SKU is required.")
    errors += [
        RowError(r.line, "sku", required)
        for r in rows
        if not r.values["sku"] and "sku" not in r.bad
    ]
    return errors


def _duplicates(rows: list[ParsedRow], key: str, message: str) -> list[RowError]:
    counts = Counter(r.values.get(key) for r in rows if r.values.get(key))
    return [
        RowError(r.line, key, message % {"value": r.values[key]}, r.values[key])
        for r in rows
        if counts.get(r.values.get(key), 0) > 1
    ]


def _existing(rows: list[ParsedRow], keys: set[str]) -> dict[str, dict]:
    names = [k for k in PLAIN if k in keys] + (["group_id"] if "group" in keys else [])
    columns = [Product.id, Product.sku, *(getattr(Product, n) for n in names)]
    skus = [r.values["sku"] for r in rows]
    found = {}
    for chunk in chunked(skus):
        for row in db.session.execute(select(*columns).where(Product.sku.in_(chunk))):
            found[row.sku] = row._asdict()
    if "packaging" in keys and found:
        by_id = {v["id"]: v for v in found.values()}
        for v in by_id.values():
            v["packaging"] = []
        query = select(PackagingUnit.product_id, PackagingUnit.name, PackagingUnit.quantity)
        for chunk in chunked(list(by_id)):
            for pid, name, qty in db.session.execute(
                query.where(PackagingUnit.product_id.in_(chunk)).order_by(PackagingUnit.id)
            ):
                by_id[pid]["packaging"].append((name, qty))
    return found


def _external_id_conflicts(rows: list[ParsedRow]) -> list[RowError]:
    wanted = {r.values["external_id"]: r for r in rows if r.values.get("external_id")}
    errors = []
    for chunk in chunked(list(wanted)):
        query = select(Product.external_id, Product.sku).where(Product.external_id.in_(chunk))
        for external_id, sku in db.session.execute(query):
            row = wanted[external_id]
            if sku != row.values["sku"]:
                message = _(
                    "External id %(value)s already belongs to the product %(sku)s.",
                    value=external_id,
                    sku=sku,
                )
                errors.append(RowError(row.line, "external_id", message, external_id))
    return errors


def _plan_row(result: ProductPlan, row: ParsedRow, current, keys, create_groups):
    values = row.values
    sku = values["sku"]
    if current is None and not values.get("name"):
        return [RowError(row.line, "name", _("A new product needs a name."))]
    wanted = {}
    for key in PLAIN:
        if key in keys and not (key == "name" and values.get(key) is None):
            wanted[key] = values[key] if values.get(key) is not None else DEFAULTS.get(key)
    errors = _plan_group(result, row, keys, create_groups, wanted)
    if values.get("packaging") is not None:
        units = values["packaging"]
        if current is None or _packaging_differs(current.get("packaging", []), units):
            result.packaging[sku] = units
    if current is None:
        result.new.append({"sku": sku, **wanted})
        return errors
    changed = {k: v for k, v in wanted.items() if current.get(k) != v}
    if changed or sku in result.packaging:
        result.updates.append({"id": current["id"], "sku": sku, **changed})
    else:
        result.unchanged += 1
    return errors


def _plan_group(result, row, keys, create_groups, wanted) -> list[RowError]:
    if "group" not in keys:
        return []
    path = row.values.get("group")
    if path is None:
        wanted["group_id"] = None
        return []
    key = tuple(p.casefold() for p in path)
    if key in result.known_groups:
        wanted["group_id"] = result.known_groups[key]
        return []
    if not create_groups:
        message = _("Unknown product group %(path)s.", path=" / ".join(path))
        return [RowError(row.line, "group", message, " / ".join(path))]
    if key not in result.pending_groups:
        result.pending_groups.add(key)
        result.groups_to_create.append(path)
    wanted["group_id"] = None
    wanted["_group_path"] = path
    return []


def _packaging_differs(current: list, wanted: list) -> bool:
    return sorted((n, Decimal(q)) for n, q in current) != sorted(wanted)
