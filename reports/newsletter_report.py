"""A campaign's results as an XLSX workbook: summary, timeline, links and every recipient.

Pure: data in, bytes out. Write-only openpyxl (50,000 recipients stream through without
building the sheet in memory); the header rows are bold, times are Warsaw wall-clock time,
text cells that could start a formula are escaped. Labels come from the current locale.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from reports.tables import escape_formula

WARSAW = ZoneInfo("Europe/Warsaw")
BOLD = Font(bold=True)


def _value(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(WARSAW).replace(tzinfo=None)
        return value
    if isinstance(value, str):
        return escape_formula(value)
    return value


def _sheet(wb: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence], widths=()):
    ws = wb.create_sheet(title[:31])
    for index, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    ws.freeze_panes = "A2"
    header = []
    for name in headers:
        cell = WriteOnlyCell(ws, value=str(name))
        cell.font = BOLD
        header.append(cell)
    ws.append(header)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(ws, value=_value(value))
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            cells.append(cell)
        ws.append(cells)
    return ws


def render_campaign_xlsx(
    titles: dict[str, str],
    summary: Sequence[tuple[str, object]],
    timeline: tuple[Sequence[str], Iterable[Sequence]],
    links: tuple[Sequence[str], Iterable[Sequence]],
    recipients: tuple[Sequence[str], Iterable[Sequence]],
) -> bytes:
    """Four sheets; ``titles`` names them (keys: summary, timeline, links, recipients)."""
    wb = Workbook(write_only=True)
    _sheet(wb, titles["summary"], ("", ""), summary, widths=(34, 40))
    _sheet(wb, titles["timeline"], *timeline, widths=(18, 12, 12, 12, 12))
    _sheet(wb, titles["links"], *links, widths=(60, 30, 12, 12))
    _sheet(
        wb,
        titles["recipients"],
        *recipients,
        widths=(34, 24, 30, 10, 12, 16, 17, 17, 17, 17, 17, 40),
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
