"""Races on real PostgreSQL connections: the same external id, event and payment sent by
several requests at once end as one row, one event, one hook call — and never a 500."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, insert, select, text

from models.customers import Customer
from models.orders import OrderEvent
from models.products import PackagingUnit, Product
from models.receivables import Payment, Receivable
from tests.factories import make_customer, make_order
from tests.factories_integration import ApiClient, customer_body, make_token, product_body
from tests.fixtures.waiting import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.committed]
RACERS = 6


def race(app, secret: str, method: str, url: str, bodies: list) -> list[int]:
    """Send the bodies at once from threads (each request has its own connection)."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def run(n: int) -> None:
        client = ApiClient(app.test_client(), secret)
        barrier.wait()
        with app.app_context():
            statuses[n] = getattr(client, method)(url, bodies[n]).status_code

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return statuses


def count(db, model, *where) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_same_product_from_many_requests_is_one_row(app, db):
    _token, secret = make_token()
    db.session.commit()
    statuses = race(app, secret, "put", "/api/v1/products/P-RACE", [product_body(1)] * RACERS)
    assert sorted(statuses) == [200] * (RACERS - 1) + [201]
    assert count(db, Product) == 1 and count(db, PackagingUnit) == 1


def _a_query_waits_for_a_lock(db) -> bool:
    with db.engine.connect() as probe:
        return bool(
            probe.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        )


def test_a_sku_written_at_the_same_moment_under_another_id_is_a_409_naming_it(app, db):
    """The SKU's unique index is not the one of ON CONFLICT: the insert waits for the other
    transaction, then fails with a unique violation. Tried again, the request sees the
    committed row and answers like any SKU held by another product."""
    _token, secret = make_token()
    db.session.commit()
    client = ApiClient(app.test_client(), secret)
    answers = []

    def put() -> None:
        with app.app_context():
            answers.append(client.put("/api/v1/products/P-MINE", product_body(1)))

    with db.engine.connect() as other:
        other.execute(
            insert(Product.__table__).values(
                external_id="P-OTHER", sku=product_body(1)["sku"], name="Inny produkt"
            )
        )
        thread = threading.Thread(target=put)
        thread.start()
        wait_until(lambda: _a_query_waits_for_a_lock(db), timeout=10, every=0.05)
        other.commit()
    thread.join(30)
    [answer] = answers
    assert answer.status_code == 409, answer.json
    assert "P-OTHER" in answer.json["errors"]["sku"][0]
    assert count(db, Product, Product.external_id == "P-MINE") == 0


def test_same_customer_with_different_bodies_never_duplicates(app, db):
    _token, secret = make_token()
    db.session.commit()
    bodies = [customer_body(n, nip=None) for n in range(RACERS)]
    statuses = race(app, secret, "put", "/api/v1/customers/K-RACE", bodies)
    assert set(statuses) <= {200, 201, 409} and statuses.count(201) == 1, statuses
    assert count(db, Customer) == 1


def test_bulk_requests_overlapping_on_ids(app, db):
    _token, secret = make_token()
    db.session.commit()
    items = [{"external_id": f"P-{n}", **product_body(n)} for n in range(200)]
    bodies = [items, list(reversed(items)), items[50:150], items]
    statuses = race(app, secret, "put", "/api/v1/products", bodies)
    assert set(statuses) <= {200, 409}, statuses
    assert count(db, Product) == 200 and count(db, PackagingUnit) == 200


def test_same_event_at_once_is_stored_and_dispatched_once(app, db, hook_calls):
    _token, secret = make_token()
    make_order(external_id="O-RACE", customer=make_customer())
    db.session.commit()
    event = {"id": "evt-1", "type": "paid", "at": "2026-03-03T10:00:00+01:00"}
    statuses = race(app, secret, "post", "/api/v1/orders/O-RACE/events", [event] * RACERS)
    assert sorted(statuses) == [200] * (RACERS - 1) + [201]
    assert count(db, OrderEvent) == 1
    assert hook_calls == [("order", "O-RACE", "evt-1", "paid")]


def test_same_payment_at_once_counts_once(app, db, hook_calls):
    _token, secret = make_token()
    customer = make_customer(external_id="K-1")
    db.session.commit()
    client = ApiClient(app.test_client(), secret)
    body = {
        "customer_external_id": customer.external_id,
        "document_number": "FV/1",
        "due_date": "2026-03-17",
        "amount": "100.00",
    }
    assert client.put("/api/v1/receivables/R-1", body).status_code == 201
    payment = {
        "receivable_external_id": "R-1",
        "amount": "40.00",
        "paid_at": "2026-03-10T10:00:00+01:00",
    }
    statuses = race(app, secret, "put", "/api/v1/payments/BANK-1", [payment] * RACERS)
    assert sorted(statuses) == [200] * (RACERS - 1) + [201]
    assert count(db, Payment) == 1
    db.session.remove()
    assert db.session.scalar(select(Receivable.paid_amount)) == 40
    assert hook_calls == [("payment", "R-1", "BANK-1")]
