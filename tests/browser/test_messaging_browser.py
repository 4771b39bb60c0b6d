"""In Chromium: a template edited with live preview, a failed message sent again, portal
preferences changed by a customer's employee."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.consents import Consent
from models.message_templates import MessageTemplate
from models.messaging import Message, MessageStatus
from tests.conftest import PASSWORD
from tests.factories import make_order, make_portal_user, make_user
from tests.factories_messaging import make_message
from tests.fixtures.browser import log_in
from tests.fixtures.live import LiveStack

pytestmark = [pytest.mark.browser, pytest.mark.committed]


@pytest.fixture(scope="module")
def stack(infra, module_smtp_sink):
    config = {} if infra.redis_url else {"QUEUE_MODE": "manual"}
    stack = LiveStack(infra, mail_url=module_smtp_sink.url, config=config).start()
    yield stack
    stack.stop()


def test_marketing_edits_a_template_with_live_preview(db, stack, page):
    user = make_user(roles=("marketing",), password=PASSWORD)
    make_order(number="ZAM/PODGLĄD/7", waybill="6200999", carrier="InPost")
    db.session.commit()
    log_in(page, stack.url, user.email)
    page.click("text=Komunikacja")
    page.click("a.dropdown-item >> text=Szablony wiadomości")
    page.click("tr[data-event='order.shipped'] >> a.badge >> nth=0")  # Polish e-mail default
    page.wait_for_selector("#body_html")
    page.wait_for_load_state()  # the preview button is bound by the script at the end
    assert "zostało wysłane" in page.input_value("#subject")
    page.fill("[data-testid=sample-ref]", "ZAM/PODGLĄD/7")
    page.click("[data-testid=preview]")
    page.wait_for_selector("[data-testid=preview-subject] >> text=ZAM/PODGLĄD/7")
    frame = page.frame_locator("[data-testid=preview-html]")
    assert "6200999" in frame.locator("body").inner_text()
    assert page.get_attribute("[data-testid=preview-html]", "sandbox") == ""

    page.fill("#body_html", "<p>Test</p>\n{{ ''.__class__.__mro__ }}")
    page.click("[data-testid=preview]")
    page.wait_for_selector("[data-testid=preview-errors]:not(.d-none)")
    assert "Wiersz 2" in page.inner_text("[data-testid=preview-errors]")
    page.click("[data-testid=save-template]")
    page.wait_for_selector(".invalid-feedback >> text=Wiersz 2")
    assert db.session.scalars(select(MessageTemplate)).all() == []
    db.session.rollback()  # end the read: the server writes next

    page.fill("#body_html", "<p>Paczka {{ order.number }} jedzie: {{ order.waybill }}</p>")
    page.click("[data-testid=save-template]")
    page.wait_for_selector(".alert-success >> text=Zapisano szablon")
    saved = db.session.scalars(select(MessageTemplate)).one()
    assert saved.event == "order.shipped" and "jedzie" in saved.body_html


def test_staff_sends_a_failed_message_again(db, stack, page):
    user = make_user(roles=("sales",), password=PASSWORD)
    failed = make_message(
        status=MessageStatus.FAILED,
        last_error="550 5.1.1 Brak skrzynki",
        subject="Zamówienie ZAM/ŻÓŁW/1 przyjęte",
    )
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, stack.url, user.email)
    page.goto(f"{stack.url}/admin/messages/?search=ŻÓŁW")
    page.click(f"a[href*='details/?id={failed.id}']")
    page.wait_for_selector("[data-testid=last-error] >> text=550 5.1.1")
    assert page.get_attribute("[data-testid=html-preview]", "sandbox") == ""
    page.fill("#resend-recipient", "poprawny@klient.example.pl")
    page.click("[data-testid=resend]")
    page.wait_for_selector("[data-testid=recipient] >> text=poprawny@klient.example.pl")
    failed_id, subject = failed.id, failed.subject
    db.session.rollback()  # a fresh snapshot: the server wrote the copy
    copy = db.session.scalars(select(Message).where(Message.resent_from_id == failed_id)).one()
    assert copy.subject == subject


def test_customer_changes_own_notification_preferences(db, stack, page):
    user = make_portal_user(
        password=PASSWORD, email="ewa@klient.example.pl", phone="+48 602 300 400"
    )
    db.session.commit()
    log_in(page, stack.url, user.email, portal=True)
    page.click("a.nav-link >> text=Powiadomienia i zgody")
    page.wait_for_selector("[data-testid=preferences-form]")
    assert page.is_checked("#c-sms-transactional") and not page.is_checked("#c-email-marketing")
    page.uncheck("#c-sms-transactional")
    page.check("#c-email-marketing")
    page.click("[data-testid=save-preferences]")
    page.wait_for_selector(".alert-success")
    assert page.is_checked("#c-email-marketing") and not page.is_checked("#c-sms-transactional")
    assert page.locator("[data-testid=consent-history] tbody tr").count() == 2
    db.session.rollback()  # a fresh snapshot: the server wrote the consents
    rows = {(c.address, c.purpose.value, c.granted) for c in db.session.scalars(select(Consent))}
    assert rows == {
        ("ewa@klient.example.pl", "marketing", True),
        ("+48602300400", "transactional", False),
    }
