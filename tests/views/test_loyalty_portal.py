"""Portal: the customer's points page, requesting a reward, withdrawing a request."""

from sqlalchemy import select

from backoffice.services import loyalty
from models.loyalty import RedemptionStatus, RewardRedemption
from tests.factories import make_customer
from tests.factories_loyalty import give_points, make_reward


def test_customer_sees_balance_history_and_affordable_rewards(portal_client, db):
    customer = make_customer(name="Sklep Źródełko")
    give_points(customer, 250, "Punkty powitalne")
    make_reward(name="Parasol", points_price=200)
    make_reward(name="Rower", points_price=5000)
    client = portal_client(customer=customer)
    page = client.get("/portal/loyalty").get_data(as_text=True)
    assert "Punkty lojalnościowe" in page and "Punkty powitalne" in page
    assert "Parasol" in page and "w zasięgu" in page
    assert "brakuje 4750 pkt" in page or "brakuje 4 750 pkt" in page.replace("\xa0", " ")


def test_request_and_withdraw_a_reward(portal_client, db):
    customer = make_customer()
    give_points(customer, 300)
    reward = make_reward(name="Latarka", points_price=100, stock=4)
    client = portal_client(customer=customer)
    form = client.get(f"/portal/loyalty/rewards/{reward.id}").get_data(as_text=True)
    assert "Wymień punkty na tę nagrodę" in form
    resp = client.post(
        f"/portal/loyalty/rewards/{reward.id}",
        data={"quantity": "2", "shipping_address": "ul. Polna 3, 00-001 Warszawa"},
    )
    assert resp.status_code == 302
    redemption = db.session.scalars(select(RewardRedemption)).one()
    assert redemption.requested_via == "portal" and redemption.portal_user_id == client.user.id
    assert loyalty.balance(customer.id) == 100

    too_many = client.post(f"/portal/loyalty/rewards/{reward.id}", data={"quantity": "2"})
    assert "Za mało punktów" in too_many.get_data(as_text=True)

    client.post(f"/portal/loyalty/requests/{redemption.id}/cancel")
    db.session.refresh(redemption)
    assert redemption.status == RedemptionStatus.CANCELLED
    assert loyalty.balance(customer.id) == 300


def test_users_without_the_permission_and_other_companies_are_refused(portal_client, db):
    customer = make_customer()
    give_points(customer, 300)
    reward = make_reward(points_price=100)
    client = portal_client(customer=customer, can_redeem_points=False)
    page = client.get(f"/portal/loyalty/rewards/{reward.id}").get_data(as_text=True)
    assert "nie może wymieniać punktów" in page
    assert (
        client.post(f"/portal/loyalty/rewards/{reward.id}", data={"quantity": 1}).status_code == 403
    )

    other = portal_client(customer=make_customer())
    from backoffice.actors import SYSTEM
    from backoffice.services import rewards

    mine = rewards.request_reward(SYSTEM, customer, reward)
    db.session.commit()
    assert other.post(f"/portal/loyalty/requests/{mine.id}/cancel").status_code == 404
