"""Races on real PostgreSQL connections: codes and points can never be double-spent."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.actors import SYSTEM
from backoffice.errors import DomainError
from backoffice.services import discount_codes, loyalty, rewards
from backoffice.services.discount_code_checkout import redeem_code
from backoffice.services.discount_codes import BatchSpec, create_batch
from models.customers import Customer
from models.discount_codes import DiscountCode, DiscountCodeUse
from models.loyalty import PointsEntry, Reward, RewardKind, RewardRedemption
from tests.factories import make_customer, make_product
from tests.factories_loyalty import batch_input, give_points, lots_total, make_reward

pytestmark = [pytest.mark.postgres, pytest.mark.committed]


def race(app, count: int, work) -> Counter:
    """Run ``work(i)`` in ``count`` threads at once, each with its own session/connection.

    Each thread commits what succeeded and rolls back what raised; returns outcome counts
    ("ok" or the DomainError's reason / class name).
    """
    from backoffice.extensions import db

    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                work(i)
                db.session.commit()
                outcome = "ok"
            except DomainError as exc:
                db.session.rollback()
                outcome = getattr(exc, "reason", type(exc).__name__)
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == count, "a racing thread did not finish"
    return Counter(outcomes)


def _batch(db, **overrides) -> tuple[int, list[str]]:
    batch = create_batch(SYSTEM, BatchSpec(**batch_input(**overrides)))
    db.session.commit()
    codes = db.session.scalars(
        select(DiscountCode.code).where(DiscountCode.batch_id == batch.id).order_by(DiscountCode.id)
    ).all()
    return batch.id, list(codes)


def test_100_concurrent_redemptions_of_a_single_use_code_succeed_once(app, db):
    _batch_id, (code,) = _batch(db, count=1, usage_limit_total=1)

    outcomes = race(
        app, 100, lambda i: redeem_code(SYSTEM, code, f"C{i}", f"ORDER-{i}", Decimal("100"))
    )

    assert outcomes == Counter({"ok": 1, "exhausted": 99})
    assert db.session.scalar(select(func.count(DiscountCodeUse.id))) == 1
    assert db.session.scalar(select(DiscountCode.use_count).where(DiscountCode.code == code)) == 1


def test_per_customer_limit_of_2_with_20_concurrent_attempts_allows_exactly_2(app, db):
    _batch_id, (code,) = _batch(db, count=1, usage_limit_total=None, usage_limit_per_customer=2)

    outcomes = race(
        app, 20, lambda i: redeem_code(SYSTEM, code, "SAME", f"ORDER-{i}", Decimal("100"))
    )

    assert outcomes == Counter({"ok": 2, "customer_limit": 18})


def test_per_customer_limit_holds_across_different_codes_of_a_batch(app, db):
    _batch_id, codes = _batch(db, count=20, usage_limit_per_customer=2)

    outcomes = race(
        app, 20, lambda i: redeem_code(SYSTEM, codes[i], "SAME", f"ORDER-{i}", Decimal("50"))
    )

    assert outcomes == Counter({"ok": 2, "customer_limit": 18})


def test_the_same_order_redeeming_concurrently_is_stored_once(app, db):
    _batch_id, (code,) = _batch(db, count=1, usage_limit_total=5)

    outcomes = race(app, 10, lambda i: redeem_code(SYSTEM, code, "C1", "ORDER-1", Decimal("80")))

    assert outcomes == Counter({"ok": 10})
    assert db.session.scalar(select(func.count(DiscountCodeUse.id))) == 1
    assert db.session.scalar(select(DiscountCode.use_count).where(DiscountCode.code == code)) == 1


def test_concurrent_assignment_gives_distinct_codes_and_one_per_recipient(app, db):
    batch_id, _codes = _batch(db, count=60)
    results: list[dict] = []

    def work(i: int) -> None:
        from backoffice.extensions import db as tdb
        from models.discount_codes import DiscountCodeBatch

        batch = tdb.session.get(DiscountCodeBatch, batch_id)
        keys = [f"shared:{k}" for k in range(5)] + [f"worker:{i}:{k}" for k in range(5)]
        results.append(discount_codes.assign_codes(SYSTEM, batch, keys))

    assert race(app, 5, work) == Counter({"ok": 5})
    given: dict[str, str] = {}
    for result in results:
        for key, code in result.items():
            assert given.setdefault(key, code) == code
    assert len(given) == 30 and len(set(given.values())) == 30


def test_50_concurrent_reward_requests_against_a_balance_for_10(app, db):
    customer = make_customer()
    give_points(customer, 1000)
    reward = make_reward(RewardKind.PRODUCT, product=make_product(), points_price=100)
    db.session.commit()
    customer_id, reward_id = customer.id, reward.id

    def work(i: int) -> None:
        from backoffice.extensions import db as tdb

        rewards.request_reward(
            SYSTEM, tdb.session.get(Customer, customer_id), tdb.session.get(Reward, reward_id)
        )

    outcomes = race(app, 50, work)

    assert outcomes == Counter({"ok": 10, "Conflict": 40})
    assert loyalty.balance(customer_id) == 0 == lots_total(customer_id)
    running = 0
    for points in db.session.scalars(
        select(PointsEntry.points)
        .where(PointsEntry.customer_id == customer_id)
        .order_by(PointsEntry.id)
    ):
        running += points
        assert running >= 0
    redemptions = db.session.scalars(select(RewardRedemption)).all()
    for redemption in redemptions:
        rewards.approve_redemption(SYSTEM, redemption)
    db.session.commit()
    assert len(redemptions) == 10 and {r.status.value for r in redemptions} == {"approved"}


def test_stock_never_goes_negative_when_customers_race(app, db):
    people = [make_customer() for _ in range(20)]
    for person in people:
        give_points(person, 100)
    reward = make_reward(points_price=100, stock=5)
    db.session.commit()
    ids, reward_id = [p.id for p in people], reward.id

    def work(i: int) -> None:
        from backoffice.extensions import db as tdb

        rewards.request_reward(
            SYSTEM, tdb.session.get(Customer, ids[i]), tdb.session.get(Reward, reward_id)
        )

    outcomes = race(app, 20, work)

    assert outcomes == Counter({"ok": 5, "Conflict": 15})
    assert db.session.scalar(select(Reward.stock).where(Reward.id == reward_id)) == 0
    assert sum(loyalty.balances(ids).values()) == 1500
