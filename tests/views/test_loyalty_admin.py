"""Console pages of the loyalty module: access, settings, rules, accounts, rewards workflow."""

import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.services import loyalty, rewards
from models import AuditEntry
from models.loyalty import EarnTrigger, PointsRule, RedemptionStatus, Reward
from tests.factories import make_customer, make_product
from tests.factories_loyalty import give_points, make_reward

PAGES = [
    "/admin/loyalty/",
    "/admin/loyalty/rules/",
    "/admin/loyalty/rules/new/",
    "/admin/loyalty/accounts/",
    "/admin/loyalty/ledger/",
    "/admin/rewards/",
    "/admin/rewards/new/",
    "/admin/reward-requests/",
    "/admin/discount-code-batches/",
    "/admin/discount-code-batches/new/",
    "/admin/discount-codes/",
    "/admin/discount-code-uses/",
]


@pytest.fixture
def marketing(staff_client):
    return staff_client("marketing")


@pytest.mark.parametrize("path", PAGES)
def test_marketing_opens_every_page_and_sales_is_refused(staff_client, marketing, path):
    resp = marketing.get(path)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert staff_client("sales").get(path).status_code == 403


def test_programme_settings_are_saved_and_audited(marketing, db):
    page = marketing.get("/admin/loyalty/").get_data(as_text=True)
    assert "Punkty wygasają po (miesiącach)" in page
    resp = marketing.post(
        "/admin/loyalty/",
        data={"active": "y", "earn_on": "delivered", "expiry_months": "12"},
    )
    assert resp.status_code == 302
    settings = loyalty.programme()
    db.session.refresh(settings)
    assert settings.earn_on == EarnTrigger.DELIVERED and settings.expiry_months == 12
    assert not settings.pending_on_placed
    bad = marketing.post("/admin/loyalty/", data={"earn_on": "paid", "expiry_months": "500"})
    assert bad.status_code == 200 and "is-invalid" in bad.get_data(as_text=True)


def test_rule_form_shows_kind_specific_errors_then_saves(marketing, db):
    resp = marketing.post(
        "/admin/loyalty/rules/new/", data={"name": "Wiertarki", "kind": "quantity", "active": "y"}
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Wybierz produkt lub grupę produktów" in body
    product = make_product()
    db.session.commit()
    resp = marketing.post(
        "/admin/loyalty/rules/new/",
        data={
            "name": "Wiertarki",
            "kind": "quantity",
            "active": "y",
            "product": product.id,
            "points": "5",
        },
    )
    assert resp.status_code == 302
    rule = db.session.scalars(select(PointsRule)).one()
    assert rule.points == Decimal("5") and rule.product_id == product.id
    assert db.session.scalar(
        select(AuditEntry.action).where(AuditEntry.action == "points_rule.create")
    )
    listing = marketing.get("/admin/loyalty/rules/").get_data(as_text=True)
    assert "5 pkt za sztukę" in listing


def test_account_page_adjusts_the_balance_with_a_reason(marketing, db):
    customer = make_customer(name="Hurtownia Żółw sp. z o.o.")
    db.session.commit()
    url = f"/admin/loyalty/accounts/{customer.id}/"
    assert "Hurtownia Żółw" in marketing.get(url).get_data(as_text=True)
    refused = marketing.post(f"{url}adjust", data={"points": "-5", "reason": "Korekta"})
    assert "Nie można odjąć więcej" in refused.get_data(as_text=True)
    resp = marketing.post(f"{url}adjust", data={"points": "150", "reason": "Bonus powitalny"})
    assert resp.status_code == 302
    assert loyalty.balance(customer.id) == 150
    listing = marketing.get("/admin/loyalty/accounts/?q=Żółw").get_data(as_text=True)
    assert "Hurtownia Żółw" in listing and "150" in listing
    ledger = marketing.get("/admin/loyalty/ledger/").get_data(as_text=True)
    assert "Bonus powitalny" in ledger


def test_reward_with_picture_and_the_request_workflow(marketing, db):
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(picture, "JPEG")
    picture.seek(0)
    resp = marketing.post(
        "/admin/rewards/new/",
        data={
            "name": "Termos „Ślęża”",
            "kind": "item",
            "points_price": "200",
            "stock": "3",
            "code_valid_days": "90",
            "active": "y",
            "image": (picture, "termos.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    reward = db.session.scalars(select(Reward)).one()
    assert reward.image_type == "image/jpeg"
    assert marketing.get(f"/admin/rewards/image/{reward.id}").status_code == 200

    customer = make_customer()
    give_points(customer, 500)
    db.session.commit()
    resp = marketing.post(
        f"/admin/loyalty/accounts/{customer.id}/request",
        data={"reward": reward.id, "quantity": "2", "shipping_address": "ul. Długa 1, Gdańsk"},
    )
    assert resp.status_code == 302
    redemption_url = resp.headers["Location"]
    page = marketing.get(redemption_url).get_data(as_text=True)
    assert "Termos „Ślęża”" in page and "złożone" in page
    rid = int(redemption_url.rstrip("/").split("id=")[-1])
    assert marketing.post(f"/admin/reward-requests/{rid}/approve").status_code == 302
    resp = marketing.post(
        f"/admin/reward-requests/{rid}/ship", data={"carrier": "InPost", "waybill": "6200123"}
    )
    assert resp.status_code == 302
    page = marketing.get(redemption_url).get_data(as_text=True)
    assert "wysłane" in page and "6200123" in page
    assert loyalty.balance(customer.id) == 100


def test_cancel_from_the_console_needs_a_reason_and_returns_points(marketing, db):
    customer = make_customer()
    give_points(customer, 100)
    redemption = rewards.request_reward(SYSTEM, customer, make_reward(points_price=100))
    db.session.commit()
    url = f"/admin/reward-requests/{redemption.id}/cancel"
    marketing.post(url, data={"reason": ""})
    db.session.refresh(redemption)
    assert redemption.status == RedemptionStatus.REQUESTED
    marketing.post(url, data={"reason": "Brak towaru"})
    db.session.refresh(redemption)
    assert redemption.status == RedemptionStatus.CANCELLED
    assert loyalty.balance(customer.id) == 100
