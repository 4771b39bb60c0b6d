"""A batch's code register as XLSX (streamed, up to a million rows) or CSV; no database."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from reports.tables import escape_formula, table_csv

WARSAW = ZoneInfo("Europe/Warsaw")
WIDTHS = (22, 14, 40, 14, 34, 18, 8, 18)


def _value(value):
    if isinstance(value, dt.datetime):
        # Excel has no time zones: write Warsaw wall-clock time.
        return value.astimezone(WARSAW).replace(tzinfo=None, microsecond=0)
    return escape_formula(value) if isinstance(value, str) else value


def codes_xlsx(headers: Sequence[str], rows: Iterable[Sequence], title: str) -> bytes:
    """One sheet, bold frozen header, auto filter; written in openpyxl's write-only mode."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(
        title=(title or "Kody")[:31].translate(str.maketrans("[]:*?/\\", "_______"))
    )
    for i, width in enumerate(WIDTHS[: len(headers)], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=str(text))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    count = 0
    for row in rows:
        ws.append([_value(v) for v in row])
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def codes_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 CSV with a BOM and ';' separators, formula-safe (see reports.tables)."""
    return table_csv(headers, ([_value(v) for v in row] for row in rows))
