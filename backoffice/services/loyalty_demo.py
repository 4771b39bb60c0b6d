"""Demo data of the loyalty module: programme, rules, points from the demo orders, rewards,
a reward request waiting for approval and a batch of discount codes (``flask demo seed``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.services import loyalty, rewards
from backoffice.services.discount_codes import BatchSpec, assign_to_customers, create_batch
from models.base import utcnow
from models.customers import Customer, CustomerGroup
from models.loyalty import EarnTrigger, PointsRule, Reward, RewardKind, RuleKind
from models.orders import Order, OrderStatus
from models.products import Product

CONFIRMED = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


def seed_loyalty(actor: Actor) -> dict[str, int]:
    """Loyalty demo rows on top of the core demo data; returns counts. No commit."""
    settings = loyalty.programme()
    settings.earn_on, settings.expiry_months = EarnTrigger.PAID, 24
    product = db.session.scalar(select(Product).where(Product.group_id.is_not(None)).limit(1))
    _rules(product)
    points = _points_from_orders(actor)
    customers = db.session.scalars(select(Customer).order_by(Customer.id).limit(5)).all()
    for customer in customers:
        loyalty.adjust_points(actor, customer, 600, "Punkty powitalne (dane demonstracyjne)")
    catalogue = _rewards(product)
    if customers:
        rewards.request_reward(
            actor,
            customers[0],
            catalogue[0],
            1,
            shipping_address=str(customers[0].address("billing") or ""),
        )
    batch = create_batch(
        actor,
        BatchSpec(
            name="Wiosna 2026 — 10% (demo)",
            count=500,
            kind="percent",
            value=Decimal(10),
            prefix="WIOSNA-",
            max_discount=Decimal("200.00"),
            valid_from=utcnow(),
            valid_to=utcnow() + dt.timedelta(days=90),
            usage_limit_per_customer=1,
        ),
    )
    assign_to_customers(actor, batch, customers)
    return {"loyalty_points": points, "rewards": len(catalogue), "discount_codes": batch.count}


def _rules(product: Product | None) -> None:
    db.session.add(
        PointsRule(name="1 pkt za każde 10 zł netto", kind=RuleKind.VALUE, points=1, per_amount=10)
    )
    if product is not None:
        db.session.add(
            PointsRule(
                name=f"Premia za grupę {product.group.name}",
                kind=RuleKind.QUANTITY,
                product_group_id=product.group_id,
                points=5,
            )
        )
    group = db.session.scalar(select(CustomerGroup).order_by(CustomerGroup.id).limit(1))
    if group is not None:
        db.session.add(
            PointsRule(
                name=f"Mnożnik {group.name}",
                kind=RuleKind.MULTIPLIER,
                customer_group_id=group.id,
                multiplier=Decimal("1.5"),
            )
        )
    db.session.flush()


def _points_from_orders(actor: Actor) -> int:
    total = 0
    for order in db.session.scalars(select(Order).order_by(Order.id)):
        entry = loyalty.record_order_points(actor, order, confirm=order.status in CONFIRMED)
        total += entry.points if entry is not None else 0
    return total


def _rewards(product: Product | None) -> list[Reward]:
    catalogue = [
        Reward(
            name="Kubek termiczny z logo",
            kind=RewardKind.ITEM,
            points_price=300,
            stock=40,
            description="Stalowy kubek 450 ml, utrzymuje ciepło do 6 godzin.",
        ),
        Reward(
            name="Rabat 50 zł na kolejne zamówienie",
            kind=RewardKind.DISCOUNT,
            points_price=500,
            discount_value=Decimal("50.00"),
        ),
    ]
    if product is not None:
        catalogue.append(
            Reward(name=product.name, kind=RewardKind.PRODUCT, points_price=2500, product=product)
        )
    db.session.add_all(catalogue)
    db.session.flush()
    return catalogue
