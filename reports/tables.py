"""Plain tables to XLSX (openpyxl) and CSV (UTF-8 with BOM), safe against formula injection."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PLN_FORMAT = '#,##0.00 "zł"'


def escape_formula(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        # Excel has no time zones: write Warsaw wall-clock time.
        from zoneinfo import ZoneInfo

        if value.tzinfo is not None:
            value = value.astimezone(ZoneInfo("Europe/Warsaw")).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date):
        return value
    return escape_formula(str(value))


def table_xlsx(
    headers: Sequence[str],
    rows: Iterable[Sequence],
    title: str = "Dane",
    money_columns: Sequence[int] = (),
) -> bytes:
    """One sheet: bold frozen header, auto filter, real numbers and dates, PLN columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([str(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) for h in headers]
    count = 0
    for row in rows:
        values = [_cell(v) for v in row]
        ws.append(values)
        count += 1
        for i, v in enumerate(values[: len(widths)]):
            widths[i] = max(widths[i], min(len(str(v)) if v is not None else 0, 60))
    for i, width in enumerate(widths, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = width + 2
    for col in money_columns:
        for (cell,) in ws.iter_rows(min_row=2, max_row=count + 1, min_col=col + 1, max_col=col + 1):
            cell.number_format = PLN_FORMAT
    _date_formats(ws, count)
    ws.freeze_panes = "A2"
    if count:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _date_formats(ws, count: int) -> None:
    for row in ws.iter_rows(min_row=2, max_row=count + 1):
        for cell in row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"


def table_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """CSV with a UTF-8 BOM (so Excel reads Polish letters) and ';' as Polish Excel expects."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([str(h) for h in headers])
    for row in rows:
        writer.writerow(["" if v is None else escape_formula(_csv_text(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_text(value) -> str:
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)
