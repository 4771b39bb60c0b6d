"""Points: earning rules with exact numbers, pending → confirmed, reversal, expiry, adjustments."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.errors import Conflict, ValidationFailed
from backoffice.services import loyalty, points_ledger
from backoffice.services.loyalty_rules import quote_order
from models import AuditEntry
from models.loyalty import EarnTrigger, EntryKind, EntryStatus, PointsAllocation, PointsEntry
from tests.factories import make_customer, make_group, make_order, make_product, make_product_group
from tests.factories_loyalty import fire, give_points, lots_total, make_rule, set_programme

UTC = dt.UTC


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """Freeze the ledger's notion of "now"; ``clock.set(datetime)`` moves it."""

    class Clock:
        now = at(2025, 1, 10, 12)

        def set(self, value):
            self.now = value

    c = Clock()
    for module in (points_ledger, loyalty):
        monkeypatch.setattr(module, "utcnow", lambda: c.now)
    return c


def test_quantity_rule_uses_the_most_specific_rule_per_line(db):
    tools = make_product_group(name="Elektronarzędzia")
    drills = make_product_group(name="Wiertarki", parent=tools)
    p1 = make_product(group=drills)
    p2 = make_product(group=drills)
    p3 = make_product(group=tools)
    p4 = make_product()
    make_rule("quantity", product=p1, points=5)
    make_rule("quantity", product_group=tools, points=2)
    make_rule("quantity", product_group=drills, points=3)
    order = make_order(lines=[(p1, 3, 10), (p2, 4, 10), (p3, "2.5", 10), (p4, 10, 10)])

    quote = quote_order(order)

    # p1: 3 × 5 (product rule) + p2: 4 × 3 (subgroup) + p3: 2.5 × 2 (group) + p4: nothing
    assert quote.points == 15 + 12 + 5
    assert [row["points"] for row in quote.details["lines"]] == ["15", "12", "5"]


def test_value_rules_add_up_per_full_step_of_net_value(db):
    make_rule("value", points=1, per_amount=10)
    make_rule("value", points=5, per_amount=100)
    order = make_order(total_net=Decimal("1234.56"))

    # 123 full tens + 12 full hundreds × 5
    assert quote_order(order).points == 123 + 60


def test_value_rule_falls_back_to_the_sum_of_lines(db):
    make_rule("value", points=2, per_amount="25.00")
    order = make_order(lines=[(make_product(), 3, "33.33")])  # 99.99 net

    assert quote_order(order).points == 6


def test_customer_group_multiplier_applies_the_highest_one_and_rounds_down(db):
    vip, other = make_group(name="VIP"), make_group(name="Hurt")
    product = make_product()
    make_rule("quantity", product=product, points="1.55")
    make_rule("value", points=1, per_amount=10)
    make_rule("multiplier", customer_group=vip, multiplier="1.5")
    make_rule("multiplier", customer_group=vip, multiplier="1.25")
    make_rule("multiplier", customer_group=other, multiplier=3)
    customer = make_customer(group=vip)
    order = make_order(customer, lines=[(product, 10, 12)])  # 15.5 + 12 points

    assert quote_order(order).points == 41  # (15.5 + 12) × 1.5 = 41.25
    plain = make_order(make_customer(), lines=[(product, 10, 12)])
    assert quote_order(plain).points == 27


def test_rules_for_a_customer_group_and_date_range_use_warsaw_time(db):
    vip = make_group()
    product = make_product()
    make_rule(
        "quantity",
        product=product,
        points=10,
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2026, 1, 31),
    )
    make_rule("quantity", product=product, points=1, customer_group=vip)
    # 23:30 UTC on 31 January is already 1 February in Warsaw
    late = make_order(lines=[(product, 1, 10)], placed_at=at(2026, 1, 31, 23, 30))
    inside = make_order(lines=[(product, 1, 10)], placed_at=at(2026, 1, 31, 22, 30))
    vip_customer = make_customer(group=vip)
    vip_order = make_order(vip_customer, lines=[(product, 1, 10)], placed_at=late.placed_at)

    assert quote_order(inside).points == 10
    assert quote_order(late).points == 0
    assert quote_order(vip_order).points == 1


