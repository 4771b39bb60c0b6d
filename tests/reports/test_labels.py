"""PDFs carry Polish letters; label barcodes decode to their code."""

import io
import shutil
import subprocess

import pypdf
import pytest

from reports.labels import LabelData, render_label_pdf
from reports.pdf import html_to_pdf

POLISH = "Zażółć gęślą jaźń ZAŻÓŁĆ GĘŚLĄ JAŹŃ"


def test_pdf_text_keeps_polish_letters():
    pdf = html_to_pdf(f"<html><body><p>{POLISH}</p><p><b>{POLISH}</b></p></body></html>")
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert text.count(POLISH) == 2


@pytest.mark.skipif(
    not shutil.which("zbarimg") or not shutil.which("pdftoppm"),
    reason="needs zbar-tools and poppler-utils",
)
def test_label_barcode_decodes_to_the_code(tmp_path):
    pdf = render_label_pdf(
        LabelData(
            code="RMA/2026/00042", title="Etykieta zwrotu", sender=["Łódź"], recipient=["Śląsk"]
        )
    )
    (tmp_path / "label.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", str(tmp_path / "label.pdf"), str(tmp_path / "page")],
        check=True,
    )
    out = subprocess.run(
        ["zbarimg", "-q", "--raw", str(tmp_path / "page-1.png")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "RMA/2026/00042"
