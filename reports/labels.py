"""Shipping labels with a Code128 barcode (returns, service tickets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from reports.pdf import html_to_pdf


@dataclass(frozen=True)
class LabelData:
    """What a label shows: the code (also as a barcode), a title and address lines."""

    code: str
    title: str
    sender: list[str] = field(default_factory=list)
    recipient: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sender_label: str = "Nadawca"
    recipient_label: str = "Odbiorca"


def render_label_pdf(label: LabelData) -> bytes:
    """An A6 label: title, big Code128 barcode of ``code`` with the code in text, addresses."""

    def lines(items: list[str]) -> str:
        return "<br/>".join(escape(i) for i in items)

    html = f"""<html><head><style>
    @page {{ size: a6 landscape; margin: 8mm; }}
    h1 {{ font-size: 14pt; margin: 0 0 2mm 0; }}
    .code {{ font-size: 16pt; font-weight: bold; text-align: center; }}
    td {{ vertical-align: top; font-size: 9pt; padding: 1mm; }}
    .small {{ font-size: 8pt; }}
    </style></head><body>
    <h1>{escape(label.title)}</h1>
    <div style="text-align:center">
      <pdf:barcode value="{escape(label.code, quote=True)}" type="code128" humanreadable="0"
        barwidth="0.42mm" barheight="18mm" align="middle"/>
    </div>
    <div class="code">{escape(label.code)}</div>
    <table><tr>
      <td><b>{escape(label.sender_label)}</b><br/>{lines(label.sender)}</td>
      <td><b>{escape(label.recipient_label)}</b><br/>{lines(label.recipient)}</td>
    </tr></table>
    <div class="small">{lines(label.notes)}</div>
    </body></html>"""
    return html_to_pdf(html)
