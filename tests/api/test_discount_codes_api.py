"""API: code batches from the ERP, validate and redeem at the shop's checkout."""

from decimal import Decimal

from sqlalchemy import func, select

from models.discount_codes import DiscountCode, DiscountCodeBatch
from tests.factories import make_customer, make_group, make_order, make_product, make_product_group
from tests.factories_integration import ApiClient, make_token
from tests.factories_loyalty import fire


def _batch(api, **overrides):
    body = {"name": "Wiosna 2026", "count": 3, "kind": "percent", "value": "10"}
    body.update(overrides)
    return api.post("/api/v1/discount-code-batches", body)


def _codes(api, batch_id) -> list[str]:
    resp = api.get(f"/api/v1/discount-code-batches/{batch_id}/codes")
    assert resp.status_code == 200
    return [c["code"] for c in resp.json["items"]]


def test_erp_creates_a_batch_and_reads_its_codes(api, db):
    group = make_group(code="VIP")
    customer = make_customer(external_id="K-100")
    db.session.commit()
    resp = _batch(
        api,
        count=5,
        prefix="wio-",
        customer_groups=["VIP"],
        customer_external_ids=["K-100"],
        external_id="ERP-B-1",
        valid_to="2030-12-31T23:59:59+01:00",
    )
    assert resp.status_code == 201, resp.json
    batch = resp.json
    assert batch["status"] == "ready" and batch["generated"] == 5 and batch["value"] == "10.00"
    again = _batch(api, count=99, external_id="ERP-B-1")
    assert again.status_code == 200 and again.json["id"] == batch["id"]

    page = api.get(f"/api/v1/discount-code-batches/{batch['id']}/codes", limit=3).json
    assert len(page["items"]) == 3 and page["next_cursor"]
    rest = api.get(
        f"/api/v1/discount-code-batches/{batch['id']}/codes", cursor=page["next_cursor"]
    ).json
    codes = page["items"] + rest["items"]
    assert len({c["code"] for c in codes}) == 5 and rest["next_cursor"] is None
    assert all(c["code"].startswith("WIO-") for c in codes)
    assert [c["customer_external_id"] for c in codes].count("K-100") == 1
    stored = db.session.get(DiscountCodeBatch, batch["id"])
    assert [g.id for g in stored.customer_groups] == [group.id] and customer.id


def test_a_big_batch_is_accepted_and_generated_in_the_background(api, db):
    resp = _batch(api, count=2_500)
    assert resp.status_code == 201 and resp.json["status"] == "generating"
    progress = api.get(f"/api/v1/discount-code-batches/{resp.json['id']}")
    assert progress.json["progress"] == 0


def test_batch_errors_name_the_fields_and_write_nothing(api, db):
    resp = _batch(api, value="150", customer_groups=["NIE-MA"], code_length=6, count=900_000)
    assert resp.status_code == 422
    assert {"value", "customer_groups"} <= set(resp.json["errors"])
    assert _batch(api, kind="gratis").status_code == 422
    assert db.session.scalar(select(func.count(DiscountCodeBatch.id))) == 0
    assert api.get("/api/v1/discount-code-batches/999").status_code == 404


def test_scopes_are_enforced(app, db):
    _t, shop_secret = make_token(scopes=("shop",))
    _t, erp_secret = make_token(scopes=("erp",))
    db.session.commit()
    shop, erp = ApiClient(app.test_client(), shop_secret), ApiClient(app.test_client(), erp_secret)
    assert _batch(shop).status_code == 403
    body = {"code": "X", "customer_external_id": "K", "order_value": "1"}
    assert erp.post("/api/v1/discount-codes/validate", body).status_code == 403
    assert shop.post("/api/v1/discount-codes/validate", body).status_code == 200


def test_validate_then_redeem_idempotently_then_exhausted(api, db):
    (code,) = _codes(api, _batch(api, count=1, value="15", max_discount="50").json["id"])
    body = {"code": code.lower(), "customer_external_id": "K-1", "order_value": "200.00"}
    resp = api.post("/api/v1/discount-codes/validate", body)
    assert resp.json == {"valid": True, "discount": "30.00", "reason": None, "reason_code": None}

    redeem = {**body, "order_external_id": "SHOP-1"}
    first = api.post("/api/v1/discount-codes/redeem", redeem)
    second = api.post("/api/v1/discount-codes/redeem", {**redeem, "order_value": "999"})
    assert first.status_code == second.status_code == 200
    assert first.json == second.json and first.json["discount"] == "30.00"

    other = api.post("/api/v1/discount-codes/redeem", {**redeem, "order_external_id": "SHOP-2"})
    assert other.status_code == 409 and other.json["reason"] == "exhausted"
    assert "wykorzystany" in other.json["errors"]["code"][0]
    check = api.post("/api/v1/discount-codes/validate", body)
    assert check.json["valid"] is False and check.json["reason_code"] == "exhausted"


def test_expired_and_unknown_codes_are_422_with_a_reason(api, db):
    batch = _batch(api, count=1, valid_to="2020-01-31T23:59:59+01:00").json
    (code,) = _codes(api, batch["id"])
    body = {"code": code, "customer_external_id": "K", "order_external_id": "O", "order_value": 10}
    resp = api.post("/api/v1/discount-codes/redeem", body)
    assert resp.status_code == 422 and resp.json["reason"] == "expired"
    unknown = api.post("/api/v1/discount-codes/redeem", {**body, "code": "BRAKKODU"})
    assert unknown.status_code == 422 and unknown.json["reason"] == "unknown"
    english = api.client.post(
        "/api/v1/discount-codes/redeem",
        json=body,
        headers={**api.headers, "Accept-Language": "en"},
    )
    assert english.json["message"] == "This code has expired."


def test_product_group_lines_and_cancelled_order_release(api, db):
    tools = make_product_group(code="NARZ")
    drill = make_product(external_id="P-DRILL", group=tools)
    make_product(external_id="P-PAINT")
    customer = make_customer(external_id="K-7")
    order = make_order(customer, external_id="SHOP-9")
    db.session.commit()
    batch = _batch(api, count=1, kind="amount", value="100", product_groups=["NARZ"]).json
    (code,) = _codes(api, batch["id"])
    lines = [
        {"product_external_id": "P-DRILL", "quantity": "2", "unit_price_net": "30.00"},
        {"product_external_id": "P-PAINT", "quantity": 1, "net_value": "500"},
    ]
    body = {"code": code, "customer_external_id": "K-7", "order_value": "560", "lines": lines}
    assert api.post("/api/v1/discount-codes/validate", body).json["discount"] == "60.00"
    resp = api.post("/api/v1/discount-codes/redeem", {**body, "order_external_id": "SHOP-9"})
    assert resp.status_code == 200 and resp.json["discount"] == "60.00" and drill.id

    fire(order, "cancelled")
    db.session.commit()
    assert db.session.scalar(select(DiscountCode.use_count).where(DiscountCode.code == code)) == 0
    again = api.post("/api/v1/discount-codes/redeem", {**body, "order_external_id": "SHOP-10"})
    assert again.status_code == 200
    assert Decimal(again.json["order_value"]) == Decimal("560")
