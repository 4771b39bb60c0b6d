"""Reading an uploaded CSV or XLSX file into a header and numbered rows.

CSV: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text") or Windows-1250;
the delimiter (``;``, ``,`` or tab) is taken from the header line. XLSX: the first worksheet,
the first non-empty row is the header. Line numbers are those a user sees in a text editor or
in Excel (the header is line 1 when it is the first line).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _

from backoffice.errors import ValidationFailed
from backoffice.services.imports_cells import Column

MAX_ROWS = 100_000
DELIMITERS = (";", ",", "\t")


@dataclass
class Sheet:
    """A file's header cells and its non-empty data rows as (line number, cells)."""

    headers: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)
    header_line: int = 1


def read_table(filename: str, data: bytes) -> Sheet:
    """Parse CSV or XLSX bytes (chosen by content, not by name); raise ValidationFailed."""
    if not data:
        raise ValidationFailed(_("The file is empty."), field="file")
    if data[:4] == b"PK\x03\x04":
        sheet = _read_xlsx(data)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ValidationFailed(
            _("Old Excel files (.xls) are not supported: save the file as XLSX or CSV."),
            field="file",
        )
    elif (filename or "").lower().endswith((".xlsx", ".xlsm")):
        raise ValidationFailed(
            _("The file is not a valid XLSX workbook (it may be damaged)."), field="file"
        )
    else:
        sheet = _read_csv(data)
    if not any(h for h in sheet.headers):
        raise ValidationFailed(_("The file has no header row."), field="file")
    if len(sheet.rows) > MAX_ROWS:
        raise ValidationFailed(
            _("The file has more than %(n)d rows; split it into smaller files.", n=MAX_ROWS),
            field="file",
        )
    return sheet


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM optional), UTF-16 with BOM, else Windows-1250 (Polish Excel's CSV)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1250")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            _("Unknown text encoding: save the file as CSV UTF-8."), field="file"
        ) from exc


def _read_csv(data: bytes) -> Sheet:
    text = decode_text(data)
    if "\x00" in text:
        raise ValidationFailed(_("This is not a CSV text file."), field="file")
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    sheet: Sheet | None = None
    try:
        for cells in reader:
            if sheet is None:
                sheet = Sheet(headers=[c.strip() for c in cells], header_line=reader.line_num)
            elif any(c.strip() for c in cells):
                sheet.rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise ValidationFailed(
            _(
                "The CSV file is broken near line %(line)d: %(error)s",
                line=reader.line_num,
                error=str(exc),
            ),
            field="file",
        ) from exc
    return sheet or Sheet(headers=[])


def _read_xlsx(data: bytes) -> Sheet:
    from openpyxl import load_workbook

    broken = _("The file is not a valid XLSX workbook (it may be damaged).")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for broken files
        raise ValidationFailed(broken, field="file") from exc
    try:
        return _sheet_rows(workbook.worksheets[0]) if workbook.worksheets else Sheet([])
    except Exception as exc:  # noqa: BLE001 - a damaged sheet fails while being read
        raise ValidationFailed(broken, field="file") from exc
    finally:
        workbook.close()


def _sheet_rows(worksheet) -> Sheet:
    sheet: Sheet | None = None
    for line, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        cells = ["" if v is None else v for v in values]
        if not any(str(c).strip() for c in cells):
            continue
        if sheet is None:
            sheet = Sheet(headers=[str(c).strip() for c in cells], header_line=line)
        else:
            sheet.rows.append((line, cells))
    return sheet or Sheet(headers=[])


def header_key(header: str) -> str:
    """Comparable form of a header: no case, diacritics, units or punctuation."""
    text = unicodedata.normalize("NFKD", str(header).replace("ł", "l").replace("Ł", "L"))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"\(.*?\)|\*", " ", text)
    return re.sub(r"[^a-z0-9%]+", " ", text).strip()


@dataclass
class HeaderMap:
    """Which file column holds which known column; unknown headers are ignored."""

    columns: dict[int, Column]
    unknown: list[str]

    @property
    def keys(self) -> set[str]:
        return {c.key for c in self.columns.values()}


def map_headers(headers: list[str], columns: list[Column]) -> HeaderMap:
    """Match headers (Polish or English, any case) to columns; raise on a repeated column."""
    lookup: dict[str, Column] = {}
    for column in columns:
        for name in (column.key, column.header_pl, column.header_en, *column.aliases):
            lookup[header_key(name)] = column
    found: dict[int, Column] = {}
    seen: dict[str, str] = {}
    unknown = []
    for index, header in enumerate(headers):
        column = lookup.get(header_key(header))
        if column is None:
            if header:
                unknown.append(header)
            continue
        if column.key in seen:
            raise ValidationFailed(
                _(
                    "Columns %(first)s and %(second)s mean the same thing; keep one of them.",
                    first=seen[column.key],
                    second=header,
                ),
                field="file",
            )
        seen[column.key] = header
        found[index] = column
    return HeaderMap(found, unknown)
