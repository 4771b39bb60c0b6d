"""The statement of a customer's receivables (zestawienie należności) as PDF via xhtml2pdf.

Pure: a ``Statement`` in, bytes out. Rows go into tables of ``CHUNK`` rows (xhtml2pdf lays
out one long table in superlinear time). Labels come from the current locale: callers
render inside ``force_locale(customer's language)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app

from reports.offer_pdf import number_text
from reports.pdf import html_to_pdf

CHUNK = 25


@dataclass(frozen=True)
class StatementRow:
    document: str
    issued_at: dt.date | None
    due_date: dt.date
    currency: str
    amount: Decimal
    paid: Decimal
    outstanding: Decimal
    days_overdue: int
    #: The document is one this message is about (highlighted).
    marked: bool = False


@dataclass(frozen=True)
class Statement:
    """Everything the statement shows; no database objects."""

    title: str
    as_of: dt.date
    locale: str
    seller_name: str
    seller_lines: list[str]
    customer_name: str
    customer_lines: list[str]
    rows: list[StatementRow]
    bank_account: str | None = None
    note: str | None = None
    totals: dict[str, Decimal] = field(default_factory=dict)

    def computed_totals(self) -> dict[str, tuple[Decimal, Decimal]]:
        """{currency: (outstanding, of which overdue)}."""
        out: dict[str, tuple[Decimal, Decimal]] = {}
        for row in self.rows:
            total, overdue = out.get(row.currency, (Decimal("0.00"), Decimal("0.00")))
            late = row.outstanding if row.days_overdue > 0 else Decimal("0.00")
            out[row.currency] = (total + row.outstanding, overdue + late)
        return out


def render_statement_html(statement: Statement) -> str:
    """The statement as HTML for xhtml2pdf."""
    rows = statement.rows
    chunks = [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)] or [[]]
    template = current_app.jinja_env.get_template("reports/payment_reminders/statement.html")
    return template.render(
        s=statement,
        chunks=chunks,
        totals=statement.computed_totals(),
        num=lambda v: number_text(v, 2, statement.locale),
        day=lambda d: d.strftime("%d.%m.%Y") if d else "",
    )


def render_statement_pdf(statement: Statement) -> bytes:
    """The statement as PDF bytes."""
    return html_to_pdf(render_statement_html(statement))
