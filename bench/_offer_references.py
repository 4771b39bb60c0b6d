"""Reference renderers for ``bench offer_docs``: the same offer drawn directly with ReportLab
platypus and written directly with XlsxWriter (not used by the application)."""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from reports.offer_pdf import line_columns, number_text
from reports.pdf import STATIC

_FONT = "DejaVuBench"
if _FONT not in pdfmetrics.getRegisteredFontNames():
    pdfmetrics.registerFont(TTFont(_FONT, str(STATIC / "fonts" / "DejaVuSans.ttf")))
CELL = ParagraphStyle("cell", fontName=_FONT, fontSize=8, leading=10)
RIGHT = ParagraphStyle("right", parent=CELL, alignment=2)
TEXT = ParagraphStyle("text", fontName=_FONT, fontSize=8.5, leading=11)


class _NumberedCanvas(canvas.Canvas):
    """Defers pages so "Strona i z n" can be drawn (ReportLab's usual recipe)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(_FONT, 7.5)
            self.drawRightString(A4[0] - 12 * mm, 8 * mm, f"Strona {self._pageNumber} z {total}")
            super().showPage()
        super().save()


def reportlab_pdf(view) -> bytes:
    """The offer's header, lines table, totals and conditions with platypus."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=14 * mm,
        bottomMargin=18 * mm,
    )
    cols = line_columns(view)
    story = [
        Paragraph(f"<b>{view.seller.name}</b><br/>{'<br/>'.join(view.seller.address_lines)}", TEXT),
        Paragraph(
            f"<b>OFERTA HANDLOWA nr {view.number}</b><br/>Ważna do: {view.valid_until:%d.%m.%Y}",
            TEXT,
        ),
        Paragraph(
            f"Dla: <b>{view.buyer.name}</b><br/>{'<br/>'.join(view.buyer.address_lines)}"
            f"<br/>NIP {view.buyer.nip}",
            TEXT,
        ),
        Spacer(1, 4 * mm),
    ]
    data = [[Paragraph(c.label, CELL) for c in cols]]
    loc = view.locale
    for ln in view.summed_lines:
        cells = {
            "no": str(ln.no),
            "name": f"{ln.name}<br/>{ln.sku or ''}",
            "quantity": f"{number_text(ln.quantity, -1, loc)} {ln.unit}",
            "unit_price": number_text(ln.unit_price, 2, loc),
            "discount": number_text(ln.discount_pct, -1, loc) if ln.discount_pct else "",
            "final": number_text(ln.final_unit_price, 2, loc),
            "net": number_text(ln.net, 2, loc),
            "vat": number_text(ln.vat_rate, -1, loc),
        }
        data.append([Paragraph(cells[c.key], RIGHT if c.numeric else CELL) for c in cols])
    table = Table(data, colWidths=[c.width * mm for c in cols], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#c3cbd6")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf4")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    totals = [["Stawka VAT", "Netto", "VAT", "Brutto"]] + [
        [
            number_text(r.rate, -1, loc),
            number_text(r.net, 2, loc),
            number_text(r.vat, 2, loc),
            number_text(r.gross, 2, loc),
        ]
        for r in view.vat_lines
    ]
    story += [
        Spacer(1, 4 * mm),
        Table(
            totals,
            style=[
                ("FONT", (0, 0), (-1, -1), _FONT, 8),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ],
        ),
    ]
    story.append(Paragraph(f"Słownie: {view.amount_in_words or ''}", TEXT))
    for title, body in view.conditions:
        story.append(Paragraph(f"<b>{title}</b><br/>{body}", TEXT))
    doc.build(story, canvasmaker=_NumberedCanvas)
    return out.getvalue()


def xlsxwriter_xlsx(view) -> bytes:
    """The same cells as reports.offer_xlsx, written by XlsxWriter."""
    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("Oferta")
    money = wb.add_format({"num_format": '#,##0.00 "zł"'})
    price = wb.add_format({"num_format": "#,##0.00##"})
    qty = wb.add_format({"num_format": "#,##0.###"})
    pct = wb.add_format({"num_format": "0.##"})
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#E8EDF4", "text_wrap": True})
    date = wb.add_format({"num_format": "dd.mm.yyyy"})
    ws.write(0, 0, f"OFERTA HANDLOWA {view.number}", bold)
    for i, (label, value) in enumerate(
        [
            ("Sprzedawca", view.seller.name),
            ("Dla", view.buyer.name),
            ("Tytuł", view.title or ""),
            ("Opiekun", view.rep_name),
            ("Waluta", view.currency),
        ],
        start=1,
    ):
        ws.write(i, 0, label, bold)
        ws.write_string(i, 2, value)
    ws.write(6, 0, "Data wystawienia", bold)
    ws.write_datetime(6, 2, _dt(view.issued_on), date)
    ws.write(7, 0, "Ważna do", bold)
    ws.write_datetime(7, 2, _dt(view.valid_until), date)
    head_row = 9
    for col, label in enumerate(
        [
            "Lp.",
            "Kod",
            "Produkt",
            "Sposób pakowania",
            "Ilość",
            "Jednostka",
            "Cena jedn. netto",
            "Rabat %",
            "Cena po rabacie",
            "Wartość netto",
            "VAT %",
            "VAT",
            "Wartość brutto",
        ]
    ):
        ws.write(head_row, col, label, head)
    ws.freeze_panes(head_row + 1, 0)
    r = head_row
    for r, ln in enumerate(view.summed_lines, start=head_row + 1):
        ws.write_number(r, 0, ln.no)
        ws.write_string(r, 1, ln.sku or "")
        ws.write_string(r, 2, ln.name)
        ws.write_number(r, 4, ln.quantity, qty)
        ws.write_string(r, 5, ln.unit)
        ws.write_number(r, 6, ln.unit_price, price)
        ws.write_number(r, 7, ln.discount_pct, pct)
        ws.write_number(r, 8, ln.final_unit_price, price)
        ws.write_number(r, 9, ln.net, money)
        ws.write_number(r, 10, ln.vat_rate, pct)
        ws.write_formula(r, 11, f"=ROUND(J{r + 1}*K{r + 1}/100,2)", money)
        ws.write_formula(r, 12, f"=J{r + 1}+L{r + 1}", money)
    first, last = head_row + 2, r + 1
    row = r + 2
    for i, vat in enumerate(view.vat_lines):
        x = row + i
        ws.write_number(x, 10, vat.rate, pct)
        ws.write_formula(x, 11, f"=SUMIF(K{first}:K{last},K{x + 1},J{first}:J{last})", money)
        ws.write_formula(x, 12, f"=ROUND(L{x + 1}*K{x + 1}/100,2)", money)
        ws.write_formula(x, 13, f"=L{x + 1}+M{x + 1}", money)
    wb.close()
    return out.getvalue()


def _dt(day):
    import datetime as dt

    return dt.datetime(day.year, day.month, day.day)
