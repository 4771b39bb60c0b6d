"""Discount codes at checkout: validate, redeem (exactly once per order), release.

A redemption locks the code's row (``SELECT … FOR UPDATE``) and, when the batch limits uses
per customer, a transaction-scoped lock on (batch, customer); limits are checked and the use
is written under those locks, so concurrent checkouts can never exceed a limit. The unique
(code, order) pair makes a repeated redemption of the same order return the same answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import DomainError, ValidationFailed
from backoffice.extensions import db
from models.base import utcnow
from models.customers import Customer
from models.discount_codes import (
    BatchStatus,
    DiscountCode,
    DiscountCodeBatch,
    DiscountCodeUse,
    DiscountKind,
    UseStatus,
)
from models.orders import Order, OrderStatus
from models.products import Product, ProductGroup

CENT = Decimal("0.01")

#: Why a code is refused → HTTP status of a refused redemption.
REASON_STATUS = {
    "unknown": 422,
    "inactive": 422,
    "not_started": 422,
    "expired": 422,
    "blocked": 422,
    "not_for_customer": 422,
    "customer_group": 422,
    "first_order": 422,
    "min_order_value": 422,
    "no_eligible_lines": 422,
    "exhausted": 409,
    "customer_limit": 409,
    "order_has_code": 409,
}


class CodeRefused(DomainError):
    """A code that cannot be applied; ``reason`` is a stable machine-readable key."""

    def __init__(self, reason: str, message: str):
        super().__init__(message, field="code")
        self.reason = reason
        self.status_code = REASON_STATUS[reason]


@dataclass(frozen=True)
class CheckoutLine:
    """An order line as the shop sends it: product and net value (or quantity × unit price)."""

    product_external_id: str | None
    quantity: Decimal = Decimal(1)
    unit_price_net: Decimal | None = None
    net_value: Decimal | None = None

    @property
    def value(self) -> Decimal:
        if self.net_value is not None:
            return self.net_value
        return self.quantity * (self.unit_price_net or Decimal(0))


@dataclass
class CodeQuote:
    """The outcome of validating a code for a basket."""

    valid: bool
    discount: Decimal
    reason: str | None = None
    reason_code: str | None = None
    code: DiscountCode | None = None


def normalise_code(text: str | None) -> str:
    """What the customer typed, as stored: upper case, no spaces."""
    return "".join((text or "").split()).upper()


def find_code(text: str | None) -> DiscountCode:
    code = db.session.scalar(select(DiscountCode).where(DiscountCode.code == normalise_code(text)))
    if code is None:
        raise CodeRefused("unknown", _("There is no such discount code."))
    return code


def validate_code(
    text: str,
    customer_external_id: str,
    order_value: Decimal,
    lines: Iterable[CheckoutLine] = (),
    order_external_id: str | None = None,
) -> CodeQuote:
    """Would the code apply to this basket, and for how much? Changes nothing."""
    try:
        code = find_code(text)
        if order_external_id:
            done = _use_for_order(code.id, order_external_id)
            if done is not None and done.status == UseStatus.ACTIVE:
                return CodeQuote(True, done.discount, code=code)
        customer = _customer(customer_external_id)
        discount = _evaluate(
            code, customer, customer_external_id, order_value, list(lines), order_external_id
        )
    except CodeRefused as refused:
        return CodeQuote(False, Decimal("0.00"), refused.message, refused.reason)
    return CodeQuote(True, discount, code=code)


def redeem_code(
    actor: Actor,
    text: str,
    customer_external_id: str,
    order_external_id: str,
    order_value: Decimal,
    lines: Iterable[CheckoutLine] = (),
) -> tuple[DiscountCodeUse, bool]:
    """Apply the code to the order; returns (use, created). Raises CodeRefused.

    Idempotent per (code, order): a repeat returns the stored use with ``created`` False.
    An order may carry one code; a released use (cancelled order) may be redeemed again.
    """
    _check_inputs(customer_external_id, order_external_id, order_value)
    code = find_code(text)
    _refuse_second_code(code, order_external_id)
    code = _lock_code(code.id)
    use = _use_for_order(code.id, order_external_id)
    if use is not None and use.status == UseStatus.ACTIVE:
        return use, False
    if code.batch.usage_limit_per_customer:
        _lock_customer(code.batch_id, customer_external_id)
    customer = _customer(customer_external_id)
    lines = list(lines) or _stored_lines(order_external_id)
    discount = _evaluate(
        code, customer, customer_external_id, order_value, lines, order_external_id
    )
    try:
        with db.session.begin_nested():
            use = _store_use(use, code, customer, customer_external_id, order_external_id)
            use.order_value, use.discount = order_value, discount
    except IntegrityError:  # another code was applied to the same order meanwhile
        _refuse_second_code(code, order_external_id)
        raise
    return use, True


def _lock_code(code_id: int) -> DiscountCode:
    """The code's row, locked for the rest of the transaction and freshly read."""
    return db.session.execute(
        select(DiscountCode)
        .where(DiscountCode.id == code_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _store_use(use, code, customer, customer_key: str, order_key: str) -> DiscountCodeUse:
    """A new (or re-activated) use of the code by the order; counts it on the code."""
    order_id = db.session.scalar(select(Order.id).where(Order.external_id == order_key))
    if use is None:
        use = DiscountCodeUse(batch_id=code.batch_id, order_external_id=order_key)
        use.code = code
        db.session.add(use)
    use.status, use.released_at, use.release_reason = UseStatus.ACTIVE, None, None
    use.customer_id = customer.id if customer else None
    use.customer_external_id, use.order_id, use.used_at = customer_key, order_id, utcnow()
    code.use_count += 1
    return use


def release_order_codes(actor: Actor, order_external_id: str, reason: str) -> list[DiscountCodeUse]:
    """Give back the uses of an order (cancelled): they stop counting against limits."""
    released = []
    uses = db.session.scalars(
        select(DiscountCodeUse).where(
            DiscountCodeUse.order_external_id == order_external_id,
            DiscountCodeUse.status == UseStatus.ACTIVE,
        )
    ).all()
    for use in uses:
        code = _lock_code(use.code_id)
        db.session.refresh(use)
        if use.status != UseStatus.ACTIVE:
            continue
        use.status, use.released_at, use.release_reason = UseStatus.RELEASED, utcnow(), reason
        code.use_count -= 1
        released.append(use)
    db.session.flush()
    return released


# --- the rules --------------------------------------------------------------------------


def _evaluate(code, customer, customer_key, order_value, lines, order_external_id) -> Decimal:
    """The discount for this basket, or CodeRefused saying why not."""
    batch: DiscountCodeBatch = code.batch
    _check_batch(batch, code)
    _check_customer(batch, code, customer, customer_key, order_external_id)
    if batch.min_order_value is not None and order_value < batch.min_order_value:
        raise CodeRefused(
            "min_order_value",
            _(
                "The code needs an order of at least %(value)s PLN net.",
                value=batch.min_order_value,
            ),
        )
    if batch.usage_limit_total is not None and code.use_count >= batch.usage_limit_total:
        raise CodeRefused("exhausted", _("This code has already been used up."))
    if batch.usage_limit_per_customer is not None:
        used = _customer_uses(batch.id, customer_key, order_external_id)
        if used >= batch.usage_limit_per_customer:
            raise CodeRefused(
                "customer_limit", _("You have already used this promotion as often as allowed.")
            )
    return _discount(batch, order_value, _eligible_value(batch, order_value, lines))


def _check_batch(batch: DiscountCodeBatch, code: DiscountCode) -> None:
    now = utcnow()
    if not batch.active or batch.status != BatchStatus.READY:
        raise CodeRefused("inactive", _("This code is not active."))
    if code.blocked:
        raise CodeRefused("blocked", _("This code has been blocked."))
    if batch.valid_from is not None and now < batch.valid_from:
        raise CodeRefused("not_started", _("This code is not valid yet."))
    if batch.valid_to is not None and now > batch.valid_to:
        raise CodeRefused("expired", _("This code has expired."))


def _check_customer(batch, code, customer, customer_key, order_external_id) -> None:
    if code.customer_id is not None and (customer is None or customer.id != code.customer_id):
        raise CodeRefused("not_for_customer", _("This code belongs to another customer."))
    group_ids = {g.id for g in batch.customer_groups}
    if group_ids and (customer is None or customer.group_id not in group_ids):
        raise CodeRefused("customer_group", _("This code is not available to your customer group."))
    if batch.first_order_only and _has_earlier_order(customer, customer_key, order_external_id):
        raise CodeRefused("first_order", _("This code is valid only for a first order."))


def _has_earlier_order(customer, customer_key: str, order_external_id: str | None) -> bool:
    other = order_external_id or ""
    if customer is not None:
        orders = db.session.scalar(
            select(func.count(Order.id)).where(
                Order.customer_id == customer.id,
                Order.status != OrderStatus.CANCELLED,
                Order.external_id != other,
            )
        )
        if orders:
            return True
    uses = db.session.scalar(
        select(func.count(DiscountCodeUse.id)).where(
            DiscountCodeUse.customer_external_id == customer_key,
            DiscountCodeUse.status == UseStatus.ACTIVE,
            DiscountCodeUse.order_external_id != other,
        )
    )
    return bool(uses)


def _eligible_value(batch: DiscountCodeBatch, order_value: Decimal, lines) -> Decimal:
    group_ids = {g.id for g in batch.product_groups}
    if not group_ids:
        return order_value
    parents = dict(db.session.execute(select(ProductGroup.id, ProductGroup.parent_id)).all())
    keys = {line.product_external_id for line in lines if line.product_external_id}
    groups = (
        dict(
            db.session.execute(
                select(Product.external_id, Product.group_id).where(Product.external_id.in_(keys))
            ).all()
        )
        if keys
        else {}
    )
    eligible = Decimal(0)
    for line in lines:
        group = groups.get(line.product_external_id)
        seen = set()
        while group is not None and group not in seen:
            if group in group_ids:
                eligible += line.value
                break
            seen.add(group)
            group = parents.get(group)
    if eligible <= 0:
        raise CodeRefused(
            "no_eligible_lines", _("The code applies to none of the products in the order.")
        )
    return min(eligible, order_value)


def _discount(batch: DiscountCodeBatch, order_value: Decimal, eligible: Decimal) -> Decimal:
    if batch.kind == DiscountKind.PERCENT:
        amount = eligible * batch.value / 100
    else:
        amount = min(batch.value, eligible)
    if batch.max_discount is not None:
        amount = min(amount, batch.max_discount)
    return min(amount, order_value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- helpers ----------------------------------------------------------------------------


def _check_inputs(customer_key: str, order_key: str, order_value: Decimal) -> None:
    errors: dict[str, list[str]] = {}
    if not (customer_key or "").strip():
        errors["customer_external_id"] = [_("The customer is required.")]
    if not (order_key or "").strip():
        errors["order_external_id"] = [_("The order is required.")]
    if order_value is None or order_value < 0:
        errors["order_value"] = [_("The order value cannot be negative.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)


def _customer(external_id: str | None) -> Customer | None:
    if not external_id:
        return None
    return db.session.scalar(select(Customer).where(Customer.external_id == external_id))


def _use_for_order(code_id: int, order_external_id: str) -> DiscountCodeUse | None:
    return db.session.scalar(
        select(DiscountCodeUse)
        .where(
            DiscountCodeUse.code_id == code_id,
            DiscountCodeUse.order_external_id == order_external_id,
        )
        .execution_options(populate_existing=True)
    )


def _refuse_second_code(code: DiscountCode, order_external_id: str) -> None:
    other = db.session.scalar(
        select(DiscountCode.code)
        .join(DiscountCodeUse, DiscountCodeUse.code_id == DiscountCode.id)
        .where(
            DiscountCodeUse.order_external_id == order_external_id,
            DiscountCodeUse.status == UseStatus.ACTIVE,
            DiscountCodeUse.code_id != code.id,
        )
    )
    if other is not None:
        raise CodeRefused(
            "order_has_code", _("The order already uses the code %(code)s.", code=other)
        )


def _customer_uses(batch_id: int, customer_key: str, order_external_id: str | None) -> int:
    return db.session.scalar(
        select(func.count(DiscountCodeUse.id)).where(
            DiscountCodeUse.batch_id == batch_id,
            DiscountCodeUse.customer_external_id == customer_key,
            DiscountCodeUse.status == UseStatus.ACTIVE,
            DiscountCodeUse.order_external_id != (order_external_id or ""),
        )
    )


def _lock_customer(batch_id: int, customer_key: str) -> None:
    """Serialise one customer's redemptions within a batch (PostgreSQL advisory lock)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite serialises writers anyway
    digest = hashlib.blake2b(f"discount:{batch_id}:{customer_key}".encode(), digest_size=8)
    key = int.from_bytes(digest.digest(), "big", signed=True)
    db.session.execute(select(func.pg_advisory_xact_lock(key)))


def _stored_lines(order_external_id: str) -> list[CheckoutLine]:
    """Lines of an order the shop already pushed, when the redemption sends none."""
    order = db.session.scalar(select(Order).where(Order.external_id == order_external_id))
    if order is None:
        return []
    return [
        CheckoutLine(
            line.product.external_id if line.product else None,
            line.quantity,
            line.unit_price_net,
        )
        for line in order.lines
    ]
