"""A service ticket in Chromium: the customer registers a product and reports a fault in the
portal; staff scan the ticket and move it through the warranty procedure; the customer gets
an e-mail at every step (real sender → SMTP server) and the warranty end moves."""

import datetime as dt
import re

import pytest

from backoffice.services.warranty import warsaw_today
from tests.conftest import ARTIFACTS, PASSWORD
from tests.factories import (
    make_customer,
    make_delivery_note,
    make_portal_user,
    make_product,
    make_user,
)
from tests.factories_service import png_bytes
from tests.fixtures.browser import log_in, submit

pytestmark = [pytest.mark.browser, pytest.mark.committed]

FILER_MAIL = "ewa.serwis@warsztat-zrodlo.pl"
STEPS = ["accepted", "goods_received", "diagnosis", "repair", "ready", "returned", "closed"]


@pytest.fixture
def scene(db):
    customer = make_customer(name="Warsztat Źródło", email="biuro@warsztat-zrodlo.pl")
    product = make_product(name="Wiertarka udarowa Żubr", serial_tracked=True, warranty_months=24)
    make_delivery_note(
        customer,
        [(product, 1, ["ZB-2025-777"])],
        number="WZ/12/2025",
        issued_at=dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC),
    )
    make_portal_user(
        customer=customer,
        email=FILER_MAIL,
        name="Ewa Łęcka",
        password=PASSWORD,
        can_file_service_tickets=True,
    )
    technician = make_user(roles=("service",), password=PASSWORD, name="Sławomir Serwisant")
    db.session.commit()
    return {"product": product, "technician": technician}


def test_register_report_repair_and_warranty_moves(
    db, live_stack, module_smtp_sink, browser, page, scene, tmp_path
):
    module_smtp_sink.clear()
    url = live_stack.url
    photo = tmp_path / "iskrzenie-silnika.png"
    photo.write_bytes(png_bytes())

    # The customer registers the drill by its serial number (on the delivery note).
    log_in(page, url, FILER_MAIL, portal=True)
    page.click("text=Serwis")
    page.click("[data-testid=register-product]")
    page.select_option("#product_id", str(scene["product"].id))
    page.fill("#serial", "zb-2025-777")
    page.click("[data-testid=register-form] button[type=submit]")
    assert page.locator("[data-testid=warranty-end]").inner_text() == "10 mar 2027"

    # ... and reports a fault with a photo.
    page.click("[data-testid=new-ticket]")
    page.fill("#fault_description", "Silnik iskrzy i gaśnie po minucie pracy.")
    page.set_input_files("#attachments", str(photo))
    page.click("[data-testid=ticket-form] button[type=submit]")
    number = page.locator("[data-testid=ticket-number]").inner_text()
    assert re.fullmatch(r"SRV/\d{4}/\d{5}", number)
    assert "iskrzenie-silnika.png" in page.content()

    # Staff scan the ticket number in the queue and move it through the procedure.
    staff = browser.new_context(locale="pl-PL", viewport={"width": 1366, "height": 900})
    desk = staff.new_page()
    log_in(desk, url, scene["technician"].email)
    desk.goto(f"{url}/admin/service-queue/")
    assert number in desk.content()
    desk.screenshot(path=str(ARTIFACTS / "service-queue.png"), full_page=True)
    desk.fill("[data-testid=scan-code]", number)
    desk.press("[data-testid=scan-code]", "Enter")
    desk.wait_for_url("**/admin/service-tickets/details/**")
    received = warsaw_today() - dt.timedelta(days=10)
    for code in STEPS:
        if code == "goods_received":
            desk.fill("[data-testid=effective-on]", received.isoformat())
        if code == "diagnosis":
            desk.fill("#diagnosis", "Zużyte szczotki silnika")
            submit(desk, "[data-testid=save-findings]")
        if code == "closed":
            desk.once("dialog", lambda dialog: dialog.accept())
        submit(desk, f"[data-testid=to-{code}]")
        status = desk.locator("[data-testid=ticket-status] [data-status]")
        assert status.get_attribute("data-status") == code
    assert desk.locator("[data-testid=warranty-end]").inner_text().startswith("do 20 mar 2027")
    desk.screenshot(path=str(ARTIFACTS / "service-ticket-page.png"), full_page=True)
    staff.close()

    # One e-mail per step reached the customer's contact through the real sender.
    module_smtp_sink.wait_for(1 + len(STEPS), timeout=60)
    subjects = [str(m["Subject"]) for m in module_smtp_sink.to(FILER_MAIL)]
    assert f"Przyjęliśmy zgłoszenie serwisowe {number}" in subjects
    for name in (
        "Przyjęte do realizacji",
        "Towar w serwisie",
        "Diagnoza",
        "Naprawa",
        "Gotowe do wysyłki",
        "Odesłane do klienta",
        "Zamknięte",
    ):
        assert f"Zgłoszenie serwisowe {number}: {name}" in subjects, subjects
    returned = next(m for m in module_smtp_sink.to(FILER_MAIL) if "Odesłane" in str(m["Subject"]))
    assert "20 mar 2027" in returned.get_body(("plain",)).get_content()

    # The customer sees the closed ticket and the longer warranty.
    page.reload()
    assert (
        page.locator("[data-testid=ticket-status] [data-status]").get_attribute("data-status")
        == "closed"
    )
    submit(page, "text=Wiertarka udarowa Żubr")
    assert page.locator("[data-testid=warranty-end]").inner_text() == "20 mar 2027"
    assert "Zużyte szczotki silnika" in page.content() and "+10" in page.content()
    assert "Sławomir Serwisant" in page.content()  # who handled it
