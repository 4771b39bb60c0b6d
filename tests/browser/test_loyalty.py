"""Chromium: a customer exchanges points for a reward which marketing approves and ships;
marketing generates a batch of codes, watches the progress and finds a code in the register."""

import re

import pytest
from sqlalchemy import select

from backoffice.services import loyalty
from models.discount_codes import DiscountCode, DiscountCodeBatch
from models.loyalty import RedemptionStatus, RewardRedemption
from tests.conftest import PASSWORD
from tests.factories import make_customer, make_portal_user, make_user
from tests.factories_loyalty import give_points, make_reward
from tests.fixtures.browser import log_in, submit
from tests.fixtures.waiting import wait_for_jobs

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_reward_requested_in_the_portal_is_approved_and_shipped(db, live_stack, page):
    page.on("dialog", lambda dialog: dialog.accept())
    customer = make_customer(name="Hurtownia Żuraw")
    portal_user = make_portal_user(customer=customer, password=PASSWORD, can_redeem_points=True)
    give_points(customer, 500, "Punkty powitalne")
    reward = make_reward(name="Kubek termiczny „Łoś”", points_price=150, stock=5)
    staff = make_user(roles=("marketing",), password=PASSWORD)
    db.session.commit()

    log_in(page, live_stack.url, portal_user.email, portal=True)
    page.goto(f"{live_stack.url}/portal/loyalty")
    assert page.inner_text("[data-testid=balance]").strip() == "500"
    page.click("text=Kubek termiczny „Łoś”")
    page.fill("input[name=quantity]", "2")
    page.click("[data-testid=request-reward] button[type=submit]")
    page.wait_for_url("**/portal/loyalty")
    assert "czeka na zatwierdzenie" in page.content()
    assert page.inner_text("[data-testid=balance]").strip() == "200"
    assert "złożone" in page.inner_text("[data-testid=requests]")
    submit(page, "[data-testid=logout]")

    log_in(page, live_stack.url, staff.email)
    page.goto(f"{live_stack.url}/admin/")
    page.click("[data-testid=counter]:has-text('Zamówienia nagród do zatwierdzenia')")
    page.click("table.model-list a[href*='/details/']")
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=ship]")
    page.fill("input[name=carrier]", "InPost")
    page.fill("input[name=waybill]", "620000123456")
    page.click("[data-testid=ship]")
    page.wait_for_selector("text=oznaczona jako wysłana")
    assert "wysłane" in page.inner_text("[data-testid=redemption]")

    db.session.commit()  # end the read snapshot: see what the server wrote
    redemption = db.session.scalars(select(RewardRedemption)).one()
    assert redemption.status == RedemptionStatus.SHIPPED and redemption.waybill == "620000123456"
    assert loyalty.balance(customer.id) == 200 and reward.id
    wait_for_jobs(db)


def test_marketing_generates_a_batch_and_finds_a_code(db, live_stack, page):
    staff = make_user(roles=("marketing",), password=PASSWORD)
    db.session.commit()
    log_in(page, live_stack.url, staff.email)
    page.goto(f"{live_stack.url}/admin/discount-code-batches/new/")
    page.fill("input[name=name]", "Black Friday — Łódź")
    page.fill("input[name=count]", "3000")
    page.fill("input[name=prefix]", "BF-")
    page.fill("input[name=value]", "15")
    page.click("[data-testid=create-batch]")
    page.wait_for_url(re.compile(r".*/details/.*"))
    page.wait_for_selector("[data-testid=generation]", state="detached", timeout=90_000)
    assert "3000" in page.inner_text("[data-testid=batch]").replace("\xa0", "").replace(" ", "")

    db.session.commit()  # end the read snapshot: see what the server wrote
    batch = db.session.scalars(select(DiscountCodeBatch)).one()
    code = db.session.scalars(
        select(DiscountCode.code).where(DiscountCode.batch_id == batch.id).limit(1)
    ).one()
    page.click("text=Kody tej partii")
    page.fill("input[name=search]", code.lower())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() == 1 and code in rows.first.inner_text()
    wait_for_jobs(db)
