"""RMA officers hand a returned item over to service (disposition "repair")."""

from backoffice.services.return_workflow import (
    Assessment,
    Resolution,
    assess_return,
    decide_return,
    receive_return,
    resolve_return,
)
from backoffice.services.service_tickets import create_ticket_from_return_line
from backoffice.services.warranty import warsaw_today
from models.service_procedures import StatusEffect, TicketKind
from models.service_products import PurchaseSource, RegistrationStatus
from models.service_tickets import ServiceTicket, TicketSource
from tests.factories import make_product
from tests.factories_returns import make_condition, make_return, make_returnable_note
from tests.factories_service import STAFF, make_unit


def _received_return(serial="AB-123", months_ago=2):
    product = make_product(serial_tracked=True, warranty_months=24)
    note = make_returnable_note(months_ago=months_ago, lines=[(product, "1", [serial])])
    rr = make_return(
        note,
        {1: "1"},
        serials={1: [serial]},
        description="Nie ładuje się",
        contact_email="Magazyn@Klient.example.com",
    )
    decide_return(STAFF, rr)
    receive_return(STAFF, rr)
    return rr, note, product


def test_repair_disposition_creates_a_ticket_at_goods_received(db):
    rr, note, product = _received_return()
    condition = make_condition()
    line = rr.lines[0]
    assess_return(STAFF, rr, {line.id: Assessment(condition.id, "Gniazdo USB luźne")})
    resolve_return(STAFF, rr, {line.id: Resolution("repair")})
    ticket = db.session.get(ServiceTicket, line.service_ticket_id)
    assert ticket.number == line.service_ticket_number
    assert ticket.source == TicketSource.RETURN and ticket.return_reference == rr.number
    assert ticket.status.effect == StatusEffect.GOODS_RECEIVED
    assert ticket.kind == TicketKind.WARRANTY
    assert ticket.goods_received_on == warsaw_today()
    assert "Nie ładuje się" in ticket.fault_description
    assert "Gniazdo USB luźne" in ticket.fault_description
    unit = ticket.registered_product
    assert (unit.serial, unit.customer, unit.product) == ("AB-123", rr.customer, product)
    assert unit.purchase_source == PurchaseSource.DELIVERY_NOTE
    assert unit.status == RegistrationStatus.VERIFIED and unit.delivery_note == note
    assert [e.kind for e in ticket.events] == ["created", "status"]
    assert ticket.contact_email == "magazyn@klient.example.com"


def test_hand_over_is_idempotent_and_reuses_the_registered_unit(db):
    rr, note, product = _received_return(serial="XY-9")
    unit = make_unit(customer=rr.customer, product=product, serial="XY-9")
    line = rr.lines[0]
    ticket = create_ticket_from_return_line(STAFF, line)
    assert ticket.registered_product == unit
    assert create_ticket_from_return_line(STAFF, line) is ticket
    assert db.session.query(ServiceTicket).count() == 1


def test_untracked_item_takes_its_purchase_date_from_the_returns_delivery_note(db):
    product = make_product(serial_tracked=False, warranty_months=12)
    note = make_returnable_note(months_ago=3, lines=[(product, "5")])
    rr = make_return(note, {1: "2"}, description="Pęknięta obudowa")
    decide_return(STAFF, rr)
    receive_return(STAFF, rr)
    ticket = create_ticket_from_return_line(STAFF, rr.lines[0])
    unit = ticket.registered_product
    assert unit.serial is None and unit.delivery_note == note
    assert unit.purchase_source == PurchaseSource.DELIVERY_NOTE
    assert "Ilość: 2" in ticket.fault_description
