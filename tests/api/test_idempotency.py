"""Every upsert resource: the same body twice is 201 then 200 with nothing changed (no new
updated_at, no audit entry); the same bulk twice reports every item unchanged."""

import pytest
from sqlalchemy import func, select

from models.audit import AuditEntry
from tests.factories import make_customer, make_order, make_product, make_receivable
from tests.factories_integration import customer_body, product_body


@pytest.fixture
def refs(db):
    customer = make_customer(external_id="K-1")
    make_product(external_id="P-1")
    make_order(customer=customer, external_id="O-1")
    make_receivable(customer=customer, external_id="R-1")


BODIES = {
    "customers": customer_body(1),
    "products": product_body(1),
    "orders": {
        "number": "ZAM/1",
        "customer_external_id": "K-1",
        "lines": [{"product_external_id": "P-1", "quantity": "1", "unit_price_net": "9.99"}],
    },
    "delivery-notes": {
        "number": "WZ/1",
        "customer_external_id": "K-1",
        "order_external_id": "O-1",
        "issued_at": "2026-03-03T08:00:00+01:00",
        "lines": [{"product_external_id": "P-1", "quantity": "1", "serial_numbers": ["S1"]}],
    },
    "receivables": {
        "customer_external_id": "K-1",
        "document_number": "FV/1",
        "due_date": "2026-03-17",
        "amount": "100.00",
        "paid_amount": "10.00",
    },
    "payments": {
        "receivable_external_id": "R-1",
        "amount": "20.00",
        "paid_at": "2026-03-10T10:00:00+01:00",
    },
}


def audits(db) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


@pytest.mark.parametrize("path", list(BODIES))
def test_same_body_twice_changes_nothing(api, db, refs, path):
    first = api.put(f"/api/v1/{path}/NEW-1", BODIES[path])
    assert first.status_code == 201, first.json
    before = audits(db)
    second = api.put(f"/api/v1/{path}/NEW-1", BODIES[path])
    assert second.status_code == 200, second.json
    assert second.json == first.json
    assert audits(db) == before


@pytest.mark.parametrize("path", list(BODIES))
def test_same_bulk_twice_is_all_unchanged(api, db, refs, path):
    items = [{"external_id": f"B-{n}", **BODIES[path]} for n in range(3)]
    if path == "products":
        items = [{"external_id": f"B-{n}", **product_body(n)} for n in range(3)]
    first = api.put(f"/api/v1/{path}", items)
    assert first.status_code == 200 and first.json["created"] == 3, first.json
    second = api.put(f"/api/v1/{path}", items)
    assert (second.json["created"], second.json["updated"], second.json["unchanged"]) == (0, 0, 3)
