"""Service label and repair report renderers."""

import io
import shutil
import subprocess

import pypdf
import pytest

from reports.service_label import ServiceLabelView, render_service_label
from reports.service_report import RepairReportView, ReportLine, render_repair_report


@pytest.mark.skipif(
    not shutil.which("zbarimg") or not shutil.which("pdftoppm"),
    reason="needs zbar-tools and poppler-utils",
)
def test_label_barcode_decodes_to_the_ticket_number(tmp_path):
    pdf = render_service_label(
        ServiceLabelView(
            number="SRV/2026/00042",
            title="Przesyłka serwisowa",
            sender=["Łódź Sp. z o.o."],
            recipient=["Dział serwisu", "Gdańsk"],
            notes=["Naklej tę etykietę na przesyłkę."],
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
    assert out.strip() == "SRV/2026/00042"
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Przesyłka serwisowa" in text and "Łódź" in text


def test_long_repair_report_is_chunked_and_keeps_polish_letters():
    lines = [
        ReportLine(
            f"Część zamienna nr {i} — łożysko", "1", "10,00 zł", "23%", "10,00 zł", "12,30 zł"
        )
        for i in range(60)
    ]
    pdf = render_repair_report(
        RepairReportView(
            title="Karta naprawy",
            number="SRV/2026/00001",
            company=["Serwis Łódź"],
            customer=["Klient Żółć"],
            facts=[("Produkt", "Wiertarka")],
            sections=[("Zgłoszona usterka", "Iskrzy <b>silnik</b>")],
            lines=lines,
            totals=[("Razem netto", "600,00 zł")],
            labels={"work": "Części i robocizna"},
        )
    )
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "łożysko" in text and "Część zamienna nr 59" in text
    assert "<b>silnik</b>" in text  # user text is escaped, not interpreted
