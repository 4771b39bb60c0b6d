"""How many points an order earns under the programme's rules.

* Quantity rules give points per unit of a product or of any product in a product group
  (subgroups included). Each order line earns from its most specific rule only: a product
  rule beats a group rule, a subgroup beats its parent; a tie goes to the higher rate.
* Value rules give points per full X PLN of the order's net value; all of them add up.
* Multiplier rules multiply the sum for customers of a group; the highest one applies.
* A rule counts when the order was placed (Warsaw date) within its dates. Quantity and
  value rules may be limited to one customer group. The total is rounded down.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from models.base import utcnow
from models.loyalty import PointsRule, RuleKind
from models.orders import Order
from models.products import ProductGroup

WARSAW = ZoneInfo("Europe/Warsaw")


@dataclass
class PointsQuote:
    """Points an order earns, with how they were computed (kept on the ledger row)."""

    points: int
    details: dict[str, Any] = field(default_factory=dict)


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 10.000 → "10", 1.500 → "1.5"."""
    return format(Decimal(value).normalize(), "f")


def warsaw_day(moment: dt.datetime | None) -> dt.date:
    """The calendar day in Warsaw of an aware instant (now when None)."""
    return (moment or utcnow()).astimezone(WARSAW).date()


def rules_on(day: dt.date) -> list[PointsRule]:
    """Active rules valid on ``day``."""
    rules = db.session.scalars(select(PointsRule).where(PointsRule.active.is_(True))).all()
    return [r for r in rules if r.valid_on(day)]


def order_net_value(order: Order) -> Decimal:
    """The order's net value: its total if the shop sent one, else the sum of its lines."""
    if order.total_net is not None:
        return order.total_net
    return sum(
        (line.quantity * (line.unit_price_net or Decimal(0)) for line in order.lines),
        Decimal(0),
    )


def quote_order(order: Order) -> PointsQuote:
    """Points for ``order`` under the rules valid on the day it was placed."""
    day = warsaw_day(order.placed_at)
    group_id = order.customer.group_id if order.customer else None
    rules = [
        r
        for r in rules_on(day)
        if r.kind == RuleKind.MULTIPLIER or r.customer_group_id in (None, group_id)
    ]
    lines, line_points = _quantity_points(order, [r for r in rules if r.kind == RuleKind.QUANTITY])
    value_rows, value_points = _value_points(order, [r for r in rules if r.kind == RuleKind.VALUE])
    multipliers = [
        r.multiplier
        for r in rules
        if r.kind == RuleKind.MULTIPLIER
        and group_id is not None
        and r.customer_group_id == group_id
    ]
    multiplier = max(multipliers, default=Decimal(1))
    base = line_points + value_points
    points = int((base * multiplier).to_integral_value(rounding=ROUND_FLOOR))
    return PointsQuote(
        points=max(points, 0),
        details={
            "day": day.isoformat(),
            "lines": lines,
            "value": value_rows,
            "base": plain(base),
            "multiplier": plain(multiplier),
            "points": max(points, 0),
        },
    )


def _quantity_points(order: Order, rules: list[PointsRule]) -> tuple[list[dict], Decimal]:
    if not rules:
        return [], Decimal(0)
    parents = dict(db.session.execute(select(ProductGroup.id, ProductGroup.parent_id)).all())
    rows, total = [], Decimal(0)
    for line in order.lines:
        product = line.product
        if product is None:
            continue
        ancestry = _ancestry(product.group_id, parents)
        best = _best_rule(product.id, ancestry, rules)
        if best is None:
            continue
        points = line.quantity * best.points
        total += points
        rows.append(
            {
                "line_no": line.line_no,
                "sku": product.sku,
                "quantity": plain(line.quantity),
                "rule": best.name,
                "points": plain(points),
            }
        )
    return rows, total


def _ancestry(group_id: int | None, parents: dict[int, int | None]) -> list[int]:
    """The group, its parent, …, up to the root (guarded against cycles)."""
    chain: list[int] = []
    while group_id is not None and group_id not in chain:
        chain.append(group_id)
        group_id = parents.get(group_id)
    return chain


def _best_rule(product_id: int, ancestry: list[int], rules: list[PointsRule]):
    best, best_key = None, None
    for rule in rules:
        if rule.product_id is not None:
            if rule.product_id != product_id:
                continue
            key = (len(ancestry) + 1, rule.points)
        elif rule.product_group_id in ancestry:
            key = (len(ancestry) - ancestry.index(rule.product_group_id), rule.points)
        else:
            continue
        if best_key is None or key > best_key:
            best, best_key = rule, key
    return best


def _value_points(order: Order, rules: list[PointsRule]) -> tuple[list[dict], Decimal]:
    if not rules:
        return [], Decimal(0)
    net = order_net_value(order)
    rows, total = [], Decimal(0)
    for rule in rules:
        steps = int((net / rule.per_amount).to_integral_value(rounding=ROUND_FLOOR))
        if steps <= 0:
            continue
        points = steps * rule.points
        total += points
        rows.append({"rule": rule.name, "net": plain(net), "steps": steps, "points": plain(points)})
    return rows, total


def validate_rule(rule: PointsRule) -> None:
    """Kind-specific checks of a rule; ValidationFailed names the fields to fix."""
    errors: dict[str, list[str]] = {}
    if not (rule.name or "").strip():
        errors["name"] = [_("Give the rule a name.")]
    kind = RuleKind(rule.kind) if rule.kind else None
    if kind is None:
        errors["kind"] = [_("Choose the kind of rule.")]
    if kind == RuleKind.QUANTITY:
        if (rule.product_id or rule.product) is None and (
            rule.product_group_id or rule.product_group
        ) is None:
            errors["product"] = [_("Choose a product or a product group.")]
        if rule.product is not None and rule.product_group is not None:
            errors["product_group"] = [_("Choose either a product or a product group.")]
    if kind in (RuleKind.QUANTITY, RuleKind.VALUE) and not (rule.points or 0) > 0:
        errors["points"] = [_("Give the number of points (more than zero).")]
    if kind == RuleKind.VALUE and not (rule.per_amount or 0) > 0:
        errors["per_amount"] = [_("Give the amount in PLN that earns the points.")]
    if kind == RuleKind.MULTIPLIER:
        if not (rule.multiplier or 0) > 0:
            errors["multiplier"] = [_("Give a multiplier greater than zero, e.g. 1.5.")]
        if (rule.customer_group_id or rule.customer_group) is None:
            errors["customer_group"] = [_("Choose the customer group the multiplier is for.")]
    if rule.valid_from and rule.valid_to and rule.valid_from > rule.valid_to:
        errors["valid_to"] = [_("The end date is before the start date.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
