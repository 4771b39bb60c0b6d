"""The offer PDF: xhtml2pdf from ``templates/reports/offers/offer.html``, pages numbered.

The lines go into tables of ``CHUNK`` rows (xhtml2pdf lays out one long table in
superlinear time; short tables keep it linear). Columns have fixed widths so the chunks
line up as one table, and pages after the first repeat the column heads from a static
frame. "Strona 1 z 3" is stamped afterwards with ReportLab: xhtml2pdf's own page count
would lay the whole document out twice.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _

from reports.offer_view import OfferView
from reports.pdf import STATIC, html_to_pdf

CHUNK = 25
#: Usable width of an A4 page with 12 mm margins.
PAGE_WIDTH_MM = 186
_FONT = "DejaVuSans-Stamp"
_FONT_LOCK = threading.Lock()


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: float  # mm
    numeric: bool = True


def line_columns(view: OfferView) -> list[Column]:
    """The lines table's columns (discount columns only when a line has a discount)."""
    discounts = view.has_discounts and not view.final_total_mode
    cols = [
        Column("no", _("Item no."), 8, False),
        Column("name", _("Product"), 0, False),
        Column("quantity", _("Quantity"), 20),
        Column("unit_price", _("Net unit price"), 22),
    ]
    if discounts:
        cols += [
            Column("discount", _("Discount") + " %", 14),
            Column("final", _("Price after discount"), 22),
        ]
    cols += [Column("net", _("Net value"), 24), Column("vat", _("VAT") + " %", 12)]
    fixed = sum(c.width for c in cols)
    return [
        Column(c.key, c.label, PAGE_WIDTH_MM - fixed if c.key == "name" else c.width, c.numeric)
        for c in cols
    ]


def number_text(value: Decimal | None, places: int = 2, locale: str = "pl") -> str:
    """1 234,50 (pl) or 1,234.50 (en); quantities without trailing zeros (places=-1)."""
    if value is None:
        return ""
    value = Decimal(value)
    if places < 0:
        places = max(0, -value.normalize().as_tuple().exponent)
    text = f"{value:,.{places}f}"
    if locale == "pl":
        return text.replace(",", "\u00a0").replace(".", ",")
    return text


def unit_price_text(value: Decimal, locale: str) -> str:
    """Two decimals, or up to four when spreading a total left sub-cent prices."""
    if value == value.quantize(Decimal("0.01")):
        return number_text(value, 2, locale)
    trimmed = value.quantize(Decimal("0.0001")).normalize()
    return number_text(trimmed, max(2, -trimmed.as_tuple().exponent), locale)


def _rows(view: OfferView, lines, columns) -> list[list[str]]:
    loc = view.locale
    out = []
    for ln in lines:
        cells = {
            "no": str(ln.no),
            "quantity": f"{number_text(ln.quantity, -1, loc)} {ln.unit}",
            "unit_price": unit_price_text(
                ln.final_unit_price if view.final_total_mode else ln.unit_price, loc
            ),
            "discount": number_text(ln.discount_pct, -1, loc) if ln.discount_pct else "",
            "final": number_text(ln.final_unit_price, 2, loc),
            "net": number_text(ln.net, 2, loc),
            "vat": number_text(ln.vat_rate, -1, loc),
        }
        out.append([cells.get(c.key) for c in columns])
    return out


def render_offer_html(view: OfferView) -> str:
    """The document as HTML for xhtml2pdf (also handy to preview in tests)."""
    columns = line_columns(view)
    summed = view.summed_lines
    chunks = [summed[i : i + CHUNK] for i in range(0, len(summed), CHUNK)]
    template = current_app.jinja_env.get_template("reports/offers/offer.html")
    return template.render(
        view=view,
        columns=columns,
        chunks=[(chunk, _rows(view, chunk, columns)) for chunk in chunks],
        optional=(view.optional_lines, _rows(view, view.optional_lines, columns)),
        num=lambda v, p=2: number_text(v, p, view.locale),
        money=lambda v: f"{number_text(v, 2, view.locale)} {_currency(view)}",
        logo=lambda path: f"file:{path}" if path else None,
        font_dir=str(STATIC / "fonts"),
    )


def _currency(view: OfferView) -> str:
    return "zł" if view.currency == "PLN" and view.locale == "pl" else view.currency


def render_offer_pdf(view: OfferView) -> bytes:
    """The offer as PDF bytes, with "Strona X z Y" on every page."""
    return stamp_page_numbers(html_to_pdf(render_offer_html(view)))


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _FONT_LOCK:
        if _FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(_FONT, str(STATIC / "fonts" / "DejaVuSans.ttf")))


def stamp_page_numbers(pdf: bytes) -> bytes:
    """Overlay "Strona i z n" (translated) at the bottom right of every page."""
    import pypdf
    from reportlab.pdfgen import canvas

    _register_font()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    total = len(reader.pages)
    box = reader.pages[0].mediabox
    width, height = float(box.width), float(box.height)
    overlay = io.BytesIO()
    c = canvas.Canvas(overlay, pagesize=(width, height))
    for page in range(1, total + 1):
        c.setFont(_FONT, 7.5)
        c.setFillGray(0.35)
        c.drawRightString(width - 34, 24, _("Page %(page)d of %(pages)d", page=page, pages=total))
        c.showPage()
    c.save()
    stamps = pypdf.PdfReader(io.BytesIO(overlay.getvalue()))
    writer = pypdf.PdfWriter(clone_from=reader)
    for page, stamp in zip(writer.pages, stamps.pages, strict=True):
        page.merge_page(stamp)
        page.compress_content_streams()
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
