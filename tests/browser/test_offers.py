"""In Chromium: a rep builds an offer for two customers, exports it, sends it (the e-mails
reach the SMTP sink), a customer accepts part of it in the portal and the rep converts the
acceptance into an order."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from models.orders import Order
from tests.conftest import PASSWORD
from tests.factories import make_contact, make_customer, make_portal_user, make_product, make_user
from tests.factories_offers import make_condition_template, make_extra_service
from tests.fixtures.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_offer_from_editor_to_order(db, live_stack, page, browser, module_smtp_sink):
    rep = make_user(roles=("sales",), password=PASSWORD, name="Zenon Handlowiec")
    alfa = make_customer(name="Alfa Łódź sp. z o.o.", email="biuro@alfa.example.com")
    make_customer(name="Beta Gdańsk S.A.", email="biuro@beta.example.com")
    make_contact(alfa, name="Anna Żak", email="anna@alfa.example.com", receives_offers=True)
    buyer = make_portal_user(customer=alfa, password=PASSWORD, can_accept_offers=True)
    make_product(
        sku="WKR-100",
        name="Wkrętarka akumulatorowa",
        price_net=Decimal("250.00"),
        packaging=[("karton", "6")],
    )
    make_product(sku="SZL-200", name="Szlifierka kątowa", price_net=Decimal("180.00"))
    make_extra_service(name="Transport na budowę", default_price=Decimal("120.00"))
    make_condition_template(
        title="Warunki płatności", default_text="Przelew 14 dni", preselected=True
    )
    db.session.commit()
    module_smtp_sink.clear()
    page.on("dialog", lambda dialog: dialog.accept())

    # The rep builds the offer in the editor, keyboard first.
    log_in(page, live_stack.url, rep.email)
    page.goto(f"{live_stack.url}/admin/offers/new/")
    page.fill("#title", "Elektronarzędzia – wiosna")
    page.click("[data-testid=create-offer]")
    page.wait_for_selector("#offer-editor")
    page.wait_for_load_state()  # editor.js, at the end of the page, binds the searches
    for name in ("Alfa", "Beta"):
        page.fill("[data-testid=customer-search]", name)
        page.wait_for_selector("#customer-results .list-group-item-action")
        page.press("[data-testid=customer-search]", "Enter")
    for sku, qty in (("WKR-100", "10"), ("SZL-200", "2")):
        page.fill("[data-testid=product-search]", sku)
        page.wait_for_selector("#product-results .list-group-item-action")
        page.press("[data-testid=product-search]", "Enter")
        page.keyboard.type(qty)
        page.keyboard.press("Enter")
    page.click("#add-service")
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=editor-notice]")  # 10 rounded up to 12 (cartons)
    assert "12" in page.inner_text("[data-testid=editor-notice]")
    assert (
        page.inner_text("[data-testid=total-net]").replace("\u00a0", "").replace(" ", "")
        == "3480,00"
    )
    page.click("[data-testid=save-close]")

    # Export: the documents are rendered on the queue and appear as links.
    page.wait_for_selector("[data-testid=export]")
    page.click("[data-testid=export]")
    # The page reloads itself while a document is pending: wait for the page that shows all
    # four (PDF and XLSX for each customer) ready, which no longer reloads.
    page.wait_for_selector("[data-document][data-state=ready] >> nth=3", timeout=60_000)
    page.wait_for_load_state()
    assert page.locator("[data-state=pending]").count() == 0
    with page.expect_download() as download:
        page.click("[data-testid=download-pdf] >> nth=0")
    assert download.value.path().read_bytes()[:4] == b"%PDF"

    # Send to both customers with both attachments.
    page.click("[data-testid=send]")
    page.click("label[for=attach_xlsx]")  # Bootstrap custom checkbox: the label takes the click
    page.click("[data-testid=confirm-send]")
    page.wait_for_selector("[data-testid=status][data-status=sent]")
    mails = module_smtp_sink.wait_for(3, timeout=90)
    to = sorted(str(m["To"]) for m in mails)
    assert any("anna@alfa.example.com" in t for t in to) and any("beta" in t for t in to)
    attachments = [part.get_filename() for part in mails[0].iter_attachments()]
    assert any(n.endswith(".pdf") for n in attachments) and any(
        n.endswith(".xlsx") for n in attachments
    )

    # The customer accepts 6 of the 12 drills and not the grinders.
    context = browser.new_context(locale="pl-PL")
    portal = context.new_page()
    portal.on("dialog", lambda dialog: dialog.accept())
    log_in(portal, live_stack.url, buyer.email, portal=True)
    portal.goto(f"{live_stack.url}/portal/offers")
    portal.click("[data-testid=portal-offer-link]")
    lines = portal.locator("[data-testid=portal-line]")
    lines.nth(0).locator("[data-testid=qty]").fill("6")
    lines.nth(1).locator("input[type=checkbox]").uncheck()
    portal.click("[data-testid=accept-part]")
    portal.wait_for_selector("[data-testid=portal-status][data-status=partially_accepted]")
    context.close()

    # The rep converts the acceptance into an order.
    page.reload()
    page.click("[data-testid=convert]")
    page.wait_for_selector("[data-testid=order-number]")
    db.session.commit()  # end the test's read transaction to see the server's commits
    order = db.session.scalars(select(Order).where(Order.source == "offer")).one()
    assert order.customer_id == alfa.id
    assert [(ln.name, ln.quantity) for ln in order.lines][0] == (
        "Wkrętarka akumulatorowa",
        Decimal("6.000"),
    )
