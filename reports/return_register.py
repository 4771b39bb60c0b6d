"""The return register as XLSX: one sheet of returns, one of their lines (pure renderer).

Text cells are escaped against formula injection; dates are real dates in Warsaw time;
quantities are numbers. Columns are styled, not cells (see PITFALLS: per-cell styles cost).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from reports.tables import escape_formula

WARSAW = ZoneInfo("Europe/Warsaw")
#: 1-based columns holding datetimes, per sheet.
RETURN_DATE_COLUMNS = (6, 7, 10, 11, 12, 13)

RETURN_HEADERS = {
    "pl": (
        "Numer",
        "Status",
        "Kontrahent",
        "NIP",
        "WZ",
        "Data WZ",
        "Zgłoszono",
        "Kanał",
        "Zgłaszający",
        "Decyzja",
        "Przyjęto towar",
        "Rozpatrzono",
        "Zamknięto",
        "List przewozowy",
        "Uzasadnienie decyzji",
        "Pozycji",
        "Sztuk",
    ),
    "en": (
        "Number",
        "Status",
        "Customer",
        "NIP",
        "Delivery note",
        "Note date",
        "Filed",
        "Channel",
        "Filed by",
        "Decided",
        "Goods received",
        "Resolved",
        "Closed",
        "Waybill",
        "Decision note",
        "Lines",
        "Units",
    ),
}
LINE_HEADERS = {
    "pl": (
        "Numer zwrotu",
        "Lp.",
        "Indeks",
        "Towar",
        "Ilość",
        "J.m.",
        "Nr seryjny",
        "Przyczyna",
        "Stan deklarowany",
        "Decyzja",
        "Stan stwierdzony",
        "Dyspozycja",
        "Dokument",
        "Zgłoszenie serwisowe",
    ),
    "en": (
        "Return number",
        "No.",
        "SKU",
        "Product",
        "Quantity",
        "Unit",
        "Serial number",
        "Reason",
        "Declared condition",
        "Decision",
        "Condition found",
        "Disposition",
        "Document",
        "Service ticket",
    ),
}


@dataclass(frozen=True)
class RegisterLine:
    line_no: int
    sku: str
    product: str
    quantity: Decimal
    unit: str
    serial: str | None
    reason: str
    condition: str
    decision: str
    found: str | None
    disposition: str | None
    reference: str | None
    service_ticket: str | None


@dataclass(frozen=True)
class RegisterRow:
    number: str
    status: str
    customer: str
    nip: str | None
    delivery_note: str
    note_date: dt.datetime | None
    filed_at: dt.datetime | None
    channel: str
    filed_by: str
    decided_at: dt.datetime | None
    received_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    waybill: str | None
    decision_note: str | None
    lines: list[RegisterLine] = field(default_factory=list)


def _return_values(row: RegisterRow) -> list:
    units = sum((line.quantity for line in row.lines), Decimal(0))
    return [
        row.number,
        row.status,
        row.customer,
        row.nip,
        row.delivery_note,
        row.note_date,
        row.filed_at,
        row.channel,
        row.filed_by,
        row.decided_at,
        row.received_at,
        row.resolved_at,
        row.closed_at,
        row.waybill,
        row.decision_note,
        len(row.lines),
        units,
    ]


def _line_values(row: RegisterRow, line: RegisterLine) -> list:
    return [
        row.number,
        line.line_no,
        line.sku,
        line.product,
        line.quantity,
        line.unit,
        line.serial,
        line.reason,
        line.condition,
        line.decision,
        line.found,
        line.disposition,
        line.reference,
        line.service_ticket,
    ]


def _cell(value):
    """A spreadsheet value: numbers stay numbers, datetimes become Warsaw wall-clock time."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(WARSAW).replace(tzinfo=None)
        return value
    return escape_formula(str(value))


def render_return_register(rows: list[RegisterRow], texts: dict, locale: str = "pl") -> bytes:
    """XLSX bytes; ``texts`` gives the sheet titles (``returns_sheet``, ``lines_sheet``)."""
    from openpyxl import Workbook

    lang = "en" if locale == "en" else "pl"
    wb = Workbook()
    _write_sheet(
        wb.active,
        texts.get("returns_sheet", "Zwroty"),
        RETURN_HEADERS[lang],
        [_return_values(r) for r in rows],
        RETURN_DATE_COLUMNS,
    )
    _write_sheet(
        wb.create_sheet(),
        texts.get("lines_sheet", "Pozycje"),
        LINE_HEADERS[lang],
        [_line_values(r, line) for r in rows for line in r.lines],
        (),
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_sheet(ws, title, headers, values, date_columns) -> None:
    """Bold frozen header, auto filter, widths from the content, dates formatted."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.title = str(title)[:31]
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(h) for h in headers]
    for raw in values:
        cells = [_cell(v) for v in raw]
        ws.append(cells)
        for i, v in enumerate(cells):
            widths[i] = max(widths[i], min(len(str(v)) if v is not None else 0, 50))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width + 2
    for col in date_columns:
        for (cell,) in ws.iter_rows(min_row=2, max_row=len(values) + 1, min_col=col, max_col=col):
            if cell.value is not None:
                cell.number_format = "yyyy-mm-dd hh:mm"
    ws.freeze_panes = "A2"
    if values:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(values) + 1}"
