"""Factories and helpers for the loyalty and discount-code tests."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy import func, select

from backoffice.actors import SYSTEM
from backoffice.extensions import db
from models.discount_codes import DiscountKind
from models.loyalty import (
    EntryStatus,
    LoyaltyProgramme,
    PointsEntry,
    PointsRule,
    Reward,
    RewardKind,
    RuleKind,
)
from models.orders import OrderEvent

_seq = itertools.count(1)


def set_programme(**values) -> LoyaltyProgramme:
    """Change the programme's settings (creating the row)."""
    from backoffice.services.loyalty import programme

    settings = programme()
    for key, value in values.items():
        setattr(settings, key, value)
    db.session.flush()
    return settings


def make_rule(kind: RuleKind | str = RuleKind.QUANTITY, **overrides) -> PointsRule:
    n = next(_seq)
    for key in ("points", "per_amount", "multiplier"):
        if key in overrides and overrides[key] is not None:
            overrides[key] = Decimal(str(overrides[key]))
    rule = PointsRule(name=overrides.pop("name", f"Reguła {n}"), kind=RuleKind(kind), **overrides)
    db.session.add(rule)
    db.session.flush()
    return rule


def make_reward(kind: RewardKind | str = RewardKind.ITEM, **overrides) -> Reward:
    n = next(_seq)
    kind = RewardKind(kind)
    if kind == RewardKind.ITEM:
        overrides.setdefault("stock", 10)
    if kind == RewardKind.DISCOUNT:
        overrides.setdefault("discount_value", Decimal("50.00"))
    reward = Reward(
        name=overrides.pop("name", f"Kubek termiczny „Łoś” {n}"),
        kind=kind,
        points_price=overrides.pop("points_price", 100),
        **overrides,
    )
    db.session.add(reward)
    db.session.flush()
    return reward


def fire(order, event_type: str, at: dt.datetime | None = None, handlers=None) -> OrderEvent:
    """Store an order event as the integration does and run the loyalty/code handlers."""
    from backoffice.services import discount_codes, loyalty

    event = OrderEvent(
        order=order,
        event_id=f"ev-{next(_seq)}",
        type=event_type,
        at=at or dt.datetime.now(dt.UTC),
    )
    db.session.add(event)
    db.session.flush()
    for handler in handlers or (loyalty.handle_order_event, discount_codes.handle_order_event):
        handler(SYSTEM, order, event)
    db.session.flush()
    return event


def give_points(customer, points: int, reason: str = "Punkty startowe") -> PointsEntry:
    """Credit points by a staff adjustment."""
    from backoffice.services.loyalty import adjust_points

    return adjust_points(SYSTEM, customer, points, reason)


def lots_total(customer_id: int) -> int:
    """Sum of what is left in the customer's lots: must always equal the balance."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(PointsEntry.remaining), 0)).where(
                PointsEntry.customer_id == customer_id,
                PointsEntry.status == EntryStatus.CONFIRMED,
            )
        )
    )


def batch_input(**overrides) -> dict:
    """Keyword arguments for ``create_batch`` with sensible defaults."""
    n = next(_seq)
    values = {
        "name": f"Promocja „Wiosna” {n}",
        "count": 5,
        "prefix": "",
        "code_length": 10,
        "kind": DiscountKind.PERCENT,
        "value": Decimal("10"),
    }
    values.update(overrides)
    return values
