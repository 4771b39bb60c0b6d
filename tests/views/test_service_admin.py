"""Console pages of the service module: access, queue, filters, export, scan, ticket page."""

import datetime as dt
import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from models.audit import AuditEntry
from models.service_tickets import ServiceTicket
from tests.factories_service import WARRANTY_PATH, make_ticket, make_unit, png_bytes, walk

D = dt.date
PAGES = ["/admin/service-queue/", "/admin/service-tickets/", "/admin/service-products/"]


@pytest.mark.parametrize("path", [*PAGES, "/admin/service-procedures/"])
def test_anonymous_is_sent_to_login(client, path):
    resp = client.get(path)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize("path", [*PAGES, "/admin/service-procedures/"])
def test_other_roles_get_403(staff_client, path):
    assert staff_client("sales").get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_service_role_sees_the_pages(staff_client, path):
    resp = staff_client("service").get(path)
    assert resp.status_code == 200
    assert "Serwis" in resp.get_data(as_text=True)


def test_procedures_editor_is_for_admins(staff_client, admin_client):
    assert staff_client("service").get("/admin/service-procedures/").status_code == 403
    page = admin_client.get("/admin/service-procedures/").get_data(as_text=True)
    assert "Naprawa gwarancyjna" in page and "Wycena wysłana" in page


def test_queue_lists_open_tickets_with_ageing(staff_client, db):
    old = make_ticket()
    old.status_changed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=9)
    fresh = make_ticket()
    closed = walk(make_ticket(), ["rejected"])
    db.session.commit()
    client = staff_client("service")
    page = client.get("/admin/service-queue/").get_data(as_text=True)
    assert old.number in page and fresh.number in page and closed.number not in page
    assert page.index(old.number) < page.index(fresh.number)  # longest waiting first
    assert 'data-ageing="9"' in page
    aged = client.get("/admin/service-queue/?flt0_1=7").get_data(as_text=True)
    assert old.number in aged and fresh.number not in aged


def test_filters_and_search(staff_client, db):
    a = make_ticket()
    b = walk(make_ticket(), ["accepted"])
    db.session.commit()
    client = staff_client("service")
    accepted = client.get("/admin/service-tickets/?flt0_0=accepted").get_data(as_text=True)
    assert b.number in accepted and a.number not in accepted
    serial = a.registered_product.serial
    found = client.get(f"/admin/service-tickets/?search={serial}").get_data(as_text=True)
    assert a.number in found and b.number not in found
    bad = client.get("/admin/service-tickets/?flt0_4=abc")
    assert bad.status_code == 200


def test_xlsx_export_has_polish_headers_and_rows(staff_client, db):
    ticket = make_ticket()
    db.session.commit()
    resp = staff_client("service").get("/admin/service-tickets/export/xlsx/")
    assert resp.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Numer", "Status", "Dni w statusie")
    assert rows[1][0] == ticket.number and rows[1][1] == "Zgłoszone"


def test_scanning_opens_the_ticket_or_the_unit(staff_client, db):
    ticket = make_ticket(inbound_waybill="INP-123456")
    db.session.commit()
    client = staff_client("service")
    for code in (ticket.number.lower(), "INP-123456"):
        resp = client.get("/admin/service-tickets/scan/", query_string={"code": code})
        assert resp.headers["Location"].endswith(f"/admin/service-tickets/details/?id={ticket.id}")
    serial = ticket.registered_product.serial
    resp = client.get("/admin/service-tickets/scan/", query_string={"code": serial.lower()})
    assert "/admin/service-products/details/" in resp.headers["Location"]
    resp = client.get("/admin/service-tickets/scan/?code=NOPE", follow_redirects=True)
    assert "Nic nie pasuje do kodu NOPE" in resp.get_data(as_text=True)


def test_ticket_page_moves_through_the_procedure(staff_client, db):
    unit = make_unit(purchase_date=D(2025, 3, 10))
    ticket = make_ticket(unit, filed_on=D(2026, 1, 5))
    db.session.commit()
    client = staff_client("service")
    url = f"/admin/service-tickets/{ticket.id}/status"
    page = client.get(f"/admin/service-tickets/details/?id={ticket.id}").get_data(as_text=True)
    assert 'data-testid="to-accepted"' in page and "Przyjęte do realizacji" in page
    client.post(url, data={"to": "accepted"})
    client.post(url, data={"to": "goods_received", "effective_on": "2026-01-05"})
    resp = client.post(url, data={"to": "returned"}, follow_redirects=True)
    assert "nie może przejść" in resp.get_data(as_text=True)
    for code in ("diagnosis", "repair", "ready"):
        client.post(url, data={"to": code})
    client.post(url, data={"to": "returned", "effective_on": "2026-01-25", "note": "Wysłano"})
    db.session.expire_all()
    ticket = db.session.get(ServiceTicket, ticket.id)
    assert ticket.status.code == "returned"
    assert ticket.registered_product.warranty_ends_on == D(2027, 3, 30)


