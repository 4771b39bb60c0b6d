"""Portal pages of the service module: products, tickets, quotes, labels, files, access."""

import datetime as dt
import io
import re

from sqlalchemy import select

from models.messaging import Message
from models.service_products import RegisteredProduct, RegistrationStatus
from models.service_tickets import ServiceTicket
from tests.factories import make_customer, make_product
from tests.factories_service import (
    delivered_unit_setup,
    make_ticket,
    make_unit,
    pdf_bytes,
    png_bytes,
    walk,
)

D = dt.date


def test_menu_and_lists_show_only_the_company(portal_client, db):
    mine = make_ticket()
    other = make_ticket()
    db.session.commit()
    client = portal_client(customer=mine.customer)
    home = client.get("/portal/").get_data(as_text=True)
    assert "/portal/service" in home and "Serwis" in home
    page = client.get("/portal/service").get_data(as_text=True)
    assert mine.number in page and other.number not in page
    assert mine.registered_product.serial in page


def test_register_a_delivered_serial(portal_client, db):
    customer, product, _note = delivered_unit_setup(serial="ZB-1")
    db.session.commit()
    client = portal_client(customer=customer)
    form = client.get("/portal/service/products/new").get_data(as_text=True)
    assert "Wiertarka Żubr" in form
    resp = client.post(
        "/portal/service/products/new", data={"product_id": str(product.id), "serial": "zb-1"}
    )
    assert resp.status_code == 302
    unit = db.session.scalar(select(RegisteredProduct).where(RegisteredProduct.serial == "ZB-1"))
    assert unit.status == RegistrationStatus.VERIFIED and unit.purchase_date == D(2025, 3, 10)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "10 mar 2027" in page


def test_unknown_serial_is_an_error_on_the_form(portal_client, db):
    customer, product, _note = delivered_unit_setup(serial="ZB-2")
    db.session.commit()
    resp = portal_client(customer=customer).post(
        "/portal/service/products/new", data={"product_id": str(product.id), "serial": "ZB-9"}
    )
    assert resp.status_code == 200
    assert "nie ma na żadnym dokumencie WZ" in resp.get_data(as_text=True)
    assert db.session.query(RegisteredProduct).count() == 0


