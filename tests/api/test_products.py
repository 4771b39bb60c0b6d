"""PUT/GET /api/v1/products: upserts, packaging, SKU conflicts, bulk all-or-nothing."""

from sqlalchemy import func, select

from models.audit import AuditEntry
from models.products import PackagingUnit, Product, ProductGroup
from tests.factories import make_product
from tests.factories_integration import product_body


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_then_identical_put_changes_nothing(api, db):
    resp = api.put("/api/v1/products/P-1", product_body(1, group="Elektronarzędzia"))
    assert resp.status_code == 201, resp.json
    out = resp.json
    assert out["external_id"] == "P-1" and out["price_net"] == "199.99"
    assert out["group"] == "Elektronarzędzia" and out["unit"] == "szt."
    assert out["packaging"] == [{"name": "karton", "quantity": "6.000", "ean": None}]
    audits = count(db, AuditEntry)
    again = api.put("/api/v1/products/P-1", product_body(1, group="elektronarzędzia"))
    assert again.status_code == 200
    assert again.json["updated_at"] == out["updated_at"]
    assert count(db, ProductGroup) == 1  # the group matched case-insensitively
    assert count(db, AuditEntry) == audits  # nothing changed, nothing recorded


def test_update_keeps_omitted_fields_and_null_clears(api, db):
    api.put("/api/v1/products/P-2", product_body(2, weight_kg="1.5", group="Kable"))
    resp = api.put("/api/v1/products/P-2", {"sku": "SKU-000002", "name": "Nowa nazwa"})
    assert resp.status_code == 200
    out = resp.json
    assert out["name"] == "Nowa nazwa"
    assert out["weight_kg"] == "1.500" and out["group"] == "Kable" and out["price_net"] == "199.99"
    assert len(out["packaging"]) == 1  # not sent: kept
    cleared = api.put(
        "/api/v1/products/P-2", {"sku": "SKU-000002", "name": "Nowa nazwa", "weight_kg": None}
    )
    assert cleared.json["weight_kg"] is None
    assert cleared.json["updated_at"] > out["updated_at"]


def test_packaging_is_matched_by_name_and_updated_in_place(api, db):
    api.put("/api/v1/products/P-3", product_body(3))
    first_id = db.session.scalar(select(PackagingUnit.id))
    body = product_body(
        3, packaging=[{"name": "karton", "quantity": "12"}, {"name": "paleta", "quantity": "480"}]
    )
    resp = api.put("/api/v1/products/P-3", body)
    assert [p["quantity"] for p in resp.json["packaging"]] == ["12.000", "480.000"]
    assert db.session.get(PackagingUnit, first_id).quantity == 12
    resp = api.put("/api/v1/products/P-3", product_body(3, packaging=[]))
    assert resp.json["packaging"] == [] and count(db, PackagingUnit) == 0


def test_only_children_changed_still_bumps_updated_at(api, db):
    first = api.put("/api/v1/products/P-4", product_body(4)).json
    body = product_body(4, packaging=[{"name": "karton", "quantity": "10"}])
    second = api.put("/api/v1/products/P-4", body)
    assert second.status_code == 200
    assert second.json["updated_at"] > first["updated_at"]


def test_sku_held_by_another_external_id_is_409(api, db):
    make_product(external_id="OTHER", sku="SKU-TAKEN")
    resp = api.put("/api/v1/products/P-5", product_body(5, sku="SKU-TAKEN"))
    assert resp.status_code == 409
    assert "SKU-TAKEN" in resp.json["errors"]["sku"][0]
    assert db.session.scalar(select(Product).where(Product.external_id == "P-5")) is None


def test_product_made_before_the_api_is_adopted_by_sku(api, db):
    legacy = make_product(external_id=None, sku="SKU-OLD", name="Stary produkt")
    resp = api.put("/api/v1/products/P-6", product_body(6, sku="SKU-OLD"))
    assert resp.status_code == 200, resp.json
    assert resp.json["id"] == legacy.id and resp.json["external_id"] == "P-6"
    assert count(db, Product) == 1


def test_invalid_values_are_422_with_field_paths(api, db):
    body = product_body(7, ean="5901234123450", price_net="12.345", vat_rate=123)
    body["packaging"][0]["quantity"] = "0"
    resp = api.put("/api/v1/products/P-7", body)
    assert resp.status_code == 422
    errors = resp.json["errors"]
    assert {"ean", "price_net", "vat_rate", "packaging.0.quantity"} <= set(errors)
    assert "EAN" in errors["ean"][0]
    assert count(db, Product) == 0


def test_unknown_field_and_mismatched_id_are_refused(api, db):
    resp = api.put("/api/v1/products/P-8", product_body(8, vat=23))
    assert resp.status_code == 422 and "vat" in resp.json["errors"]
    resp = api.put("/api/v1/products/P-8", product_body(8, external_id="P-9"))
    assert resp.status_code == 422 and "external_id" in resp.json["errors"]


def test_get_one_and_404(api, db):
    api.put("/api/v1/products/FV/2026/1", product_body(9))  # slashes in external ids work
    assert api.get("/api/v1/products/FV/2026/1").json["sku"] == "SKU-000009"
    missing = api.get("/api/v1/products/NOPE")
    assert missing.status_code == 404 and missing.json["errors"]


def test_bulk_upsert_counts_created_updated_unchanged(api, db):
    api.put("/api/v1/products/B-1", product_body(11))
    api.put("/api/v1/products/B-2", product_body(12))
    items = [
        {"external_id": "B-1", **product_body(11)},
        {"external_id": "B-2", **product_body(12, name="Zmieniona")},
        {"external_id": "B-3", **product_body(13)},
    ]
    resp = api.put("/api/v1/products", items)
    assert resp.status_code == 200, resp.json
    assert (resp.json["created"], resp.json["updated"], resp.json["unchanged"]) == (1, 1, 1)
    assert [i["status"] for i in resp.json["items"]] == ["unchanged", "updated", "created"]


def test_bulk_of_1000_with_one_bad_item_writes_nothing(api, db):
    items = [{"external_id": f"BULK-{n}", **product_body(1000 + n)} for n in range(1000)]
    items[17]["ean"] = "123"
    resp = api.put("/api/v1/products", items)
    assert resp.status_code == 422
    assert list(resp.json["errors"]) == ["17.ean"]
    assert count(db, Product) == 0 and count(db, PackagingUnit) == 0


def test_bulk_conflict_names_the_index_and_writes_nothing(api, db):
    make_product(external_id="OTHER", sku="SKU-TAKEN")
    items = [{"external_id": f"C-{n}", **product_body(2000 + n)} for n in range(3)]
    items[2]["sku"] = "SKU-TAKEN"
    resp = api.put("/api/v1/products", items)
    assert resp.status_code == 409 and list(resp.json["errors"]) == ["2.sku"]
    assert count(db, Product) == 1


def test_bulk_refuses_duplicates_and_more_than_1000(api, db):
    items = [{"external_id": "D-1", **product_body(1)}, {"external_id": "D-1", **product_body(2)}]
    resp = api.put("/api/v1/products", items)
    assert resp.status_code == 422 and "1.external_id" in resp.json["errors"]
    same_sku = [
        {"external_id": "D-1", **product_body(1)},
        {"external_id": "D-2", **product_body(1)},
    ]
    resp = api.put("/api/v1/products", same_sku)
    assert resp.status_code == 422 and "1.sku" in resp.json["errors"]
    too_many = [{"external_id": f"M-{n}", **product_body(n)} for n in range(1001)]
    assert api.put("/api/v1/products", too_many).status_code == 422
    assert api.put("/api/v1/products", []).status_code == 422