def test_points_are_pending_when_placed_and_confirmed_once_when_paid(db):
    set_programme(earn_on=EarnTrigger.PAID)
    make_rule("value", points=1, per_amount=10)
    order = make_order(total_net=Decimal("500.00"))
    cid = order.customer_id

    fire(order, "placed")
    assert (loyalty.balance(cid), loyalty.pending(cid)) == (0, 50)
    fire(order, "placed")
    fire(order, "shipped")
    assert (loyalty.balance(cid), loyalty.pending(cid)) == (0, 50)

    order.total_net = Decimal("620.00")  # the order changed before payment
    fire(order, "paid")
    fire(order, "paid")  # re-delivered under another event id
    fire(order, "delivered")
    assert (loyalty.balance(cid), loyalty.pending(cid)) == (62, 0)
    earns = db.session.scalars(select(PointsEntry).where(PointsEntry.customer_id == cid)).all()
    assert [(e.kind, e.points, e.remaining) for e in earns] == [(EntryKind.EARN, 62, 62)]


def test_points_can_be_confirmed_on_delivery_instead(db):
    set_programme(earn_on=EarnTrigger.DELIVERED, pending_on_placed=False)
    make_rule("value", points=1, per_amount=10)
    order = make_order(total_net=Decimal("99.00"))

    fire(order, "placed")
    fire(order, "paid")
    assert loyalty.pending(order.customer_id) == 0 and loyalty.balance(order.customer_id) == 0
    fire(order, "delivered")
    assert loyalty.balance(order.customer_id) == 9


def test_inactive_programme_earns_nothing(db):
    set_programme(active=False)
    make_rule("value", points=1, per_amount=10)
    order = make_order(total_net=Decimal("100"))
    fire(order, "paid")
    assert loyalty.balance(order.customer_id) == 0


def test_cancelling_a_pending_order_voids_its_points(db):
    make_rule("value", points=1, per_amount=10)
    order = make_order(total_net=Decimal("300"))
    fire(order, "placed")
    fire(order, "cancelled")
    fire(order, "cancelled")
    assert (loyalty.balance(order.customer_id), loyalty.pending(order.customer_id)) == (0, 0)
    earn = db.session.scalars(select(PointsEntry)).one()
    assert earn.status == EntryStatus.VOID


def test_cancelling_a_paid_order_reverses_its_points_once(db):
    make_rule("value", points=1, per_amount=10)
    customer = make_customer()
    order = make_order(customer, total_net=Decimal("2000"))
    other = make_order(customer, total_net=Decimal("300"))
    fire(order, "paid")
    fire(other, "paid")
    assert loyalty.balance(customer.id) == 230

    fire(order, "cancelled")
    fire(order, "cancelled")

    assert loyalty.balance(customer.id) == 30
    reversal = db.session.scalars(
        select(PointsEntry).where(PointsEntry.kind == EntryKind.REVERSAL)
    ).one()
    assert reversal.points == -200 and reversal.order_id == order.id
    assert lots_total(customer.id) == 30


def test_reversal_never_takes_the_balance_below_zero(db):
    make_rule("value", points=1, per_amount=10)
    customer = make_customer()
    order = make_order(customer, total_net=Decimal("2000"))
    fire(order, "paid")
    points_ledger.spend_points(SYSTEM, customer.id, 150)

    fire(order, "cancelled")

    assert loyalty.balance(customer.id) == 0
    reversal = db.session.scalars(
        select(PointsEntry).where(PointsEntry.kind == EntryKind.REVERSAL)
    ).one()
    assert reversal.points == -50 and "150" in reversal.note


