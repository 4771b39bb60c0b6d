"""The portal home page: each card says where the company stands (in Polish, with plurals)."""

from __future__ import annotations

from backoffice.actors import Actor
from backoffice.services.loyalty import adjust_points
from tests.factories import make_customer
from tests.factories_offers import make_offer, send
from tests.factories_returns import make_return, make_returnable_note
from tests.factories_service import make_ticket, make_unit

STAFF = Actor("staff", None, "test")


def test_home_cards_show_returns_tickets_and_points(db, portal_client):
    customer = make_customer()
    make_return(make_returnable_note(customer))
    make_return(make_returnable_note(customer))
    make_ticket(make_unit(customer=customer))
    adjust_points(STAFF, customer, 1250, "Premia za rok współpracy")
    other = make_customer()  # another company's return is not counted
    make_return(make_returnable_note(other))
    page = portal_client(customer=customer).get("/portal/").get_data(as_text=True)
    assert "2 zwroty w toku." in page
    assert "1 otwarte zgłoszenie serwisowe." in page
    assert "Saldo: 1\xa0250 pkt" in page or "Saldo: 1 250 pkt" in page


def test_offers_card_counts_offers_waiting_for_an_answer(db, portal_client):
    customer = make_customer()
    send(make_offer(customers=[customer]))
    send(make_offer(customers=[customer]))
    make_offer(customers=[customer])  # a draft is not shown to the customer
    client = portal_client(customer=customer, can_accept_offers=True)
    page = client.get("/portal/").get_data(as_text=True)
    assert "2 oferty czekają na Twoją odpowiedź." in page


def test_home_cards_say_when_nothing_is_going_on(db, portal_client):
    page = portal_client().get("/portal/").get_data(as_text=True)
    assert "Brak zwrotów w toku." in page
    assert "Brak otwartych zgłoszeń serwisowych." in page
    assert "Saldo: 0 pkt" in page
