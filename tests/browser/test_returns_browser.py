"""The whole return in Chromium: the customer files a partial return with a photo, the
officer accepts it, the customer prints the label, the officer scans the code, assesses
and resolves it with a credit note; every e-mail arrives at the SMTP server."""

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, PASSWORD
from tests.factories import make_contact, make_customer, make_portal_user, make_product, make_user
from tests.factories_returns import make_condition, make_reason, make_returnable_note, png_bytes
from tests.fixtures.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.committed]

CUSTOMER_MAIL = "zwroty@hurtownia-zrodlo.pl"
FILER_MAIL = "jan.kowalski@hurtownia-zrodlo.pl"


@pytest.fixture
def scene(db):
    manager = make_user(roles=("sales",), email="opiekun@firma.pl", name="Olga Opiekun")
    customer = make_customer(name="Hurtownia Źródło", email=CUSTOMER_MAIL, account_manager=manager)
    make_contact(customer, email="magazyn@hurtownia-zrodlo.pl", receives_return_notices=True)
    filer = make_portal_user(
        customer=customer,
        email=FILER_MAIL,
        name="Jan Kowalski",
        can_file_returns=True,
        password=PASSWORD,
    )
    note = make_returnable_note(
        customer,
        lines=[(make_product(name="Wiertarka udarowa Łoś"), "10"), (make_product(), "3")],
        number="WZ/77/2026",
    )
    make_reason(name="Wada fabryczna"), make_reason(name="Uszkodzenie w transporcie")
    make_condition(name="Rozpakowany"), make_condition(name="Uszkodzony")
    officer = make_user(roles=("rma",), password=PASSWORD, name="Renata Zwrotna")
    db.session.commit()
    return {"filer": filer, "note": note, "officer": officer}


def _select_first(page, selector):
    value = page.locator(f"{selector} option").nth(1).get_attribute("value")
    page.select_option(selector, value)


def test_return_from_filing_to_credit_note(
    db, live_stack, module_smtp_sink, browser, page, scene, tmp_path
):
    module_smtp_sink.clear()
    photo = tmp_path / "uszkodzona-obudowa.png"
    photo.write_bytes(png_bytes())
    url = live_stack.url

    # The customer files a partial return (2 of 10) with a photo.
    log_in(page, url, FILER_MAIL, portal=True)
    page.click("text=Zwroty")
    page.click("[data-testid=new-return]")
    page.click("[data-testid='return-from-WZ/77/2026']")
    page.fill("[data-testid=qty-1]", "2")
    _select_first(page, "[data-testid=reason-1]")
    _select_first(page, "[data-testid=condition-1]")
    page.set_input_files("[data-testid=files]", str(photo))
    page.click("[data-testid=submit-return]")
    number = page.locator("[data-testid=return-number]").inner_text()
    assert re.fullmatch(r"RMA/\d{4}/\d{5}", number)
    assert "uszkodzona-obudowa.png" in page.content()

    # The officer accepts it from the queue of new returns.
    officer = browser.new_context(locale="pl-PL", viewport={"width": 1366, "height": 900})
    desk = officer.new_page()
    log_in(desk, url, scene["officer"].email)
    desk.goto(f"{url}/admin/returns/queue/")
    desk.click(f"text={number}")
    desk.click("[data-testid=accept]")
    expect(desk.locator("[data-testid=return-status]")).to_have_attribute("data-status", "accepted")

    # The customer prints the label once the worker has rendered it.
    page.reload()
    for _ in range(60):
        if page.locator("[data-testid=print-label]").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    href = page.locator("[data-testid=print-label]").get_attribute("href")
    pdf = page.context.request.get(f"{url}{href}")
    assert pdf.ok and pdf.body().startswith(b"%PDF-")
    code = _decode_barcode(pdf.body(), tmp_path) or number

    # The officer scans the label (keystrokes + Enter), receives, assesses and resolves.
    desk.goto(f"{url}/admin/returns/")
    desk.fill("[data-testid=scan-code]", code)
    desk.press("[data-testid=scan-code]", "Enter")
    desk.wait_for_url("**/admin/returns/details/**")
    assert desk.locator("[data-testid=return-number]").inner_text() == number
    status = desk.locator("[data-testid=return-status]")
    try:
        desk.once("dialog", lambda dialog: dialog.accept())
        desk.click("[data-testid=receive]")
        expect(status).to_have_attribute("data-status", "received")
        _select_first(desk, "[data-testid=found-1]")
        desk.fill("[data-testid=found-notes-1]", "Pęknięta obudowa, zgodnie ze zdjęciem")
        desk.click("[data-testid=assess]")
        expect(status).to_have_attribute("data-status", "assessed")
        desk.select_option("[data-testid=disposition-1]", "credit_note")
        desk.fill("[data-testid=reference-1]", "KOR/15/2026")
        desk.click("[data-testid=resolve]")
        expect(status).to_have_attribute("data-status", "resolved")
        assert "KOR/15/2026" in desk.content()
    finally:
        desk.screenshot(path=str(ARTIFACTS / "returns-officer-desk.png"), full_page=True)
        officer.close()

    # Every e-mail went out through the real sender to the SMTP server.
    expected = {
        f"Przyjęliśmy zgłoszenie zwrotu {number}",
        f"Zwrot {number} został zaakceptowany",
        f"Etykieta zwrotu {number} jest gotowa do wydruku",
        f"Otrzymaliśmy towar ze zwrotu {number}",
        f"Towar ze zwrotu {number} został oceniony",
        f"Decyzja w sprawie zwrotu {number}",
    }
    recipients = (FILER_MAIL, CUSTOMER_MAIL, "magazyn@hurtownia-zrodlo.pl")
    # ... plus one internal mail about the resolution to the account manager.
    module_smtp_sink.wait_for(len(expected) * len(recipients) + 1, timeout=60)
    for address in recipients:
        subjects = {str(m["Subject"]) for m in module_smtp_sink.to(address)}
        assert expected <= subjects, (address, subjects)
    label_mail = next(m for m in module_smtp_sink.to(FILER_MAIL) if "Etykieta" in str(m["Subject"]))
    assert any(part.get_filename() for part in label_mail.iter_attachments())
    manager = {str(m["Subject"]) for m in module_smtp_sink.to("opiekun@firma.pl")}
    assert any("rozpatrzony" in s for s in manager), manager
    assert page.locator("text=Pęknięta obudowa").count() == 0  # portal page not reloaded yet
    page.reload()
    assert "Korekta" in page.content() and "KOR/15/2026" in page.content()


def _decode_barcode(pdf: bytes, tmp_path) -> str | None:
    """What a scanner reads from the printed label (None when zbar is not installed)."""
    if not shutil.which("zbarimg") or not shutil.which("pdftoppm"):
        return None
    (tmp_path / "label.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", str(tmp_path / "label.pdf"), str(tmp_path / "label")],
        check=True,
    )
    out = subprocess.run(
        ["zbarimg", "-q", "--raw", str(tmp_path / "label-1.png")],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()
