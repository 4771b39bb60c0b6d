"""Console pages of the communication module: register, resend, templates, matrix, consents."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models.audit import AuditEntry
from models.consents import Consent
from models.message_templates import MessageTemplate, NotificationRule
from models.messaging import Message, MessageStatus, Suppression
from tests.factories import make_contact, make_customer, make_order
from tests.factories_messaging import make_message


def test_register_needs_a_staff_login(db, client):
    assert client.get("/admin/messages/").status_code == 302


def test_register_is_open_to_every_staff_role_but_not_the_portal(db, staff_client, portal_client):
    make_message(subject="Zamówienie żółte")
    db.session.commit()
    resp = staff_client("rma").get("/admin/messages/")
    assert resp.status_code == 200 and "Zamówienie żółte" in resp.get_data(as_text=True)
    # the event in words (Polish), its code below
    assert "Zamówienie złożone" in resp.get_data(as_text=True)
    assert "order.placed" in resp.get_data(as_text=True)
    assert portal_client().get("/admin/messages/").status_code in (302, 403)


def test_register_filters_by_status_and_searches(db, admin_client):
    make_message(subject="Wysłana A", status=MessageStatus.SENT)
    make_message(subject="Nieudana B", status=MessageStatus.FAILED, last_error="550 nie ma")
    db.session.commit()
    html = admin_client.get("/admin/messages/?flt0_0=failed").get_data(as_text=True)
    assert "Nieudana B" in html and "Wysłana A" not in html
    html = admin_client.get("/admin/messages/?search=Wysłana").get_data(as_text=True)
    assert "Wysłana A" in html and "Nieudana B" not in html


def test_details_show_sandboxed_html_and_attempts(db, admin_client):
    message = make_message(body_html="<p onclick='x()'>Treść <b>HTML</b></p>")
    db.session.commit()
    html = admin_client.get(f"/admin/messages/details/?id={message.id}").get_data(as_text=True)
    frame = re.search(r"<iframe[^>]*data-testid=\"html-preview\"[^>]*>", html, re.S).group(0)
    assert 'sandbox=""' in frame and "srcdoc=" in frame and "&lt;b&gt;HTML" in frame
    assert "Not tried yet." in html or "Jeszcze nie próbowano" in html


def test_resend_failed_message_makes_an_audited_copy(db, staff_client):
    client = staff_client("sales")
    message = make_message(status=MessageStatus.FAILED, last_error="550 5.1.1 no such user")
    db.session.commit()
    resp = client.post(
        f"/admin/messages/resend/{message.id}", data={"recipient": "Poprawiony@Example.pl"}
    )
    assert resp.status_code == 302
    copy = db.session.scalars(select(Message).where(Message.resent_from_id == message.id)).one()
    assert copy.status == MessageStatus.QUEUED and copy.recipient == "poprawiony@example.pl"
    assert copy.subject == message.subject
    db.session.refresh(message)
    assert message.status == MessageStatus.FAILED
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "message.resend"))


def test_resend_of_a_sent_message_is_refused(db, admin_client):
    message = make_message(status=MessageStatus.SENT)
    db.session.commit()
    resp = admin_client.post(f"/admin/messages/resend/{message.id}", follow_redirects=True)
    assert "Only a failed or bounced" in resp.get_data(as_text=True) or "Ponownie" in resp.get_data(
        as_text=True
    )
    assert db.session.scalar(select(Message).where(Message.resent_from_id == message.id)) is None


@pytest.fixture
def marketing(staff_client):
    return staff_client("marketing")


def template_form(**overrides):
    data = {
        "event": "order.placed",
        "channel": "email",
        "locale": "pl",
        "customer_group_id": "",
        "subject": "Zamówienie {{ order.number }}",
        "body_html": "<p>Dzień dobry, {{ order.number }}</p>",
        "body_text": "",
        "active": "y",
        "sample_ref": "",
    }
    data.update(overrides)
    return data


def test_templates_page_is_for_admin_and_marketing(db, marketing, staff_client):
    assert marketing.get("/admin/message-templates/").status_code == 200
    assert staff_client("sales").get("/admin/message-templates/").status_code == 403


def test_new_template_form_starts_from_the_default_file(db, marketing):
    html = marketing.get(
        "/admin/message-templates/new?event=order.shipped&channel=email&locale=pl"
    ).get_data(as_text=True)
    assert "Zamówienie {{ order.number }} zostało wysłane" in html.replace("&#34;", '"')


def test_valid_template_is_saved_and_audited(db, marketing):
    make_order(number="ZAM/77/2026")
    db.session.commit()
    resp = marketing.post("/admin/message-templates/new", data=template_form())
    assert resp.status_code == 302
    saved = db.session.scalars(select(MessageTemplate)).one()
    assert saved.subject == "Zamówienie {{ order.number }}" and saved.updated_by
    assert db.session.scalar(
        select(AuditEntry.action).where(AuditEntry.action == "message_template.create")
    )


@pytest.mark.parametrize(
    ("field", "source", "expected"),
    [
        ("body_html", "<p>x</p>\n{{ ''.__class__.__mro__ }}", "Wiersz 2"),
        ("body_html", "{{ order|attr('__class__') }}", "attr"),
        ("subject", "{{ order.number", "Wiersz 1"),
        ("body_html", "{% include 'order.placed.pl.html' %}", "Wiersz 1"),
        ("body_html", "<p>{{ order.numer.upper() }}</p>", "Wiersz 1"),
        ("body_html", "{{ 'x' * 1000000000 }}", "100000"),
        ("body_text", "{{ 10 ** 100000 }}", "100"),
        ("body_html", "{{ order.lines.append(1) }}", "Wiersz 1"),
    ],
)
def test_unsafe_or_broken_template_is_refused_with_line_and_reason(
    db, marketing, field, source, expected
):
    make_order()
    db.session.commit()
    resp = marketing.post("/admin/message-templates/new", data=template_form(**{field: source}))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert expected in html
    assert db.session.scalars(select(MessageTemplate)).all() == []


def test_live_preview_renders_a_real_order(db, marketing):
    make_order(number="ZAM/PODGLĄD/1")
    db.session.commit()
    resp = marketing.post(
        "/admin/message-templates/preview", data=template_form(sample_ref="ZAM/PODGLĄD/1")
    )
    data = resp.get_json()
    assert data["errors"] == {} and data["sample"] is True
    assert data["subject"] == "Zamówienie ZAM/PODGLĄD/1"
    assert "Dzień dobry, ZAM/PODGLĄD/1" in data["html"] and "<!DOCTYPE html>" in data["html"]
    bad = marketing.post(
        "/admin/message-templates/preview", data=template_form(body_html="{{ ''.__class__ }}")
    ).get_json()
    assert "body_html" in bad["errors"]


def test_matrix_switches_sms_on_and_customer_exception(db, marketing):
    customer = make_customer()
    db.session.commit()
    form = {
        "cell:order.placed:email": "on",
        "cell:order.placed:sms": "on",
        "cell:order.paid:email": "on",
        "cell:order.shipped:email": "on",
        "cell:order.delivered:email": "on",
    }
    assert marketing.post("/admin/notifications/", data=form).status_code == 302
    rule = db.session.get(NotificationRule, ("order.placed", "sms"))
    assert rule.enabled is True
    resp = marketing.post(
        f"/admin/notifications/customer/{customer.id}", data={"cell:order.placed:sms": "off"}
    )
    assert resp.status_code == 302
    from backoffice.services.message_events import enabled_channels

    assert [c.value for c in enabled_channels("order.placed", customer.id)] == ["email"]
    assert [c.value for c in enabled_channels("order.placed", None)] == ["email", "sms"]


def test_customer_consent_sheet_records_history(db, staff_client):
    client = staff_client("sales")
    customer = make_customer(email="firma@example.pl")
    make_contact(customer, email="osoba@example.pl", phone="600700800")
    db.session.commit()
    page = client.get(f"/admin/consents/customer/{customer.id}").get_data(as_text=True)
    assert "osoba@example.pl" in page and "+48600700800" in page
    resp = client.post(
        f"/admin/consents/customer/{customer.id}",
        data={"c1:marketing": "yes", "c2:transactional": "no", "note": "zgoda telefoniczna"},
    )
    assert resp.status_code == 302
    rows = {(c.address, c.purpose.value): c for c in db.session.scalars(select(Consent))}
    assert rows[("osoba@example.pl", "marketing")].granted is True
    sms = rows[("+48600700800", "transactional")]
    assert sms.granted is False and sms.changes[0].note == "zgoda telefoniczna"
    assert sms.changes[0].actor_kind == "staff"


def test_suppression_add_and_remove(db, marketing):
    resp = marketing.post(
        "/admin/suppressions/new/",
        data={"address": "Zly@Example.pl", "reason": "manual", "detail": "x"},
    )
    assert resp.status_code == 302
    row = db.session.scalars(select(Suppression)).one()
    assert row.address == "zly@example.pl"
    resp = marketing.post("/admin/suppressions/delete/", data={"id": row.id})
    assert resp.status_code == 302
    assert db.session.scalars(select(Suppression)).all() == []


def test_admin_queues_a_test_message_others_cannot(db, admin_client, staff_client):
    resp = admin_client.post(
        "/admin/messages/test", data={"channel": "sms", "address": "600 700 800"}
    )
    assert resp.status_code == 302
    row = db.session.scalars(select(Message)).one()
    assert (row.event, row.recipient, row.purpose.value) == (
        "system.test",
        "+48600700800",
        "internal",
    )
    bad = admin_client.post(
        "/admin/messages/test", data={"channel": "email", "address": "x"}, follow_redirects=True
    )
    assert "Nieprawidłowy adres e-mail" in bad.get_data(
        as_text=True
    ) or "Invalid e-mail" in bad.get_data(as_text=True)
    assert (
        staff_client("sales").post("/admin/messages/test", data={"address": "a@b.pl"}).status_code
        == 403
    )


def test_register_filters_by_customer_and_date_and_exports(db, admin_client):
    customer = make_customer(name="Hurtownia Żółw sp. z o.o.")
    make_message(subject="Do żółwia", customer_id=customer.id)
    make_message(subject="Do kogoś innego")
    db.session.commit()
    html = admin_client.get("/admin/messages/?flt0_3=Żółw").get_data(as_text=True)
    assert "Do żółwia" in html and "Do kogoś innego" not in html
    today = __import__("datetime").date.today().isoformat()
    html = admin_client.get(f"/admin/messages/?flt0_5={today}+to+{today}").get_data(as_text=True)
    assert "Do żółwia" in html
    resp = admin_client.get("/admin/messages/export/xlsx/")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    csv = admin_client.get("/admin/messages/export/csv/").get_data(as_text=True)
    assert "Hurtownia Żółw sp. z o.o." in csv


def test_consents_list_finds_a_customer_sheet(db, staff_client):
    customer = make_customer(name="Spółdzielnia Źródło")
    db.session.commit()
    html = staff_client("sales").get("/admin/consents/?customer=Źródło").get_data(as_text=True)
    assert f"/admin/consents/customer/{customer.id}" in html
