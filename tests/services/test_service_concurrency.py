"""Races on real PostgreSQL connections: double clicks on a status, numbering, one serial."""

import threading
import time

import pytest

from backoffice.errors import DomainError
from backoffice.services import service_products, service_workflow
from backoffice.services.service_workflow import change_ticket_status
from models.audit import AuditEntry
from models.service_tickets import ServiceTicket, ServiceTicketEvent
from tests.factories_service import (
    STAFF,
    delivered_unit_setup,
    make_api_token,
    make_ticket,
    make_unit,
)

pytestmark = [pytest.mark.postgres, pytest.mark.committed]


def in_threads(app, work, count):
    """Run ``work(i)`` in ``count`` threads at once, each in its own app context/session."""
    from backoffice.extensions import db

    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        with app.app_context():
            try:
                barrier.wait()
                results[i] = work(i)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                results[i] = type(exc).__name__
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture
def slow_lock(monkeypatch):
    """Hold the ticket's row lock a while, so concurrent clicks really overlap."""
    original = service_workflow.lock_ticket

    def lock_then_wait(ticket):
        locked = original(ticket)
        time.sleep(0.3)
        return locked

    monkeypatch.setattr(service_workflow, "lock_ticket", lock_then_wait)


def test_two_clicks_on_different_steps_move_the_ticket_once(app, db, slow_lock):
    from backoffice.extensions import db as _db

    ticket_id = make_ticket().id
    db.session.commit()
    targets = ["accepted", "rejected", "accepted"]

    def click(i):
        ticket = _db.session.get(ServiceTicket, ticket_id)
        change_ticket_status(STAFF, ticket, targets[i])
        return "moved"

    results = in_threads(app, click, len(targets))
    assert sorted(results) == ["InvalidTransition", "InvalidTransition", "moved"], results
    db.session.expire_all()
    events = db.session.query(ServiceTicketEvent).filter_by(ticket_id=ticket_id, kind="status")
    assert events.count() == 1
    assert db.session.query(AuditEntry).filter_by(action="service_ticket.status").count() == 1


def test_parallel_filing_gets_gapless_unique_numbers(app, db):
    from backoffice.extensions import db as _db
    from backoffice.services.service_tickets import TicketInput, create_ticket
    from models.service_products import RegisteredProduct

    unit_ids = [make_unit().id for _ in range(8)]
    db.session.commit()

    def file(i):
        unit = _db.session.get(RegisteredProduct, unit_ids[i])
        ticket = create_ticket(STAFF, unit, TicketInput("Nie działa"), source="staff")
        time.sleep(0.05)
        return ticket.number

    numbers = in_threads(app, file, len(unit_ids))
    assert len(set(numbers)) == 8, numbers
    seqs = sorted(int(n.rsplit("/", 1)[1]) for n in numbers)
    assert seqs == list(range(1, 9))


def test_same_serial_from_two_requests_gives_one_ticket(app, db, monkeypatch):
    customer, product, _note = delivered_unit_setup(serial="RACE-1")
    token = make_api_token("shop")
    db.session.commit()
    original = service_products._insert_unique

    def insert_then_wait(unit, owner):
        original(unit, owner)
        time.sleep(0.3)

    monkeypatch.setattr(service_products, "_insert_unique", insert_then_wait)
    body = {
        "customer_external_id": customer.external_id,
        "product_sku": product.sku,
        "serial_number": "RACE-1",
        "fault_description": "Nie ładuje",
    }

    def post(i):
        resp = app.test_client().post(
            "/api/v1/service-tickets",
            json={**body, "external_id": f"race-{i}"},
            headers={"Authorization": f"Bearer {token}"},
        )
        return resp.status_code

    statuses = in_threads(app, post, 2)
    assert sorted(statuses) == [201, 409], statuses
    db.session.expire_all()
    assert db.session.query(ServiceTicket).count() == 1
