"""Races on real PostgreSQL connections: the last units, the last serial, the numbering."""

import threading
import time

import pytest

from backoffice.services import return_quantities
from models.returns import ReturnRequest
from tests.factories import make_customer, make_product
from tests.factories_returns import (
    make_api_token,
    make_condition,
    make_reason,
    make_return,
    make_returnable_note,
)

pytestmark = [pytest.mark.postgres, pytest.mark.committed]


def race(app, token, bodies, hold: float = 0.4):
    """POST every body at once from its own thread (own connection, own transaction)."""
    barrier = threading.Barrier(len(bodies))
    results: list = [None] * len(bodies)

    def run(i, body):
        client = app.test_client()
        barrier.wait()
        resp = client.post(
            "/api/v1/returns", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        results[i] = (resp.status_code, resp.get_json())

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(bodies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture
def slow_locks(monkeypatch):
    """Keep each filing transaction open a while after it locked the lines, so they overlap."""
    original = return_quantities.lock_lines

    def lock_then_wait(ids):
        rows = original(ids)
        time.sleep(0.4)
        return rows

    monkeypatch.setattr(return_quantities, "lock_lines", lock_then_wait)


def body(note, line):
    return {
        "customer_external_id": note.customer.external_id,
        "delivery_note_external_id": note.external_id,
        "reason": "defect",
        "condition": "opened",
        "lines": [line],
    }


def test_two_concurrent_returns_for_the_last_units_or_the_same_serial(app, db, slow_locks):
    make_reason(code="defect"), make_condition(code="opened")
    note = make_returnable_note(
        lines=[(make_product(), "5"), (make_product(serial_tracked=True), "2", ["X1", "X2"])]
    )
    make_return(note, {1: "3"})
    token = make_api_token("shop")
    db.session.commit()
    results = race(app, token, [body(note, {"line_no": 1, "quantity": "2"})] * 2)
    assert sorted(status for status, _ in results) == [201, 422], results
    refused = next(data for status, data in results if status == 422)
    assert "lines.0.quantity" in refused["errors"]
    serial = {"line_no": 2, "serial_numbers": ["X2"]}
    results = race(app, token, [body(note, serial)] * 2)
    assert sorted(status for status, _ in results) == [201, 422], results
    db.session.expire_all()
    states = return_quantities.returnable_lines(note.lines)
    assert (states[0].held, states[0].returnable) == (5, 0)
    assert states[1].held_serials == {"X2"} and states[1].available_serials == ["X1"]
    assert db.session.query(ReturnRequest).count() == 3


def test_parallel_filings_get_unique_gapless_numbers(app, db):
    make_reason(code="defect"), make_condition(code="opened")
    customer = make_customer()
    notes = [make_returnable_note(customer) for _ in range(6)]
    token = make_api_token("shop")
    db.session.commit()
    results = race(app, token, [body(n, {"line_no": 1, "quantity": "1"}) for n in notes])
    assert all(status == 201 for status, _ in results), results
    numbers = sorted(int(data["number"].rsplit("/", 1)[1]) for _, data in results)
    assert numbers == list(range(numbers[0], numbers[0] + 6))
