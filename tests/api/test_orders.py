"""Orders (lines, totals, source filter) and order events (once per id, status, hooks)."""

import pytest
from sqlalchemy import func, select

from models.orders import OrderEvent, OrderLine
from tests.factories import make_customer, make_order, make_product
from tests.factories_integration import ApiClient, make_token


@pytest.fixture
def refs(db):
    make_customer(external_id="K-1")
    make_product(external_id="P-1", vat_rate=23)
    make_product(external_id="P-2", vat_rate=8)


def order_body(**overrides):
    body = {
        "number": "ZAM/2026/0001",
        "customer_external_id": "K-1",
        "placed_at": "2026-03-02T09:30:00+01:00",
        "lines": [
            {"product_external_id": "P-1", "quantity": "2", "unit_price_net": "100.00"},
            {"product_external_id": "P-2", "quantity": 1.5, "unit_price_net": 10.01},
            {"name": "Transport", "quantity": "1", "unit_price_net": "20.00", "vat_rate": "23"},
        ],
    }
    body.update(overrides)
    return body


def test_order_with_lines_and_computed_totals(api, db, refs):
    resp = api.put("/api/v1/orders/O-1", order_body())
    assert resp.status_code == 201, resp.json
    out = resp.json
    assert out["placed_at"] == "2026-03-02T08:30:00Z" and out["status"] == "placed"
    assert [ln["vat_rate"] for ln in out["lines"]] == ["23.00", "8.00", "23.00"]
    # VAT per line: 46.00 + 1.20 (15.02 × 8 %) + 4.60
    assert (out["total_net"], out["total_vat"], out["total_gross"]) == (
        "235.02",
        "51.80",
        "286.82",
    )
    assert out["source"] == "erp" and out["lines"][2]["product_external_id"] is None
    assert api.put("/api/v1/orders/O-1", order_body()).json["updated_at"] == out["updated_at"]


def test_lines_are_updated_in_place_by_line_no(api, db, refs):
    api.put("/api/v1/orders/O-2", order_body())
    first = db.session.scalar(select(OrderLine.id).order_by(OrderLine.line_no))
    body = order_body(lines=[{"product_external_id": "P-1", "quantity": "5"}])
    resp = api.put("/api/v1/orders/O-2", body)
    assert [ln["quantity"] for ln in resp.json["lines"]] == ["5.000"]
    assert db.session.scalar(select(OrderLine.id)) == first
    assert resp.json["lines"][0]["unit_price_net"] == "100.00"  # omitted: kept


def test_unknown_references_name_their_fields(api, db, refs):
    body = order_body(customer_external_id="K-404")
    body["lines"][1]["product_external_id"] = "P-404"
    resp = api.put("/api/v1/orders/O-3", body)
    assert resp.status_code == 422
    assert set(resp.json["errors"]) == {"customer_external_id", "lines.1.product_external_id"}
    assert "K-404" in resp.json["errors"]["customer_external_id"][0]


def test_naive_times_and_bad_lines_are_refused(api, db, refs):
    body = order_body(placed_at="2026-03-02T09:30:00")
    body["lines"].append({"quantity": "1"})
    resp = api.put("/api/v1/orders/O-4", body)
    assert resp.status_code == 422
    assert {"placed_at", "lines.3"} <= set(resp.json["errors"])


def test_shop_token_marks_new_orders_as_shop(app, db, refs):
    _token, secret = make_token(scopes=("shop",), name="Sklep")
    shop = ApiClient(app.test_client(), secret)
    assert shop.put("/api/v1/orders/O-5", order_body()).json["source"] == "shop"


def test_list_filters_by_source(api, db, refs):
    make_order(external_id="OF-1", source="offer")
    api.put("/api/v1/orders/O-6", order_body())
    resp = api.get("/api/v1/orders", source="offer")
    assert [o["external_id"] for o in resp.json["items"]] == ["OF-1"]
    assert api.get("/api/v1/orders", source="fax").status_code == 422


def event(id_, type_, at="2026-03-03T10:00:00+01:00", **extra):
    return {"id": id_, "type": type_, "at": at, **extra}


def test_event_is_stored_once_and_moves_the_status(api, db, refs, hook_calls):
    api.put("/api/v1/orders/O-7", order_body())
    shipped = event("e1", "shipped", waybill="00359007738090012345", carrier="DPD", cod_amount=50)
    resp = api.post("/api/v1/orders/O-7/events", shipped)
    assert resp.status_code == 201, resp.json
    assert resp.json["order"]["status"] == "shipped" and not resp.json["duplicate"]
    assert resp.json["order"]["waybill"] == "00359007738090012345"
    assert resp.json["order"]["cod_amount"] == "50.00"
    before = api.get("/api/v1/orders/O-7").json["updated_at"]
    again = api.post("/api/v1/orders/O-7/events", {**shipped, "type": "delivered"})
    assert again.status_code == 200 and again.json["duplicate"]
    assert again.json["order"]["status"] == "shipped"
    assert api.get("/api/v1/orders/O-7").json["updated_at"] == before
    assert hook_calls == [("order", "O-7", "e1", "shipped")]
    assert db.session.scalar(select(func.count()).select_from(OrderEvent)) == 1


def test_late_payment_keeps_delivered_status(api, db, refs):
    api.put("/api/v1/orders/O-8", order_body())
    api.post("/api/v1/orders/O-8/events", event("e1", "delivered"))
    resp = api.post("/api/v1/orders/O-8/events", event("e2", "paid", "2026-03-04T12:00:00+01:00"))
    order = resp.json["order"]
    assert order["status"] == "delivered" and order["paid_at"] == "2026-03-04T11:00:00Z"
    assert order["delivered_at"] == "2026-03-03T09:00:00Z"


def test_cancelling_a_delivered_order_is_a_conflict(api, db, refs):
    api.put("/api/v1/orders/O-9", order_body())
    api.post("/api/v1/orders/O-9/events", event("e1", "delivered"))
    resp = api.post("/api/v1/orders/O-9/events", event("e2", "cancelled"))
    assert resp.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(OrderEvent)) == 1


def test_cancel_from_paid(api, db, refs):
    api.put("/api/v1/orders/O-10", order_body())
    api.post("/api/v1/orders/O-10/events", event("e1", "paid"))
    resp = api.post("/api/v1/orders/O-10/events", event("e2", "cancelled"))
    assert resp.json["order"]["status"] == "cancelled"
    late = api.post("/api/v1/orders/O-10/events", event("e3", "shipped"))
    assert late.status_code == 201 and late.json["order"]["status"] == "cancelled"


def test_event_errors(api, db, refs):
    assert api.post("/api/v1/orders/NOPE/events", event("e1", "paid")).status_code == 404
    api.put("/api/v1/orders/O-11", order_body())
    bad = api.post("/api/v1/orders/O-11/events", event("e1", "lost", at="2026-03-03T10:00:00"))
    assert bad.status_code == 422 and {"type", "at"} <= set(bad.json["errors"])


def test_order_shows_its_events(api, db, refs):
    api.put("/api/v1/orders/O-12", order_body())
    api.post("/api/v1/orders/O-12/events", event("e2", "shipped", "2026-03-04T10:00:00+01:00"))
    api.post("/api/v1/orders/O-12/events", event("e1", "paid", "2026-03-03T10:00:00+01:00"))
    events = api.get("/api/v1/orders/O-12").json["events"]
    assert [e["id"] for e in events] == ["e1", "e2"]  # by time of the event
