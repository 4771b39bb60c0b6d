"""Offer documents: the PDF opens and says what the offer says (Polish letters exactly), the
XLSX has real numbers, formats, a frozen header, formula totals and inert user text."""

import io
from decimal import Decimal as D

import openpyxl
import pypdf

from backoffice.services.offer_documents import build_view, render_bytes
from models.offer_documents import DocumentKind
from tests.factories import make_contact, make_customer, make_product
from tests.factories_offers import make_offer, send


def _offer(db, lines=None, **kw):
    customer = make_customer(name="Hurtownia Żółć i Syn sp. z o.o.")
    make_contact(customer, name="Zofia Gęślą", receives_offers=True)
    offer = make_offer(customers=[customer], lines=lines, **kw)
    return send(offer)


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_pdf_has_lines_totals_words_and_page_numbers(db):
    drill = make_product(
        name="Wiertarka udarowa Zażółć gęślą jaźń", sku="WD-500", price_net=D("1000.00")
    )
    saw = make_product(name="Piła łańcuchowa", sku="PL-1", price_net=D("234.50"), vat_rate=D("8"))
    condition = {"title": "Warunki płatności", "body": "Przelew 14 dni"}
    offer = _offer(db, lines=[(drill, 1, None), (saw, 1, None)], conditions=[condition])
    view = build_view(offer.current_version, offer.recipients[0])
    pages, text = _pdf_text(render_bytes(view, DocumentKind.PDF))
    assert pages == 1
    for expected in [
        "OFERTA HANDLOWA", offer.number, "Wiertarka udarowa Zażółć gęślą jaźń", "WD-500",
        "Piła łańcuchowa", "Hurtownia Żółć i Syn sp. z o.o.", "Zofia Gęślą",
        "1 000,00", "234,50", "1 230,00", "253,26", "1 483,26",
        "Słownie: tysiąc czterysta osiemdziesiąt trzy złote 26/100",
        "Warunki płatności", "Przelew 14 dni", "Strona 1 z 1",
    ]:  # fmt: skip
        assert expected in text.replace("\u00a0", " "), expected


def test_long_offer_is_chunked_and_numbered(db):
    products = [make_product(name=f"Pozycja ąę {i}") for i in range(120)]
    offer = _offer(db, lines=[(p, 1, "1.00") for p in products])
    view = build_view(offer.current_version, offer.recipients[0])
    pages, text = _pdf_text(render_bytes(view, DocumentKind.PDF))
    assert pages >= 3
    assert f"Strona 1 z {pages}" in text and f"Strona {pages} z {pages}" in text
    assert all(f"Pozycja ąę {i}" in text for i in range(120))


def test_xlsx_numbers_formats_formulas_and_escaped_text(db):
    tricky = make_product(name="=1+1", sku="@SUM(A1)", price_net=D("12.50"))
    plain = make_product(name="Śrubokręt", price_net=D("3.00"), vat_rate=D("8"))
    offer = _offer(db, lines=[(tricky, 4, None, {"discount_pct": "10"}), (plain, 2, None)])
    view = build_view(offer.current_version, offer.recipients[0])
    wb = openpyxl.load_workbook(io.BytesIO(render_bytes(view, DocumentKind.XLSX)))
    ws = wb.active
    cells = {c.coordinate: c for row in ws.iter_rows() for c in row if c.value is not None}
    head = next(c.row for c in cells.values() if c.value == "Lp.")
    assert ws.freeze_panes == f"A{head + 1}"
    first = head + 1
    assert ws.cell(first, 3).value == "'=1+1" and ws.cell(first, 3).data_type == "s"
    assert ws.cell(first, 2).value == "'@SUM(A1)"
    assert ws.cell(first, 5).value == 4 and isinstance(ws.cell(first, 5).value, int | float)
    assert ws.cell(first, 10).value == 45 and ws.cell(first, 10).number_format == '#,##0.00 "zł"'
    assert ws.cell(first, 12).value == f"=ROUND(J{first}*K{first}/100,2)"
    formulas = [
        c.value for c in cells.values() if isinstance(c.value, str) and c.value.startswith("=SUM")
    ]
    assert formulas, "totals are formulas"
    assert any("SUMIF(" in str(c.value) for c in cells.values())
    assert "Ś" in ws.cell(first + 1, 3).value


def test_xlsx_line_cells_keep_each_their_format(db):
    """Line cells share their style's array and index; each column still reads back with its
    own format, the formula columns too, and a bold total is not bled into the lines."""
    products = [make_product(name=f"Klucz {i}", price_net=D("7.25")) for i in range(3)]
    offer = _offer(
        db, lines=[(p, 2 + i, None, {"discount_pct": "5"}) for i, p in enumerate(products)]
    )
    view = build_view(offer.current_version, offer.recipients[0])
    ws = openpyxl.load_workbook(io.BytesIO(render_bytes(view, DocumentKind.XLSX))).active
    head = next(r for r in range(1, 30) if ws.cell(r, 1).value == "Lp.")
    money = '#,##0.00 "zł"'
    expected = {5: "#,##0.###", 7: "#,##0.00##", 8: "0.##", 9: "#,##0.00##", 10: money,
                11: "0.##", 12: money, 13: money}  # fmt: skip
    for r in range(head + 1, head + 4):
        for col, number_format in expected.items():
            assert ws.cell(r, col).number_format == number_format, (r, col)
            assert not ws.cell(r, col).font.b, (r, col)
        assert ws.cell(r, 3).number_format == "General"
    total = next(c for row in ws.iter_rows() for c in row if c.value == "Razem")
    assert ws.cell(total.row, 12).font.b and ws.cell(total.row, 12).number_format == money
