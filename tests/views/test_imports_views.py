"""Console import pages: upload, error table, check-only mode, templates, permissions."""

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from models import AuditEntry, Product
from tests.factories_masterdata import PRODUCT_HEADERS, csv_bytes, product_rows, xlsx_bytes


def upload(client, kind: str, data: bytes, name: str, **extra):
    form = {"file": (io.BytesIO(data), name), "create_groups": "y", "mode": "import", **extra}
    return client.post(f"/admin/import/{kind}/", data=form, content_type="multipart/form-data")


def products(db) -> int:
    return db.session.scalar(select(func.count(Product.id)))


def test_xlsx_import_shows_summary(admin_client, db):
    resp = upload(admin_client, "products", xlsx_bytes(PRODUCT_HEADERS, product_rows(3)), "p.xlsx")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-testid="import-result"' in body
    assert 'data-testid="created">3<' in body
    assert products(db) == 3
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "product.import"))


def test_bad_rows_are_listed_and_nothing_is_written(admin_client, db):
    rows = product_rows(1000)
    rows[10][2] = "123"
    rows[700][4] = "7"
    resp = upload(admin_client, "products", csv_bytes(PRODUCT_HEADERS, rows), "p.csv")
    body = resp.get_data(as_text=True)
    assert 'data-testid="import-errors"' in body
    assert "<td>12</td>" in body and "<td>702</td>" in body
    assert "nic nie zostało zaimportowane" in body
    assert products(db) == 0


def test_check_only_writes_nothing(admin_client, db):
    resp = upload(
        admin_client, "products", csv_bytes(PRODUCT_HEADERS, product_rows(2)), "p.csv", mode="check"
    )
    assert "Import spowodowałby" in resp.get_data(as_text=True)
    assert products(db) == 0


def test_broken_xlsx_gets_a_message_on_the_form(admin_client, db):
    resp = upload(admin_client, "products", b"PK\x03\x04garbage", "p.xlsx")
    assert "nie jest poprawnym skoroszytem XLSX" in resp.get_data(as_text=True)


def test_missing_file_is_a_form_error(admin_client):
    resp = admin_client.post("/admin/import/products/", data={"mode": "import"})
    assert "Wybierz plik" in resp.get_data(as_text=True)


def test_templates_download(admin_client):
    csv = admin_client.get("/admin/import/customers/template.csv")
    assert csv.data.startswith(b"\xef\xbb\xbf") and "NIP" in csv.data.decode("utf-8-sig")
    xlsx = admin_client.get("/admin/import/products/template.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["A1"].value == "Indeks"
    assert admin_client.get("/admin/import/products/template.pdf").status_code == 404


def test_import_pages_follow_edit_roles(staff_client, db):
    sales = staff_client("sales")
    assert sales.get("/admin/import/customers/").status_code == 200
    assert sales.get("/admin/import/products/").status_code == 403
    upload(sales, "products", csv_bytes(PRODUCT_HEADERS, product_rows(1)), "p.csv")
    assert products(db) == 0
    assert staff_client("purchasing").get("/admin/import/products/").status_code == 200
