"""Rewards: requesting (points and stock taken), the workflow table, cancellation, messages."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from backoffice.services import loyalty, rewards
from backoffice.services.discount_code_checkout import redeem_code
from models import AuditEntry
from models.loyalty import RedemptionStatus, RewardKind
from models.messaging import Message
from tests.factories import make_customer, make_portal_user, make_product
from tests.factories_loyalty import give_points, lots_total, make_reward

S = RedemptionStatus


def _request(customer=None, reward=None, quantity=1, points=1000, **kwargs):
    customer = customer or make_customer()
    if points:
        give_points(customer, points)
    reward = reward or make_reward(points_price=100, stock=5)
    return rewards.request_reward(SYSTEM, customer, reward, quantity, **kwargs)


def test_request_takes_points_and_stock_and_notifies(db):
    customer = make_customer(email="zamowienia@łódź-hurt.example.com")
    user = make_portal_user(customer=customer, email="jan@klient.example.com")
    reward = make_reward(points_price=120, stock=5, name="Plecak „Żubr”")
    redemption = _request(customer, reward, quantity=2, points=300, portal_user=user, via="portal")

    assert redemption.status == S.REQUESTED and redemption.points == 240
    assert loyalty.balance(customer.id) == 60 == lots_total(customer.id)
    assert reward.stock == 3
    messages = db.session.scalars(
        select(Message).where(Message.event == "loyalty.redemption_requested")
    ).all()
    assert sorted(m.recipient for m in messages) == [
        "jan@klient.example.com",
        "zamowienia@łódź-hurt.example.com",
    ]
    assert "Plecak „Żubr”" in messages[0].body_html and "240" in messages[0].body_text


@pytest.mark.parametrize(
    ("points", "stock", "quantity", "error"),
    [
        (99, 5, 1, Conflict),  # not enough points
        (1000, 1, 2, Conflict),  # not enough stock
        (1000, 0, 1, Conflict),  # out of stock: not available
        (1000, 5, 0, ValidationFailed),
        (1000, 5, 101, ValidationFailed),
    ],
)
def test_request_is_refused_and_changes_nothing(db, points, stock, quantity, error):
    customer = make_customer()
    give_points(customer, points)
    reward = make_reward(points_price=100, stock=stock)
    with pytest.raises(error):
        rewards.request_reward(SYSTEM, customer, reward, quantity)
    assert loyalty.balance(customer.id) == points
    assert reward.stock == stock


def test_unavailable_rewards_cannot_be_requested(db):
    customer = make_customer()
    give_points(customer, 1000)
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    for reward in (make_reward(active=False), make_reward(available_from=tomorrow)):
        with pytest.raises(Conflict):
            rewards.request_reward(SYSTEM, customer, reward)
    assert rewards.available_rewards() == []


ALL = list(S)
STEPS = {
    S.APPROVED: lambda r: rewards.approve_redemption(SYSTEM, r),
    S.SHIPPED: lambda r: rewards.ship_redemption(SYSTEM, r, "00340434161094012345", "DPD"),
    S.CANCELLED: lambda r: rewards.cancel_redemption(SYSTEM, r, "Brak na magazynie"),
}


def _bring_to(redemption, status):
    path = {
        S.REQUESTED: [],
        S.APPROVED: [S.APPROVED],
        S.SHIPPED: [S.APPROVED, S.SHIPPED],
        S.CANCELLED: [S.CANCELLED],
    }[status]
    for step in path:
        STEPS[step](redemption)


@pytest.mark.parametrize("start", [S.REQUESTED, S.APPROVED, S.SHIPPED, S.CANCELLED])
@pytest.mark.parametrize("target", [S.APPROVED, S.SHIPPED, S.CANCELLED])
def test_workflow_allows_exactly_the_transition_table(db, start, target):
    redemption = _request()
    _bring_to(redemption, start)
    allowed = {
        S.REQUESTED: {S.APPROVED, S.CANCELLED},
        S.APPROVED: {S.SHIPPED, S.CANCELLED},
    }.get(start, set())
    if target in allowed:
        STEPS[target](redemption)
        assert redemption.status == target
    else:
        with pytest.raises(InvalidTransition):
            STEPS[target](redemption)
        assert redemption.status == start


def test_cancel_returns_points_and_stock_once(db):
    customer = make_customer()
    reward = make_reward(points_price=100, stock=3)
    redemption = _request(customer, reward, quantity=2, points=250)
    rewards.approve_redemption(SYSTEM, redemption)
    with pytest.raises(ValidationFailed):
        rewards.cancel_redemption(SYSTEM, redemption, "  ")

    rewards.cancel_redemption(SYSTEM, redemption, "Klient zrezygnował")

    assert loyalty.balance(customer.id) == 250 == lots_total(customer.id)
    assert reward.stock == 3
    with pytest.raises(InvalidTransition):
        rewards.cancel_redemption(SYSTEM, redemption, "Jeszcze raz")
    assert loyalty.balance(customer.id) == 250
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-3:] == ["redemption.request", "redemption.approve", "redemption.cancel"]


def test_customer_may_cancel_only_before_approval(db):
    redemption = _request()
    rewards.approve_redemption(SYSTEM, redemption)
    with pytest.raises(Forbidden):
        rewards.cancel_redemption(SYSTEM, redemption, "Pomyłka", by_customer=True)
    other = _request()
    rewards.cancel_redemption(SYSTEM, other, "Pomyłka", by_customer=True)
    assert other.status == S.CANCELLED


def test_discount_reward_is_issued_as_a_personal_single_use_code(db):
    customer = make_customer()
    reward = make_reward(RewardKind.DISCOUNT, points_price=500, discount_value=Decimal("50.00"))
    redemption = _request(customer, reward, points=500)
    rewards.approve_redemption(SYSTEM, redemption)
    with pytest.raises(Conflict):
        rewards.ship_redemption(SYSTEM, redemption)

    rewards.issue_redemption(SYSTEM, redemption)

    code = redemption.discount_code
    assert redemption.status == S.ISSUED and code.customer_id == customer.id
    assert code.batch.value == Decimal("50.00") and code.batch.usage_limit_total == 1
    mail = db.session.scalars(
        select(Message).where(Message.event == "loyalty.redemption_issued")
    ).first()
    assert code.code in mail.body_text and "50.00" in mail.body_text
    use, _ = redeem_code(
        SYSTEM, code.code.lower(), customer.external_id, "SHOP-1", Decimal("400.00")
    )
    assert use.discount == Decimal("50.00")


def test_items_cannot_be_issued_as_codes(db):
    redemption = _request(reward=make_reward(RewardKind.PRODUCT, product=make_product()))
    rewards.approve_redemption(SYSTEM, redemption)
    with pytest.raises(Conflict):
        rewards.issue_redemption(SYSTEM, redemption)


def test_reward_validation_is_per_kind(db):
    from models.loyalty import Reward

    with pytest.raises(ValidationFailed) as err:
        rewards.validate_reward(Reward(name="X", kind=RewardKind.ITEM, points_price=10))
    assert "stock" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        rewards.validate_reward(Reward(name="X", kind=RewardKind.DISCOUNT, points_price=0))
    assert {"points_price", "discount_value"} <= set(err.value.errors)


def test_reward_image_must_really_be_an_image(db):
    from PIL import Image

    reward = make_reward()
    with pytest.raises(ValidationFailed):
        rewards.set_reward_image(SYSTEM, reward, ("kubek.png", BytesIO(b"MZ\x90\x00 not an image")))
    buffer = BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    buffer.seek(0)
    rewards.set_reward_image(SYSTEM, reward, ("kubek.png", buffer))
    assert reward.image_type == "image/png" and reward.image_path.startswith("rewards/")


@pytest.mark.parametrize("locale", ["pl", "en"])
def test_reward_events_are_catalogued_and_render_with_their_sample(db, locale):
    from backoffice.services.message_events import event_info
    from backoffice.services.messaging import render_blocks
    from backoffice.services.reward_notices import EVENTS, sample_context

    for event in EVENTS:
        assert event_info(event).registered
        blocks = render_blocks(event, locale, {**sample_context(None), "recipient": None})
        assert blocks["subject"] and "NG/000042" in blocks["text"] and blocks["html"]
        assert "{{" not in blocks["text"] and blocks["sms"]