def test_register_a_product_bought_elsewhere_with_proof(portal_client, db):
    product = make_product(serial_tracked=False, sku="KAB-10")
    db.session.commit()
    client = portal_client()
    resp = client.post(
        "/portal/service/products/new",
        data={
            "product_code": "KAB-10",
            "serial": "",
            "purchase_date": "2026-01-15",
            "proof": (io.BytesIO(pdf_bytes()), "faktura.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    unit = db.session.scalar(
        select(RegisteredProduct).where(RegisteredProduct.product_id == product.id)
    )
    assert unit.status == RegistrationStatus.TO_VERIFY
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "weryfikuje dowód zakupu" in page


def test_file_a_ticket_with_a_photo(portal_client, db):
    unit = make_unit(purchase_date=D(2025, 3, 10))
    db.session.commit()
    client = portal_client(customer=unit.customer, phone="+48600100200")
    form = client.get(f"/portal/service/tickets/new?unit={unit.id}").get_data(as_text=True)
    assert "Na gwarancji do" in form
    resp = client.post(
        "/portal/service/tickets/new",
        data={
            "unit": str(unit.id),
            "fault_description": "Nie działa udar",
            "contact_name": "Ewa Łęcka",
            "contact_email": "ewa@klient.example.com",
            "notify_email": "y",
            "attachments": (io.BytesIO(png_bytes()), "usterka.png"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    ticket = db.session.scalar(select(ServiceTicket))
    assert ticket.source.value == "portal" and len(ticket.attachments) == 1
    assert db.session.scalar(select(Message).where(Message.event == "service.ticket_submitted"))
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert ticket.number in page and "Zgłoszone" in page


def test_ticket_form_errors_show_on_the_fields(portal_client, db):
    unit = make_unit()
    db.session.commit()
    resp = portal_client(customer=unit.customer).post(
        "/portal/service/tickets/new",
        data={
            "unit": str(unit.id),
            "fault_description": "Stuka",
            "notify_sms": "y",
            "contact_phone": "",
        },
    )
    assert resp.status_code == 200
    assert "Podaj numer telefonu do powiadomień SMS" in resp.get_data(as_text=True)


def test_customer_decides_the_quote(portal_client, db):
    ticket = make_ticket(make_unit(purchase_date=D(2020, 1, 1)))
    ticket.quote_amount = 199
    walk(ticket, ["accepted", "goods_received", "diagnosis", "quote_sent"])
    db.session.commit()
    client = portal_client(customer=ticket.customer)
    page = client.get(f"/portal/service/tickets/{ticket.id}").get_data(as_text=True)
    assert "199,00" in page and 'data-testid="decide-quote_accepted"' in page
    resp = client.post(
        f"/portal/service/tickets/{ticket.id}/decision",
        data={"to": "repair"},
        follow_redirects=True,
    )
    assert "nie może przejść" in resp.get_data(as_text=True)
    client.post(f"/portal/service/tickets/{ticket.id}/decision", data={"to": "quote_accepted"})
    db.session.expire_all()
    assert db.session.get(ServiceTicket, ticket.id).quote_decision == "accepted"


def test_waybill_label_and_files(portal_client, db):
    ticket = make_ticket()
    db.session.commit()
    client = portal_client(customer=ticket.customer)
    client.post(
        f"/portal/service/tickets/{ticket.id}/shipment",
        data={"carrier": "InPost", "waybill": "620000111222333"},
    )
    client.post(
        f"/portal/service/tickets/{ticket.id}/files",
        data={"files": (io.BytesIO(png_bytes()), "a.png")},
        content_type="multipart/form-data",
    )
    label = client.get(f"/portal/service/tickets/{ticket.id}/label")
    assert label.status_code == 200 and label.data.startswith(b"%PDF")
    db.session.expire_all()
    ticket = db.session.get(ServiceTicket, ticket.id)
    assert ticket.inbound_waybill == "620000111222333"
    photo = next(a for a in ticket.attachments if a.filename == "a.png")
    assert client.get(f"/portal/service/files/{photo.id}").data == png_bytes()


def test_other_companies_get_403_and_internal_files_404(portal_client, db):
    from backoffice.services.service_ticket_edits import add_files
    from tests.factories_service import STAFF

    ticket = make_ticket()
    internal = add_files(STAFF, ticket, [("notatka.png", png_bytes())], public=False)[0]
    db.session.commit()
    stranger = portal_client(customer=make_customer())
    assert stranger.get(f"/portal/service/tickets/{ticket.id}").status_code == 403
    assert (
        stranger.get(f"/portal/service/products/{ticket.registered_product_id}").status_code == 403
    )
    assert stranger.get(f"/portal/service/tickets/{ticket.id}/label").status_code == 403
    owner = portal_client(customer=ticket.customer)
    assert owner.get(f"/portal/service/files/{internal.id}").status_code == 404


def test_without_the_permission_users_only_look(portal_client, db):
    ticket = make_ticket()
    db.session.commit()
    client = portal_client(customer=ticket.customer, can_file_service_tickets=False)
    page = client.get("/portal/service").get_data(as_text=True)
    assert ticket.number in page and "poproś administratora" in page
    assert client.get("/portal/service/tickets/new").status_code == 403
    assert client.get("/portal/service/products/new").status_code == 403
    assert (
        client.post(
            f"/portal/service/tickets/{ticket.id}/shipment", data={"waybill": "X"}
        ).status_code
        == 403
    )


def test_product_page_lists_repairs_and_extensions(portal_client, db):
    unit = make_unit(purchase_date=D(2025, 3, 10))
    first = make_ticket(unit, filed_on=D(2026, 1, 5))
    walk(
        first,
        ["accepted", "goods_received", "diagnosis", "repair", "ready", "returned"],
        {"goods_received": D(2026, 1, 5), "returned": D(2026, 1, 25)},
    )
    second = make_ticket(unit)
    db.session.commit()
    page = (
        portal_client(customer=unit.customer)
        .get(f"/portal/service/products/{unit.id}")
        .get_data(as_text=True)
    )
    assert first.number in page and second.number in page
    assert "30 mar 2027" in page and "+20" in page
    assert re.search(r"Historia napraw", page)