def test_spending_takes_the_oldest_points_first_and_expiry_takes_the_rest(db, clock):
    set_programme(expiry_months=12)
    customer = make_customer()
    clock.set(at(2025, 1, 10, 12))
    first = give_points(customer, 100)
    clock.set(at(2025, 3, 10, 12))
    second = give_points(customer, 50)
    clock.set(at(2025, 4, 1, 12))
    spend = points_ledger.spend_points(SYSTEM, customer.id, 60)

    assert (first.remaining, second.remaining) == (40, 50)
    allocations = db.session.scalars(
        select(PointsAllocation).where(PointsAllocation.debit_id == spend.id)
    ).all()
    assert [(a.lot_id, a.points) for a in allocations] == [(first.id, 60)]

    assert _expire(at(2026, 1, 10, 11)) == 0  # one hour before the first lot expires
    assert _expire(at(2026, 1, 10, 13)) == 40
    assert loyalty.balance(customer.id) == 50
    assert _expire(at(2026, 1, 11, 13)) == 0  # the job running twice expires nothing more
    assert _expire(at(2026, 3, 11, 0)) == 50
    assert loyalty.balance(customer.id) == 0 and lots_total(customer.id) == 0
    kinds = db.session.scalars(
        select(PointsEntry.points)
        .where(PointsEntry.kind == EntryKind.EXPIRY)
        .order_by(PointsEntry.id)
    ).all()
    assert kinds == [-40, -50]


def _expire(now):
    total = 0
    for cid in points_ledger.customers_with_expired_points(now):
        total += points_ledger.expire_customer_points(SYSTEM, cid, now)
    return total


def test_refund_puts_points_back_into_their_lots_or_a_fresh_lot(db, clock):
    set_programme(expiry_months=1)
    customer = make_customer()
    clock.set(at(2025, 1, 1, 12))
    old = give_points(customer, 30)
    clock.set(at(2025, 1, 20, 12))
    new = give_points(customer, 30)
    spend = points_ledger.spend_points(SYSTEM, customer.id, 50)
    clock.set(at(2025, 2, 5, 12))  # the old lot has expired meanwhile

    refund = points_ledger.refund_spend(SYSTEM, spend, "Anulowano")
    assert points_ledger.refund_spend(SYSTEM, spend, "Anulowano") is None

    assert refund.points == 50 and refund.remaining == 30
    assert refund.expires_at == at(2025, 3, 5, 12)
    assert new.remaining == 30 and old.remaining == 0
    assert loyalty.balance(customer.id) == 60 == lots_total(customer.id)


def test_spending_more_than_the_balance_is_refused(db):
    customer = make_customer()
    give_points(customer, 10)
    with pytest.raises(Conflict) as err:
        points_ledger.spend_points(SYSTEM, customer.id, 11)
    assert "10" in err.value.message
    assert loyalty.balance(customer.id) == 10


def test_staff_adjustment_needs_a_reason_and_is_audited(db):
    customer = make_customer()
    with pytest.raises(ValidationFailed) as err:
        loyalty.adjust_points(SYSTEM, customer, 50, "")
    assert "reason" in err.value.errors
    with pytest.raises(ValidationFailed):
        loyalty.adjust_points(SYSTEM, customer, 0, "Reklamacja")

    loyalty.adjust_points(SYSTEM, customer, 50, "Rekompensata za opóźnienie")
    with pytest.raises(ValidationFailed) as err:
        loyalty.adjust_points(SYSTEM, customer, -51, "Korekta błędu")
    assert "points" in err.value.errors
    loyalty.adjust_points(SYSTEM, customer, -20, "Korekta błędu")

    assert loyalty.balance(customer.id) == 30 == lots_total(customer.id)
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "loyalty.points_adjust")
    ).all()
    assert [a.summary for a in audit] == ["Rekompensata za opóźnienie", "Korekta błędu"]


def test_summary_shows_points_expiring_soon(db, clock):
    set_programme(expiry_months=1)
    customer = make_customer()
    clock.set(at(2025, 1, 1))
    give_points(customer, 40)
    clock.set(at(2025, 1, 15))
    summary = loyalty.summary(customer.id)
    assert (summary.balance, summary.expiring, summary.expiring_at) == (40, 40, at(2025, 2, 1))
    assert [e.points for e in summary.history] == [40]
