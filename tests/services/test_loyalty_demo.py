"""The loyalty part of the demo data: rules, points from orders, rewards, a request, codes."""

from sqlalchemy import func, select

from backoffice.actors import SYSTEM
from backoffice.services import demo, loyalty
from models.discount_codes import DiscountCode
from models.loyalty import PointsEntry, RedemptionStatus, RewardRedemption
from tests.factories_loyalty import lots_total


def test_demo_seed_fills_the_loyalty_module(db):
    summary = demo.seed(SYSTEM, demo.Counts(customers=8, products=30, suppliers=2, orders=12), 3)

    assert summary["rewards"] == 3 and summary["discount_codes"] == 500
    assert summary["loyalty_points"] > 0
    request = db.session.scalars(select(RewardRedemption)).one()
    assert request.status == RedemptionStatus.REQUESTED
    customer_id = request.customer_id
    assert loyalty.balance(customer_id) == lots_total(customer_id) >= 300
    assert db.session.scalar(select(func.count(PointsEntry.id))) > 8
    assert (
        db.session.scalar(
            select(func.count(DiscountCode.id)).where(DiscountCode.customer_id.is_not(None))
        )
        == 5
    )