def test_bad_date_is_a_message_not_an_error(staff_client, db):
    ticket = walk(make_ticket(), ["accepted"])
    db.session.commit()
    resp = staff_client("service").post(
        f"/admin/service-tickets/{ticket.id}/status",
        data={"to": "goods_received", "effective_on": "31.02.2026"},
        follow_redirects=True,
    )
    assert "Podaj poprawną datę" in resp.get_data(as_text=True)


def test_parts_quote_assignment_and_notes(staff_client, db):
    ticket = make_ticket(make_unit(purchase_date=D(2020, 1, 1)))
    db.session.commit()
    client = staff_client("service")
    base = f"/admin/service-tickets/{ticket.id}"
    client.post(
        f"{base}/lines",
        data={
            "kind": "part",
            "description": "Szczotki silnika",
            "quantity": "2",
            "unit_price_net": "12,50",
        },
    )
    client.post(
        f"{base}/lines",
        data={
            "kind": "labour",
            "description": "Robocizna",
            "quantity": "1",
            "unit_price_net": "80",
        },
    )
    resp = client.post(
        f"{base}/lines",
        data={"kind": "part", "description": "x", "quantity": "-1"},
        follow_redirects=True,
    )
    assert "Podaj liczbę" in resp.get_data(as_text=True)
    client.post(f"{base}/quote", data={"quote_amount": "105,00", "quote_notes": "Termin 3 dni"})
    client.post(f"{base}/assign", data={"user_id": str(client.user.id)})
    client.post(f"{base}/note", data={"note": "Klient prosi o pilną naprawę"})
    client.post(f"{base}/findings", data={"diagnosis": "Zużyte szczotki", "repair_notes": ""})
    db.session.expire_all()
    ticket = db.session.get(ServiceTicket, ticket.id)
    assert str(ticket.cost_net) == "105.00"
    assert str(ticket.quote_amount) == "105.00"
    assert ticket.assigned_to_id == client.user.id
    assert ticket.diagnosis == "Zużyte szczotki"
    assert ticket.events[-1].note == "Klient prosi o pilną naprawę" and not ticket.events[-1].public
    page = client.get(f"{base.replace(str(ticket.id), '')}details/?id={ticket.id}")
    assert "105,00" in page.get_data(as_text=True)
    client.post(f"{base}/lines/{ticket.lines[0].id}/delete")
    db.session.expire_all()
    assert len(db.session.get(ServiceTicket, ticket.id).lines) == 1


def test_kind_override_needs_a_reason_and_is_audited(staff_client, db):
    ticket = make_ticket(make_unit(purchase_date=D(2025, 3, 10)), filed_on=D(2026, 1, 5))
    db.session.commit()
    client = staff_client("service")
    resp = client.post(
        f"/admin/service-tickets/{ticket.id}/kind",
        data={"kind": "post_warranty", "reason": ""},
        follow_redirects=True,
    )
    assert "Podaj powód" in resp.get_data(as_text=True)
    client.post(
        f"/admin/service-tickets/{ticket.id}/kind",
        data={"kind": "post_warranty", "reason": "Zalanie urządzenia"},
    )
    db.session.expire_all()
    assert db.session.get(ServiceTicket, ticket.id).kind.value == "post_warranty"
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "service_ticket.override_kind")
    )
    assert entry.summary == "Zalanie urządzenia" and entry.actor_id == client.user.id


