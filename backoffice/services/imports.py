"""Importing customers and products from CSV or XLSX files: all rows or none.

``run_import(actor, "products", filename, data)`` reads the file, parses and checks every
row (cells, duplicates inside the file, conflicts with the database), and only when no row
is bad writes everything with a few bulk statements in the caller's transaction (the caller
commits once). A bad file raises ``ImportFailed`` listing every bad row with its line number
and reason. Rows are matched to existing records (customers by external id, else NIP;
products by SKU), so importing the same file twice changes nothing the second time.

Unknown groups are created by default (``create_groups=False`` refuses them instead): ERP
exports carry their own group trees, and the result lists every group created so a typo is
noticed at once. Column names and formats: ``docs/import.md``.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import Conflict, ValidationFailed
from backoffice.extensions import db
from backoffice.services import imports_customers, imports_products
from backoffice.services.audit import record
from backoffice.services.imports_cells import CellError, Column, ParsedRow, RowError, raw_text
from backoffice.services.imports_reading import map_headers, read_table

#: kind → (module with COLUMNS / header_errors / plan, audited object type, label)
KINDS = {
    "customers": (imports_customers, "Customer", _l("customers")),
    "products": (imports_products, "Product", _l("products")),
}
#: How many keys of created/updated rows the audit entry keeps.
AUDIT_KEYS = 10_000


class ImportFailed(ValidationFailed):
    """The file cannot be imported; ``rows`` lists every problem (line 0: the whole file)."""

    def __init__(self, message: str, rows: list[RowError]):
        super().__init__(message, field="file")
        self.rows = rows


@dataclass
class ImportResult:
    """What an import did (or, for a check, would do)."""

    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    groups_created: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def columns(kind: str) -> list[Column]:
    """The importable columns of a kind (for templates, docs and the upload page)."""
    return _module(kind).COLUMNS


def _module(kind: str):
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    return KINDS[kind][0]


def run_import(
    actor: Actor,
    kind: str,
    filename: str,
    data: bytes,
    *,
    create_groups: bool = True,
    dry_run: bool = False,
) -> ImportResult:
    """Import a whole file or nothing; raises ImportFailed (every bad row) or ValidationFailed.

    With ``dry_run`` everything is checked and counted but nothing is written.
    """
    module = _module(kind)
    plan, result = _checked_plan(module, kind, filename, data, create_groups)
    if not dry_run:
        created, updated = plan.created_keys, plan.updated_keys
        try:
            plan.apply()
        except IntegrityError as exc:  # e.g. the same SKU saved in the console meanwhile
            raise Conflict(
                _(
                    "Someone saved the same records at the same time; nothing was imported. "
                    "Please import the file again."
                ),
                field="file",
            ) from exc
        _audit(actor, kind, filename, data, result, created, updated)
    return result


def _checked_plan(module, kind: str, filename: str, data: bytes, create_groups: bool):
    """Read and check the whole file; (plan, result) or ImportFailed listing every problem."""
    sheet = read_table(filename, data)
    header_map = map_headers(sheet.headers, module.COLUMNS)
    problems = module.header_errors(header_map.keys)
    if problems:
        raise ImportFailed(problems[0], [RowError(sheet.header_line, "", p) for p in problems])
    rows, errors = _parse_rows(sheet.rows, header_map.columns)
    if not rows:
        raise ImportFailed(_("The file has no data rows."), [])
    errors += module.duplicates(rows)
    bad = {e.line for e in errors}
    _lock(kind)
    good = [r for r in rows if r.line not in bad]
    plan, plan_errors = module.plan(good, header_map.keys, create_groups)
    errors += plan_errors
    if errors:
        errors = _with_headers(errors, sheet.headers, header_map.columns)
        bad_lines = len({e.line for e in errors})
        raise ImportFailed(_("%(n)d rows have errors; nothing was imported.", n=bad_lines), errors)
    counts = (len(rows), len(plan.new), len(plan.updates), plan.unchanged)
    return plan, ImportResult(kind, *counts, plan.groups_created, header_map.unknown)


def _parse_rows(raw_rows, by_index: dict[int, Column]) -> tuple[list[ParsedRow], list[RowError]]:
    """Every row with its parsed values (None where a cell is bad) and the cell errors."""
    rows, errors = [], []
    for line, cells in raw_rows:
        values, bad = {}, set()
        for index, column in by_index.items():
            raw = cells[index] if index < len(cells) else None
            try:
                values[column.key] = column.parse(raw)
            except CellError as exc:
                errors.append(RowError(line, column.key, exc.message, raw_text(raw)[:100]))
                values[column.key] = None
                bad.add(column.key)
        rows.append(ParsedRow(line, values, bad))
    return rows, errors


def _with_headers(errors: list[RowError], headers, by_index) -> list[RowError]:
    """Name columns as the file does ("Cena netto", not price_net), sorted by line."""
    names = {column.key: headers[index] for index, column in by_index.items()}
    named = [RowError(e.line, names.get(e.column, e.column), e.message, e.value) for e in errors]
    return sorted(named, key=lambda e: (e.line, e.column))


def template(kind: str, fmt: str) -> bytes:
    """A template file (CSV or XLSX) with Polish headers and one example row."""
    from reports.tables import table_csv, table_xlsx

    cols = columns(kind)
    headers = [c.header_pl for c in cols]
    example = [str(c.example) for c in cols]
    if fmt == "csv":
        return table_csv(headers, [example])
    if fmt == "xlsx":
        return table_xlsx(headers, [example], title=str(KINDS[kind][2]))
    raise ValueError(f"unknown template format {fmt!r}")


def _lock(kind: str) -> None:
    """Serialise imports of one kind on PostgreSQL (held until commit or rollback)."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"backoffice-import-{kind}".encode())
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _audit(actor, kind, filename, data, result: ImportResult, created, updated) -> None:
    _module_, object_type, _label = KINDS[kind]
    record(
        actor,
        f"{object_type.lower()}.import",
        object_type=object_type,
        summary=_(
            "%(file)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged",
            file=filename,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        ),
        changes={
            "file": filename,
            "sha256": hashlib.sha256(data).hexdigest(),
            "rows": result.rows,
            "created": created[:AUDIT_KEYS],
            "updated": updated[:AUDIT_KEYS],
            "groups_created": result.groups_created,
        },
    )


def bad_row_lines(exc: ImportFailed) -> list[str]:
    """Plain-text lines for the CLI: "line 12, ean: Invalid EAN … (value)"."""
    out = []
    for error in exc.rows:
        where = _("line %(n)d", n=error.line) if error.line else _("file")
        column = f", {error.column}" if error.column else ""
        value = f" [{error.value}]" if error.value else ""
        out.append(f"{where}{column}: {error.message}{value}")
    return out
