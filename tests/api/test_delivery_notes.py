"""PUT/GET /api/v1/delivery-notes: lines with serial numbers, kept line ids, references."""

import pytest
from sqlalchemy import func, select

from models.delivery_notes import DeliveredSerial, DeliveryNoteLine
from tests.factories import make_customer, make_order, make_product


@pytest.fixture
def refs(db):
    customer = make_customer(external_id="K-1")
    make_product(external_id="P-1", serial_tracked=True)
    make_product(external_id="P-2")
    make_order(customer=customer, external_id="O-1")


def note_body(**overrides):
    body = {
        "number": "WZ/2026/03/0001",
        "customer_external_id": "K-1",
        "order_external_id": "O-1",
        "issued_at": "2026-03-03T08:12:00+01:00",
        "lines": [
            {"product_external_id": "P-1", "quantity": "2", "serial_numbers": ["SN-1", "SN-2"]},
            {"product_external_id": "P-2", "quantity": "10"},
        ],
    }
    body.update(overrides)
    return body


def test_delivery_note_with_serials_is_idempotent(api, db, refs):
    resp = api.put("/api/v1/delivery-notes/WZ-1", note_body())
    assert resp.status_code == 201, resp.json
    out = resp.json
    assert out["order_external_id"] == "O-1"
    assert [ln["line_no"] for ln in out["lines"]] == [1, 2]
    assert out["lines"][0]["serial_numbers"] == ["SN-1", "SN-2"]
    assert api.put("/api/v1/delivery-notes/WZ-1", note_body()).json == out


def test_resent_note_keeps_line_ids_and_replaces_serials(api, db, refs):
    api.put("/api/v1/delivery-notes/WZ-2", note_body())
    line_ids = db.session.scalars(select(DeliveryNoteLine.id).order_by(DeliveryNoteLine.line_no))
    line_ids = list(line_ids)
    body = note_body()
    body["lines"][0]["serial_numbers"] = ["SN-2", "SN-3"]
    resp = api.put("/api/v1/delivery-notes/WZ-2", body)
    assert resp.status_code == 200
    assert resp.json["lines"][0]["serial_numbers"] == ["SN-2", "SN-3"]
    assert (
        list(db.session.scalars(select(DeliveryNoteLine.id).order_by(DeliveryNoteLine.line_no)))
        == line_ids
    )
    assert db.session.scalar(select(func.count()).select_from(DeliveredSerial)) == 2


def test_more_serials_than_units_and_duplicates_are_refused(api, db, refs):
    body = note_body()
    body["lines"][0]["serial_numbers"] = ["SN-1", "SN-2", "SN-3"]
    body["lines"][1]["serial_numbers"] = ["X", "X"]
    resp = api.put("/api/v1/delivery-notes/WZ-3", body)
    assert resp.status_code == 422
    assert set(resp.json["errors"]) == {"lines.1.serial_numbers"}  # schema errors first
    body["lines"][1].pop("serial_numbers")
    resp = api.put("/api/v1/delivery-notes/WZ-3", body)
    assert list(resp.json["errors"]) == ["lines.0.serial_numbers"]


def test_unknown_order_and_product_name_their_fields(api, db, refs):
    body = note_body(order_external_id="O-404")
    body["lines"][1]["product_external_id"] = "P-404"
    resp = api.put("/api/v1/delivery-notes/WZ-4", body)
    assert resp.status_code == 422
    assert set(resp.json["errors"]) == {"order_external_id", "lines.1.product_external_id"}


def test_list_filters_by_customer(api, db, refs):
    make_customer(external_id="K-2")
    api.put("/api/v1/delivery-notes/WZ-5", note_body())
    api.put("/api/v1/delivery-notes/WZ-6", note_body(customer_external_id="K-2"))
    items = api.get("/api/v1/delivery-notes", customer_external_id="K-2").json["items"]
    assert [n["external_id"] for n in items] == ["WZ-6"]
