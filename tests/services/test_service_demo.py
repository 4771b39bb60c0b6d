"""The service module's demo data: units from delivered serials, tickets at various steps."""

from backoffice.actors import Actor
from backoffice.services.service_demo import seed_service
from models.service_products import RegisteredProduct
from models.service_tickets import ServiceTicket
from tests.factories import make_delivery_note, make_product


def test_demo_registers_units_and_walks_tickets(db):
    product = make_product(serial_tracked=True)
    notes = [
        make_delivery_note(lines=[(product, 2, [f"DEMO-{i}-A", f"DEMO-{i}-B"])]) for i in range(5)
    ]
    count = seed_service(Actor("system", None, "cli demo"), notes)
    assert count == 5
    assert db.session.query(RegisteredProduct).count() == 10
    statuses = {t.status.code for t in db.session.query(ServiceTicket)}
    assert {"submitted", "accepted", "diagnosis", "closed"} <= statuses
