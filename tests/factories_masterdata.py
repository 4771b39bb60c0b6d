"""Builders for master-data tests: import files (CSV in any encoding, XLSX) and images."""

from __future__ import annotations

import io
from collections.abc import Sequence

from tests.factories import valid_ean13, valid_nip

PRODUCT_HEADERS = ["Indeks", "Nazwa", "EAN", "Cena netto", "Stawka VAT", "Grupa", "Opakowania"]


def csv_bytes(
    headers: Sequence[str],
    rows: Sequence[Sequence],
    delimiter: str = ";",
    encoding: str = "utf-8",
    bom: bool = False,
) -> bytes:
    """A CSV file as Excel would save it (quotes only where needed)."""
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(headers: Sequence[str], rows: Sequence[Sequence]) -> bytes:
    """An XLSX workbook with typed cells (numbers stay numbers)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def product_rows(count: int, start: int = 1, group: str = "Elektronarzędzia / Wiertarki"):
    """``count`` valid product rows (SKU-IMP-00001 …) with Polish names and packaging."""
    return [
        [
            f"SKU-IMP-{n:05d}",
            f"Wiertarka udarowa Żubr {n}",
            valid_ean13(700_000_000 + n),
            f"{100 + n % 50},{n % 100:02d}",
            "23",
            group,
            "karton:6|paleta:240",
        ]
        for n in range(start, start + count)
    ]


CUSTOMER_HEADERS = [
    "Identyfikator zewnętrzny",
    "Nazwa",
    "NIP",
    "E-mail",
    "Grupa",
    "Ulica",
    "Kod pocztowy",
    "Miasto",
]


def customer_rows(count: int, start: int = 1):
    """``count`` valid customer rows (K-00001 …) with valid NIPs and Polish addresses."""
    import random

    rng = random.Random(start)
    return [
        [
            f"K-{n:05d}",
            f"Hurtownia Świętokrzyska {n} sp. z o.o.",
            valid_nip(rng),
            f"biuro{n}@hurtownia.example.com",
            "Hurtowy",
            f"ul. Źródlana {n}",
            "25-001",
            "Kielce",
        ]
        for n in range(start, start + count)
    ]


def png_bytes(size: tuple[int, int] = (40, 20), color: str = "red") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(size: tuple[int, int] = (40, 20)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, format="JPEG")
    return out.getvalue()


def page_messages(html: str) -> list[str]:
    """Texts of the alerts and field errors on a console page (for assertions and debugging)."""
    import re

    found = re.findall(
        r'<div class="alert alert-(?:danger|warning|success|info)[^"]*"[^>]*>(.*?)</div>'
        r'|<div class="invalid-feedback[^"]*">(.*?)</div>',
        html,
        flags=re.S,
    )
    texts = []
    for alert, field in found:
        text = re.sub(r"<[^>]+>|&times;", " ", alert or field)
        text = re.sub(r"\s+", " ", text).strip()
        if text:
            texts.append(text)
    return texts
