"""PUT/GET /api/v1/products: upserts, packaging, SKU conflicts, bulk all-or-nothing."""

from decimal import Decimal

from sqlalchemy import func, select

from models.products import PackagingUnit, Product, ProductGroup
from tests.factories import make_product
from tests.factories_integration import product_body


def test_create_then_identical_put_changes_nothing(api, db):
    resp = api.put("/api/v1/products/P-1", product_body(1, group="Elektronarzędzia"))
    assert resp.status_code == 201, resp.json
    out = resp.json
    assert out["external_id"] == "P-1" and out["price_net"] == "199.99"
    assert out["group"] == "Elektronarzędzia"
    assert out["packaging"] == [{"name": "karton", "quantity": "6.000", "ean": None}]
    again = api.put("/api/v1/products/P-1", product_body(1, group="Elektronarzędzia"))
    assert again.status_code == 200
    assert again.json["updated_at"] == out["updated_at"]
    assert db.session.scalar(select(func.count()).select_from(ProductGroup)) == 1
