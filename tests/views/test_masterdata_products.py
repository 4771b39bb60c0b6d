"""Console: products and the product group tree — form errors, permissions, audit."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import AuditEntry, PackagingUnit, Product, ProductGroup
from tests.factories import make_product, make_product_group, valid_ean13


def product_form(**overrides) -> dict:
    data = {
        "sku": "WK-100",
        "name": "Wkrętarka akumulatorowa Żbik",
        "ean": valid_ean13(100),
        "unit": "szt.",
        "price_net": "349.99",
        "vat_rate": "23",
        "warranty_months": "24",
        "returnable": "y",
        "active": "y",
        "packaging-0-name": "karton",
        "packaging-0-quantity": "6",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def products(db) -> int:
    return db.session.scalar(select(func.count(Product.id)))


def test_create_product_with_packaging_is_audited(admin_client, db):
    resp = admin_client.post("/admin/products/new/", data=product_form())
    assert resp.status_code == 302, resp.get_data(as_text=True)
    product = db.session.scalar(select(Product).where(Product.sku == "WK-100"))
    assert product.price_net == Decimal("349.99")
    assert [(p.name, p.quantity) for p in product.packaging] == [("karton", Decimal("6"))]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "product.create"))
    assert entry.object_id == str(product.id)
    assert entry.changes["packaging"]["added"] == ["karton (6)"]


def test_duplicate_sku_is_a_form_message(admin_client, db):
    make_product(sku="WK-100", name="Pierwsza")
    resp = admin_client.post("/admin/products/new/", data=product_form())
    assert resp.status_code == 200
    assert "Produkt o indeksie WK-100 już istnieje" in resp.get_data(as_text=True)
    assert products(db) == 1


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("ean", "5901234123458", "Nieprawidłowy EAN"),
        ("price_net", "-1", "0"),
        ("vat_rate", "22", "wybór"),
        ("packaging-0-quantity", "0", "większa od 0"),
        ("sku", "", "wymagane"),
    ],
)
def test_bad_product_input_is_refused_with_a_message(admin_client, db, field, value, message):
    resp = admin_client.post("/admin/products/new/", data=product_form(**{field: value}))
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert message in body
    assert "is-invalid" in body or "invalid-feedback" in body or "has-error" in body
    assert products(db) == 0
    assert db.session.scalar(select(func.count(PackagingUnit.id))) == 0


def test_edit_keeps_own_sku_and_records_changes(admin_client, db):
    product = make_product(sku="WK-7", name="Stara", packaging=[("karton", "12")])
    db.session.commit()
    data = product_form(sku="WK-7", name="Nowa", ean=product.ean)
    data.update({"packaging-0-id": str(product.packaging[0].id), "packaging-0-quantity": "10"})
    resp = admin_client.post(f"/admin/products/edit/?id={product.id}", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.refresh(product)
    assert product.name == "Nowa"
    assert product.packaging[0].quantity == Decimal("10")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "product.update"))
    assert entry.changes["name"] == ["Stara", "Nowa"]
    assert entry.changes["packaging"]["changed"]


def test_search_filters_and_export(admin_client, db):
    group = make_product_group(name="Oświetlenie")
    make_product(sku="LED-1", name="Żarówka LED", group=group)
    make_product(sku="KAB-1", name="Kabel", ean=None)
    db.session.commit()
    assert "Żarówka LED" in admin_client.get("/admin/products/?search=LED-1").get_data(True)
    page = admin_client.get("/admin/products/incomplete/", follow_redirects=True)
    body = page.get_data(as_text=True)
    assert "KAB-1" in body and "LED-1" not in body
    csv = admin_client.get("/admin/products/export/csv/")
    assert csv.data.startswith(b"\xef\xbb\xbf")
    assert "Żarówka LED" in csv.data.decode("utf-8-sig")
    xlsx = admin_client.get("/admin/products/export/xlsx/")
    assert xlsx.data[:2] == b"PK"


def test_sales_may_view_but_not_edit_products(staff_client, db):
    client = staff_client("sales")
    assert client.get("/admin/products/").status_code == 200
    client.post("/admin/products/new/", data=product_form())
    assert products(db) == 0


def test_logistics_may_edit_products(staff_client, db):
    client = staff_client("logistics")
    assert client.post("/admin/products/new/", data=product_form()).status_code == 302
    assert products(db) == 1


def test_deactivate_action(admin_client, db):
    product = make_product()
    db.session.commit()
    resp = admin_client.post(
        "/admin/products/action/", data={"action": "deactivate", "rowid": [str(product.id)]}
    )
    assert resp.status_code == 302
    db.session.refresh(product)
    assert product.active is False
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "product.deactivate"))


# --- product groups ---------------------------------------------------------------------


def test_group_tree_refuses_cycles(admin_client, db):
    root = make_product_group(name="Elektronarzędzia")
    child = make_product_group(name="Wiertarki", parent=root)
    grandchild = make_product_group(name="Udarowe", parent=child)
    db.session.commit()
    resp = admin_client.post(
        f"/admin/product-groups/edit/?id={root.id}",
        data={"name": "Elektronarzędzia", "code": root.code, "parent": str(grandchild.id)},
    )
    assert resp.status_code == 200
    assert "pod samą sobą" in resp.get_data(as_text=True)
    db.session.refresh(root)
    assert root.parent_id is None


def test_group_path_is_shown_and_siblings_are_unique(admin_client, db):
    root = make_product_group(name="Ogród")
    make_product_group(name="Kosiarki", parent=root)
    db.session.commit()
    assert "Ogród / Kosiarki" in admin_client.get("/admin/product-groups/").get_data(True)
    assert "Kosiarki" in admin_client.get("/admin/product-groups/tree/").get_data(True)
    resp = admin_client.post(
        "/admin/product-groups/new/", data={"name": "kosiarki", "parent": str(root.id)}
    )
    assert resp.status_code == 200
    assert db.session.scalar(select(func.count(ProductGroup.id))) == 2


def test_group_delete_only_when_empty(admin_client, db):
    used = make_product_group(name="Używana")
    make_product(group=used)
    empty = make_product_group(name="Pusta")
    db.session.commit()
    admin_client.post("/admin/product-groups/delete/", data={"id": str(used.id)})
    admin_client.post("/admin/product-groups/delete/", data={"id": str(empty.id)})
    names = db.session.scalars(select(ProductGroup.name)).all()
    assert names == ["Używana"]
