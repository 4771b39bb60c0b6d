"""``flask import customers|products FILE``: exit codes, one line per bad row, idempotency."""

from sqlalchemy import func, select

from models import Customer, Product
from tests.factories_masterdata import (
    CUSTOMER_HEADERS,
    PRODUCT_HEADERS,
    csv_bytes,
    customer_rows,
    product_rows,
    xlsx_bytes,
)


def test_cli_imports_products_twice_without_duplicates(runner, db, tmp_path):
    path = tmp_path / "produkty.xlsx"
    path.write_bytes(xlsx_bytes(PRODUCT_HEADERS, product_rows(25)))
    first = runner.invoke(args=["import", "products", str(path)])
    assert first.exit_code == 0, first.output
    assert "25" in first.output
    second = runner.invoke(args=["import", "products", str(path)])
    assert second.exit_code == 0
    assert "0 dodano" in second.output or "0 created" in second.output
    assert db.session.scalar(select(func.count(Product.id))) == 25


def test_cli_reports_bad_rows_and_exits_1(runner, db, tmp_path):
    rows = customer_rows(30)
    rows[4][2] = "1234567890"
    rows[20][6] = "ABCDE"
    path = tmp_path / "kontrahenci.csv"
    path.write_bytes(csv_bytes(CUSTOMER_HEADERS, rows, encoding="cp1250"))
    result = runner.invoke(args=["import", "customers", str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("wiersz")]
    assert [line.split(",")[0] for line in lines] == ["wiersz 6", "wiersz 22"]
    assert "1234567890" in lines[0]
    assert db.session.scalar(select(func.count(Customer.id))) == 0


def test_cli_dry_run_and_refused_groups(runner, db, tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(csv_bytes(PRODUCT_HEADERS, product_rows(3)))
    dry = runner.invoke(args=["import", "products", "--dry-run", str(path)])
    assert dry.exit_code == 0
    refused = runner.invoke(args=["import", "products", "--no-create-groups", str(path)])
    assert refused.exit_code == 1
    assert db.session.scalar(select(func.count(Product.id))) == 0


def test_cli_broken_file(runner, db, tmp_path):
    path = tmp_path / "p.xlsx"
    path.write_bytes(b"PK\x03\x04broken")
    result = runner.invoke(args=["import", "products", str(path)])
    assert result.exit_code == 1
    assert "XLSX" in result.output