def test_files_label_and_downloads(staff_client, db):
    ticket = make_ticket()
    db.session.commit()
    client = staff_client("service")
    client.post(
        f"/admin/service-tickets/{ticket.id}/files",
        data={"files": (io.BytesIO(png_bytes()), "zdjęcie.png"), "public": "1"},
        content_type="multipart/form-data",
    )
    resp = client.post(
        f"/admin/service-tickets/{ticket.id}/files",
        data={"files": (io.BytesIO(b"MZ\x90\x00fake"), "faktura.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "nie jest dozwolonego typu" in resp.get_data(as_text=True)
    db.session.expire_all()
    [photo] = db.session.get(ServiceTicket, ticket.id).attachments
    got = client.get(f"/admin/service-tickets/files/{photo.id}")
    assert got.status_code == 200 and got.data == png_bytes()
    label = client.get(f"/admin/service-tickets/{ticket.id}/label")
    assert label.status_code == 200 and label.data.startswith(b"%PDF")
    again = client.get(f"/admin/service-tickets/{ticket.id}/label")
    assert again.data == label.data  # kept, not re-rendered


def test_product_page_shows_warranty_and_every_repair(staff_client, db):
    unit = make_unit(purchase_date=D(2025, 3, 10))
    first = make_ticket(unit, filed_on=D(2026, 1, 5), fault_description="Nie włącza się")
    walk(
        first,
        WARRANTY_PATH + ["closed"],
        {"goods_received": D(2026, 1, 5), "returned": D(2026, 1, 25)},
    )
    first.diagnosis = "Uszkodzony włącznik"
    second = make_ticket(unit, fault_description="Iskrzy przy pracy")
    db.session.commit()
    client = staff_client("service")
    page = client.get(f"/admin/service-products/details/?id={unit.id}").get_data(as_text=True)
    assert "30 mar 2027" in page
    assert first.number in page and second.number in page and "Uszkodzony włącznik" in page
    assert "+20" in page
    ticket_page = client.get(f"/admin/service-tickets/details/?id={second.id}")
    history = ticket_page.get_data(as_text=True).split('data-testid="unit-history"')[1]
    assert first.number in history


def test_staff_register_a_unit_and_file_a_ticket(staff_client, db):
    from tests.factories_service import delivered_unit_setup

    customer, product, _note = delivered_unit_setup(serial="ABC-1")
    db.session.commit()
    client = staff_client("service")
    options = client.get("/admin/service-products/lookup/customers?q=" + customer.name[:8]).json
    label = next(o for o in options if f"[#{customer.id}]" in o)
    products = client.get(f"/admin/service-products/lookup/products?q={product.sku}").json
    resp = client.post(
        "/admin/service-products/new/",
        data={"customer": label, "product": products[0], "serial": "abc-1"},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    unit_id = int(re.search(r"id=(\d+)", resp.headers["Location"]).group(1))
    resp = client.post(
        f"/admin/service-products/{unit_id}/ticket",
        data={
            "fault_description": "Głośna praca",
            "contact_email": "serwis@klient.example.com",
            "notify_email": "y",
        },
    )
    assert resp.status_code == 302
    ticket = db.session.scalar(
        select(ServiceTicket).where(ServiceTicket.registered_product_id == unit_id)
    )
    assert ticket.kind.value == "warranty" and ticket.source.value == "staff"


def test_registration_errors_show_on_the_form(staff_client, db):
    client = staff_client("service")
    resp = client.post("/admin/service-products/new/", data={"customer": "nikt", "product": "x"})
    assert resp.status_code == 200
    assert "Wybierz kontrahenta z listy" in resp.get_data(as_text=True)


def test_procedure_editor_adds_and_wires_a_status(admin_client, db):
    from backoffice.services.service_procedures import procedure_for

    procedure = procedure_for("warranty")
    db.session.commit()
    resp = admin_client.post(
        f"/admin/service-procedures/{procedure.id}/add",
        data={"code": "waiting_parts", "name": "Czeka na części", "name_en": "Waiting for parts"},
    )
    assert resp.status_code == 302
    db.session.expire_all()
    procedure = procedure_for("warranty")
    waiting = procedure.status_by_code("waiting_parts")
    repair = procedure.status_by_code("repair")
    admin_client.post(
        f"/admin/service-procedures/status/{waiting.id}",
        data={
            "name": "Czeka na części",
            "name_en": "Waiting for parts",
            "effect": "none",
            "notify_customer": "1",
            "next": [str(repair.id)],
        },
    )
    db.session.expire_all()
    assert [
        s.code for s in procedure_for("warranty").status_by_code("waiting_parts").next_statuses
    ] == ["repair"]
    resp = admin_client.post(
        f"/admin/service-procedures/status/{repair.id}",
        data={"name": "Naprawa", "effect": "none", "is_initial": "1"},
        follow_redirects=True,
    )
    assert "Dokładnie jeden status" in resp.get_data(as_text=True)


def test_dashboard_counts_open_tickets(staff_client, db):
    make_ticket()
    db.session.commit()
    page = staff_client("service").get("/admin/").get_data(as_text=True)
    assert "Otwarte zgłoszenia serwisowe" in page
