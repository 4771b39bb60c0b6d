"""The statement of a customer's receivables as an XLSX workbook (openpyxl).

Real dates and numbers with formats, totals per currency, a frozen header, and text cells
escaped so a document number can never become a formula. Labels come from the current
locale (callers render inside ``force_locale``).
"""

from __future__ import annotations

import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from reports.statement_pdf import Statement
from reports.tables import escape_formula

DATE = "dd.mm.yyyy"
MONEY = "#,##0.00"
HEAD_FILL = PatternFill("solid", fgColor="E8EDF4")
MARK_FILL = PatternFill("solid", fgColor="FFF4D6")
WIDTHS = {"A": 22, "B": 12, "C": 12, "D": 8, "E": 14, "F": 14, "G": 14, "H": 12}


def render_statement_xlsx(statement: Statement) -> bytes:
    """The statement as XLSX bytes: one sheet, the rows, then totals per currency."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Statement")[:31]
    ws.append([escape_formula(statement.title)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([escape_formula(statement.customer_name)])
    ws.append([_("As of"), statement.as_of])
    ws["B3"].number_format = DATE
    ws.append([])
    head = [
        _("Document"), _("Issued"), _("Due"), _("Currency"), _("Amount"), _("Paid"),
        _("Outstanding"), _("Days overdue"),
    ]  # fmt: skip
    ws.append(head)
    for cell in ws[5]:
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
    for row in statement.rows:
        ws.append(
            [
                escape_formula(row.document),
                row.issued_at,
                row.due_date,
                row.currency,
                row.amount,
                row.paid,
                row.outstanding,
                max(row.days_overdue, 0),
            ]  # fmt: skip
        )
        if row.marked:
            for cell in ws[ws._current_row]:
                cell.fill = MARK_FILL
    _formats(ws, first=6, last=5 + len(statement.rows))
    ws.append([])
    for currency, (total, overdue) in statement.computed_totals().items():
        ws.append([_("Total"), None, None, currency, None, None, total, None])
        ws.append([_("of which overdue"), None, None, currency, None, None, overdue, None])
    for r in ws.iter_rows(min_row=7 + len(statement.rows), min_col=7, max_col=7):
        r[0].number_format = MONEY
        r[0].font = Font(bold=True)
    for letter, width in WIDTHS.items():
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A6"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _formats(ws, first: int, last: int) -> None:
    for row in ws.iter_rows(min_row=first, max_row=last):
        row[1].number_format = DATE
        row[2].number_format = DATE
        for cell in row[4:7]:
            cell.number_format = MONEY
