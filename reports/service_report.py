"""The repair report (karta naprawy): ticket, unit, fault, diagnosis, parts and work, costs.

A pure renderer: the caller passes a ``RepairReportView`` whose texts are already
translated and formatted; the HTML template is ``templates/reports/service_tickets/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from reports.pdf import html_to_pdf

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "reports" / "service_tickets"
_ENV = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class ReportLine:
    description: str
    quantity: str
    unit_price: str
    vat: str
    total_net: str
    total_gross: str


@dataclass(frozen=True)
class RepairReportView:
    """Texts of the report; ``labels`` maps the template's captions to translations."""

    title: str
    number: str
    company: list[str]
    customer: list[str]
    facts: list[tuple[str, str]]
    sections: list[tuple[str, str]]
    lines: list[ReportLine] = field(default_factory=list)
    totals: list[tuple[str, str]] = field(default_factory=list)
    history: list[tuple[str, str, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    footer: str = ""


def render_repair_report(view: RepairReportView) -> bytes:
    """PDF bytes of the repair report (lines are split into chunks of 25 rows)."""
    chunks = [view.lines[i : i + 25] for i in range(0, len(view.lines), 25)]
    html = _ENV.get_template("repair_report.html").render(v=view, chunks=chunks)
    return html_to_pdf(html)
