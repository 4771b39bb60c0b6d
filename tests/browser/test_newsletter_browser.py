"""Chromium: marketing builds a newsletter with a product block and a unique discount code,
previews it as a real recipient, sends a test, sends it and watches the progress reach 100 %."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.newsletters import Campaign, CampaignRecipient, CampaignStatus
from tests.conftest import PASSWORD
from tests.factories import make_product, make_user
from tests.factories_newsletters import add_members, make_code_batch, make_list
from tests.fixtures.browser import log_in, submit
from tests.fixtures.waiting import wait_for_jobs

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_marketing_builds_previews_tests_and_sends_a_newsletter(
    db, live_stack, module_smtp_sink, page
):
    page.on("dialog", lambda dialog: dialog.accept())
    newsletter_list = make_list(name="Klienci hurtowi", is_default=True)
    members = add_members(newsletter_list, 3)
    make_product(
        sku="ZUBR-18V", name="Wkrętarka Żubr 18V", image_url="https://img.example.pl/z.png"
    )
    batch = make_code_batch(10, name="Wiosna 2026")
    staff = make_user(roles=("marketing",), password=PASSWORD)
    db.session.commit()
    module_smtp_sink.clear()

    log_in(page, live_stack.url, staff.email)
    page.goto(f"{live_stack.url}/admin/newsletters/")
    page.click("[data-testid=new-campaign]")
    page.fill("#name", "Wiosenne nowości")
    page.fill("#subject", "{{ recipient.first_name }}, wiosenne nowości")
    submit(page, "[data-testid=create-campaign]")
    page.wait_for_selector("[data-testid=no-blocks]")

    submit(page, "[data-testid=add-text]")
    page.fill("#block-0 [data-testid=block-html]", "<p>Dzień dobry {{ recipient.first_name }}!</p>")
    submit(page, "#block-0 [data-testid=save-block]")
    page.wait_for_selector(".alert-success")
    submit(page, "[data-testid=add-products]")
    page.check("#block-1 [data-testid=mode-chosen]")
    page.fill("#block-1 [data-testid=block-skus]", "ZUBR-18V")
    submit(page, "#block-1 [data-testid=save-block]")
    page.wait_for_selector(".alert-success")
    submit(page, "[data-testid=add-code]")
    page.check("#block-2 [data-testid=code-unique]")
    page.select_option("#block-2 [data-testid=block-batch]", str(batch.id))
    submit(page, "#block-2 [data-testid=save-block]")
    page.wait_for_selector("#block-2 [data-testid=free-codes]")
    assert page.inner_text("[data-testid=audience-count]").strip() == "3"

    page.fill("[data-testid=preview-as]", members[0])
    page.click("[data-testid=preview]")
    page.wait_for_selector("[data-testid=preview-person] >> text=Zażółć")
    assert page.inner_text("[data-testid=preview-subject]").startswith("Zażółć, wiosenne")
    frame = page.frame_locator("[data-testid=preview-frame]")
    frame.locator("text=Wkrętarka Żubr 18V").first.wait_for()
    assert "PRZYKLAD" in frame.locator("body").inner_text()
    assert page.get_attribute("[data-testid=preview-frame]", "sandbox") == ""

    page.fill("#addresses", "szefowa@hurtownia.example.pl")
    submit(page, "[data-testid=send-test]")
    page.wait_for_selector(".alert-success")
    module_smtp_sink.wait_for(1)
    [test_mail] = module_smtp_sink.to("szefowa@hurtownia.example.pl")
    assert test_mail["Subject"].startswith("[TEST]")

    submit(page, "[data-testid=send-now]")
    page.wait_for_selector("[data-testid=progress-card]")
    page.wait_for_selector("[data-testid=progress-text] >> text=3 / 3", timeout=60_000)
    page.wait_for_selector("[data-status=sent]", timeout=30_000)
    assert page.get_attribute("[data-testid=progress-bar]", "aria-valuenow") == "100"
    assert page.inner_text("[data-testid=stat-delivered]").strip() == "3"
    received = {m["To"].addresses[0].addr_spec for m in module_smtp_sink.wait_for(4)}
    assert set(members) <= received
    db.session.commit()
    campaign = db.session.scalar(select(Campaign))
    assert campaign.status == CampaignStatus.SENT
    codes = db.session.scalars(select(CampaignRecipient.code)).all()
    assert len(set(codes)) == 3 and all(codes)
    wait_for_jobs(db)
