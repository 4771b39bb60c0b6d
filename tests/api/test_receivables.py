"""Receivables and payments: balances, open flag, paid time, hooks, no double counting."""

import pytest

from tests.factories import make_customer


@pytest.fixture
def customer(db):
    return make_customer(external_id="K-1")


def receivable_body(**overrides):
    body = {
        "customer_external_id": "K-1",
        "document_number": "FV/2026/03/0098",
        "issued_at": "2026-03-03",
        "due_date": "2026-03-17",
        "amount": "1476.00",
    }
    body.update(overrides)
    return body


def pay(api, id_, amount, at="2026-03-15T11:20:00+01:00", receivable="FV/2026/03/0098"):
    body = {"receivable_external_id": receivable, "amount": amount, "paid_at": at}
    return api.put(f"/api/v1/payments/{id_}", body)


def test_receivable_then_payments_settle_it(api, db, customer, hook_calls):
    resp = api.put("/api/v1/receivables/FV/2026/03/0098", receivable_body())
    assert resp.status_code == 201, resp.json
    assert resp.json["is_open"] is True and resp.json["outstanding"] == "1476.00"
    first = pay(api, "BANK-1", "476.00")
    assert first.status_code == 201, first.json
    assert pay(api, "BANK-1", "476.00").status_code == 200  # repeated: nothing changes
    rec = api.get("/api/v1/receivables/FV/2026/03/0098").json
    assert rec["paid_amount"] == "476.00" and rec["is_open"] is True
    pay(api, "BANK-2", "1000.00", at="2026-03-16T09:00:00+01:00")
    rec = api.get("/api/v1/receivables/FV/2026/03/0098").json
    assert rec["paid_amount"] == "1476.00" and rec["is_open"] is False
    assert rec["paid_at"] == "2026-03-16T08:00:00Z" and rec["outstanding"] == "0.00"
    assert hook_calls == [
        ("payment", "FV/2026/03/0098", "BANK-1"),
        ("payment", "FV/2026/03/0098", "BANK-2"),
    ]


def test_corrected_payment_amount_reopens(api, db, customer):
    api.put("/api/v1/receivables/R-1", receivable_body(amount="100.00"))
    pay(api, "BANK-1", "100.00", receivable="R-1")
    assert api.get("/api/v1/receivables/R-1").json["is_open"] is False
    assert pay(api, "BANK-1", "60.00", receivable="R-1").status_code == 200
    rec = api.get("/api/v1/receivables/R-1").json
    assert rec["paid_amount"] == "60.00" and rec["is_open"] is True and rec["paid_at"] is None


def test_erp_report_and_payments_are_not_counted_twice(api, db, customer, hook_calls):
    api.put("/api/v1/receivables/R-2", receivable_body(amount="300.00"))
    pay(api, "BANK-1", "100.00", receivable="R-2")
    resp = api.put("/api/v1/receivables/R-2", receivable_body(amount="300.00", paid_amount="100"))
    assert resp.json["paid_amount"] == "100.00"
    resp = api.put("/api/v1/receivables/R-2", receivable_body(amount="300.00", paid_amount="300"))
    assert resp.json["paid_amount"] == "300.00" and resp.json["is_open"] is False
    assert hook_calls == [("payment", "R-2", "BANK-1"), ("payment", "R-2", None)]


def test_invalid_receivables_and_payments(api, db, customer):
    bad = receivable_body(due_date="2026-03-01", amount="0")
    resp = api.put("/api/v1/receivables/R-3", bad)
    assert resp.status_code == 422 and "amount" in resp.json["errors"]
    resp = api.put("/api/v1/receivables/R-3", receivable_body(due_date="2026-03-01"))
    assert resp.status_code == 422 and list(resp.json["errors"]) == ["due_date"]
    resp = pay(api, "BANK-9", "10.00", receivable="R-404")
    assert resp.status_code == 422 and list(resp.json["errors"]) == ["receivable_external_id"]


def test_list_open_receivables(api, db, customer):
    api.put("/api/v1/receivables/R-4", receivable_body(amount="10.00", paid_amount="10.00"))
    api.put("/api/v1/receivables/R-5", receivable_body(amount="10.00"))
    items = api.get("/api/v1/receivables", is_open="true").json["items"]
    assert [r["external_id"] for r in items] == ["R-5"]
