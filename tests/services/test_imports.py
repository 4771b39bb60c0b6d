"""Importing products and customers: all rows or none, every bad row reported, idempotent."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.actors import SYSTEM
from backoffice.errors import ValidationFailed
from backoffice.services.imports import ImportFailed, run_import, template
from models import (
    Address,
    AuditEntry,
    Customer,
    CustomerGroup,
    PackagingUnit,
    Product,
    ProductGroup,
)
from tests.factories import (
    make_customer,
    make_product,
    make_product_group,
    make_user,
    valid_ean13,
    valid_nip,
)
from tests.factories_masterdata import (
    CUSTOMER_HEADERS,
    PRODUCT_HEADERS,
    csv_bytes,
    customer_rows,
    product_rows,
    xlsx_bytes,
)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_products_csv_creates_products_groups_and_packaging(db):
    data = csv_bytes(PRODUCT_HEADERS, product_rows(3))
    result = run_import(SYSTEM, "products", "produkty.csv", data)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert result.groups_created == ["Elektronarzędzia / Wiertarki"]
    product = db.session.scalar(select(Product).where(Product.sku == "SKU-IMP-00001"))
    assert product.name == "Wiertarka udarowa Żubr 1"
    assert product.price_net == Decimal("101.01")
    assert product.vat_rate == Decimal("23")
    assert product.group.path == "Elektronarzędzia / Wiertarki"
    assert [(p.name, p.quantity) for p in product.packaging] == [
        ("karton", Decimal("6")),
        ("paleta", Decimal("240")),
    ]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "product.import"))
    assert entry.changes["created"] == ["SKU-IMP-00001", "SKU-IMP-00002", "SKU-IMP-00003"]


def test_same_file_twice_changes_nothing(db):
    data = csv_bytes(PRODUCT_HEADERS, product_rows(20))
    run_import(SYSTEM, "products", "p.csv", data)
    before = (count(db, Product), count(db, ProductGroup), count(db, PackagingUnit))
    again = run_import(SYSTEM, "products", "p.csv", data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 20)
    assert again.groups_created == []
    assert (count(db, Product), count(db, ProductGroup), count(db, PackagingUnit)) == before


def test_reimport_updates_only_given_columns(db):
    product = make_product(
        sku="WK-1", name="Stara nazwa", price_net=Decimal("10.00"), warranty_months=36
    )
    data = csv_bytes(["SKU", "Net price"], [["WK-1", "12.50"]])
    result = run_import(SYSTEM, "products", "ceny.csv", data)
    assert (result.created, result.updated) == (0, 1)
    db.session.refresh(product)
    assert product.price_net == Decimal("12.50")
    assert product.name == "Stara nazwa"
    assert product.warranty_months == 36


def test_one_bad_row_in_1000_imports_nothing_and_names_the_line(db):
    rows = product_rows(1000)
    rows[499][2] = "5901234123458"  # wrong EAN check digit, file line 501
    with pytest.raises(ImportFailed) as failed:
        run_import(SYSTEM, "products", "p.csv", csv_bytes(PRODUCT_HEADERS, rows))
    assert [(e.line, e.column) for e in failed.value.rows] == [(501, "EAN")]
    assert "EAN" in failed.value.rows[0].message
    assert count(db, Product) == 0
    assert count(db, ProductGroup) == 0


def test_every_bad_row_is_reported_with_reason(db):
    make_product(sku="TAKEN", external_id="ERP-7")
    rows = [
        ["A-1", "Produkt", "", "-5", "23", "", ""],
        ["A-2", "Produkt", "", "10", "22", "", ""],
        ["A-3", "", "", "10", "23", "", ""],
        ["A-4", "Produkt", "", "abc", "23", "", "karton:0"],
        ["A-5", "Produkt", "", "1,999", "23", "", ""],
        ["A-5", "Produkt", "", "1", "23", "", ""],
    ]
    with pytest.raises(ImportFailed) as failed:
        run_import(SYSTEM, "products", "p.csv", csv_bytes(PRODUCT_HEADERS, rows))
    found = {(e.line, e.column) for e in failed.value.rows}
    assert found == {
        (2, "Cena netto"),
        (3, "Stawka VAT"),
        (4, "Nazwa"),
        (5, "Cena netto"),
        (5, "Opakowania"),
        (6, "Cena netto"),
        (6, "Indeks"),
        (7, "Indeks"),
    }
    assert "błędami: 6;" in failed.value.message
    assert count(db, Product) == 1


def test_external_id_of_another_product_is_refused(db):
    make_product(sku="OLD", external_id="ERP-7")
    data = csv_bytes(["Indeks", "Nazwa", "Identyfikator zewnętrzny"], [["NEW", "X", "ERP-7"]])
    with pytest.raises(ImportFailed) as failed:
        run_import(SYSTEM, "products", "p.csv", data)
    assert "OLD" in failed.value.rows[0].message


def test_unknown_groups_can_be_refused(db):
    make_product_group(name="Oświetlenie", code=None)
    rows = [
        ["L-1", "Żarówka", "", "5", "23", "Oświetlenie", ""],
        ["L-2", "Kabel", "", "5", "23", "Kable / Miedziane", ""],
    ]
    with pytest.raises(ImportFailed) as failed:
        run_import(
            SYSTEM, "products", "p.csv", csv_bytes(PRODUCT_HEADERS, rows), create_groups=False
        )
    assert [(e.line, e.value) for e in failed.value.rows] == [(3, "Kable / Miedziane")]
    result = run_import(
        SYSTEM, "products", "p.csv", csv_bytes(PRODUCT_HEADERS, rows[:1]), create_groups=False
    )
    assert result.created == 1 and result.groups_created == []


def test_group_paths_match_existing_tree_case_insensitively(db):
    root = make_product_group(name="Elektronarzędzia", code=None)
    make_product_group(name="Wiertarki", parent=root, code=None)
    result = run_import(
        SYSTEM,
        "products",
        "p.csv",
        csv_bytes(PRODUCT_HEADERS, product_rows(2, group="elektronarzędzia > WIERTARKI")),
    )
    assert result.groups_created == []
    assert count(db, ProductGroup) == 2


@pytest.mark.parametrize(
    "encoding,bom,delimiter",
    [("utf-8", False, ";"), ("utf-8", True, ","), ("cp1250", False, ";"), ("utf-16", False, "\t")],
)
def test_csv_encodings_and_delimiters(db, encoding, bom, delimiter):
    rows = [["ŻÓŁW-1", "Łódka gumowa żółta ąęśćńź", "", "19,99", "8%", "Zabawki", ""]]
    data = csv_bytes(PRODUCT_HEADERS, rows, delimiter=delimiter, encoding=encoding, bom=bom)
    run_import(SYSTEM, "products", "p.csv", data)
    product = db.session.scalar(select(Product).where(Product.sku == "ŻÓŁW-1"))
    assert product.name == "Łódka gumowa żółta ąęśćńź"
    assert product.vat_rate == Decimal("8")
    assert product.group.name == "Zabawki"


def test_english_headers_and_xlsx_typed_cells(db):
    ean = valid_ean13(42)
    headers = [
        "SKU",
        "Name",
        "EAN",
        "Net price",
        "VAT rate",
        "Weight (kg)",
        "Active",
        "Serial numbers",
    ]
    data = xlsx_bytes(headers, [["X-1", "Router", int(ean), 1234.5, 0.23, 1.25, "yes", 1]])
    run_import(SYSTEM, "products", "p.xlsx", data)
    product = db.session.scalar(select(Product).where(Product.sku == "X-1"))
    assert (product.ean, product.price_net, product.vat_rate) == (
        ean,
        Decimal("1234.50"),
        Decimal("23"),
    )
    assert product.weight_kg == Decimal("1.250")
    assert product.serial_tracked is True


@pytest.mark.parametrize(
    "data,message",
    [
        (b"PK\x03\x04 this is not really a zip", "XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
        (b"", "empty"),
    ],
)
def test_broken_files_get_a_clear_message(db, data, message):
    with pytest.raises(ValidationFailed) as failed:
        run_import(SYSTEM, "products", "p.xlsx", data)
    assert message.lower() in failed.value.message.lower() or "pust" in failed.value.message
    assert count(db, Product) == 0


def test_xlsx_named_file_with_text_content_is_refused(db):
    with pytest.raises(ValidationFailed, match="XLSX"):
        run_import(SYSTEM, "products", "p.xlsx", b"Indeks;Nazwa\nA;B\n")


def test_missing_key_column_is_a_file_error(db):
    with pytest.raises(ImportFailed) as failed:
        run_import(SYSTEM, "products", "p.csv", csv_bytes(["Nazwa"], [["X"]]))
    assert failed.value.rows[0].line == 1


def test_dry_run_counts_without_writing(db):
    result = run_import(
        SYSTEM, "products", "p.csv", csv_bytes(PRODUCT_HEADERS, product_rows(5)), dry_run=True
    )
    assert result.created == 5
    assert count(db, Product) == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["products", "customers"])
def test_templates_import_cleanly(db, kind, fmt):
    make_user(roles=("sales",), email="handlowiec@firma.pl")
    result = run_import(SYSTEM, kind, f"template.{fmt}", template(kind, fmt))
    assert result.created == 1
    assert result.ignored_columns == []


# --- customers --------------------------------------------------------------------------


def test_customers_import_with_address_and_group(db):
    result = run_import(SYSTEM, "customers", "k.csv", csv_bytes(CUSTOMER_HEADERS, customer_rows(3)))
    assert (result.created, result.groups_created) == (3, ["Hurtowy"])
    customer = db.session.scalar(select(Customer).where(Customer.external_id == "K-00002"))
    assert customer.group.name == "Hurtowy"
    billing = customer.address("billing")
    assert (billing.street, billing.postal_code, billing.city) == (
        "ul. Źródlana 2",
        "25-001",
        "Kielce",
    )
    again = run_import(SYSTEM, "customers", "k.csv", csv_bytes(CUSTOMER_HEADERS, customer_rows(3)))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert count(db, Customer) == 3 and count(db, Address) == 3
    assert count(db, CustomerGroup) == 1


def test_customers_matched_by_nip_get_their_external_id(db):
    nip = valid_nip()
    existing = make_customer(external_id=None, nip=nip, name="Stara nazwa")
    data = csv_bytes(["Identyfikator zewnętrzny", "NIP", "Nazwa"], [["ERP-9", nip, "Nowa"]])
    result = run_import(SYSTEM, "customers", "k.csv", data)
    assert (result.created, result.updated) == (0, 1)
    db.session.refresh(existing)
    assert (existing.external_id, existing.name) == ("ERP-9", "Nowa")


def test_customers_address_change_updates_default_billing_address(db):
    customer = make_customer(external_id="K-1")
    data = csv_bytes(
        ["Identyfikator zewnętrzny", "Ulica", "Kod pocztowy", "Miasto"],
        [["K-1", "ul. Nowa 1", "00950", "Warszawa"]],
    )
    result = run_import(SYSTEM, "customers", "k.csv", data)
    assert (result.updated, result.unchanged) == (1, 0)
    db.session.refresh(customer)
    assert len(customer.addresses) == 1
    assert customer.addresses[0].postal_code == "00-950"


def test_customer_row_errors(db):
    nip = valid_nip()
    make_customer(external_id=None, nip=nip)
    make_customer(external_id=None, nip=nip)
    make_user(roles=("finance",), email="ksiegowa@firma.pl")
    headers = [
        "Identyfikator zewnętrzny",
        "Nazwa",
        "NIP",
        "E-mail",
        "Opiekun",
        "Kod pocztowy",
        "Ulica",
        "Miasto",
    ]
    rows = [
        ["", "Bez NIP", "", "", "", "", "", ""],
        ["", "Zły NIP", "1234567890", "", "", "", "", ""],
        ["", "Dwuznaczny", nip, "", "", "", "", ""],
        ["E1", "Zły e-mail", "", "nie-mail", "", "", "", ""],
        ["E2", "Nie handlowiec", "", "", "ksiegowa@firma.pl", "", "", ""],
        ["E3", "Zły kod", "", "", "", "123", "ul. A 1", "Radom"],
        ["E3", "Powtórka", "", "", "", "", "", ""],
    ]
    with pytest.raises(ImportFailed) as failed:
        run_import(SYSTEM, "customers", "k.csv", csv_bytes(headers, rows))
    lines = sorted({e.line for e in failed.value.rows})
    assert lines == [2, 3, 4, 5, 6, 7, 8]
    messages = " ".join(e.message for e in failed.value.rows)
    assert "1234567890" in messages
    assert count(db, Customer) == 2


def test_customers_file_needs_a_key_column(db):
    with pytest.raises(ImportFailed):
        run_import(SYSTEM, "customers", "k.csv", csv_bytes(["Nazwa"], [["A"]]))


def test_docs_list_every_column():
    from pathlib import Path

    from backoffice.services.imports import KINDS, columns

    doc = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text()
    for kind in KINDS:
        for column in columns(kind):
            assert f"| {column.header_pl} | {column.header_en} |" in doc


def test_a_collision_while_writing_is_a_conflict_not_a_crash(db, monkeypatch):
    from backoffice.errors import Conflict
    from backoffice.services import imports_products

    make_product(sku="SKU-IMP-00001")
    db.session.commit()
    # As if the product was saved in the console between the checks and the writes.
    monkeypatch.setattr(imports_products, "_existing", lambda rows, keys: {})
    with pytest.raises(Conflict):
        run_import(SYSTEM, "products", "p.csv", csv_bytes(PRODUCT_HEADERS, product_rows(2)))
    db.session.rollback()
    assert count(db, Product) == 1
