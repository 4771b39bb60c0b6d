"""Rewards: the catalogue and the redemption workflow.

requested → approved → shipped (an item or a catalogue product) | issued (a value discount:
a personal one-off discount code is created), or cancelled from requested/approved (points
and stock come back). Points and stock are taken when the request is made, under the
customer's account lock and a conditional stock update, so neither can go negative however
many requests race. Every step is audited and notifies the customer. Nothing commits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select, update

from backoffice.actors import Actor
from backoffice.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from backoffice.services.discount_codes import BatchSpec, assign_to_customers, create_batch
from backoffice.services.loyalty_rules import warsaw_day
from backoffice.services.points_ledger import balance, lock_account, refund_spend, spend_points
from backoffice.services.reward_notices import notify_redemption as _notify
from backoffice.services.uploads import check_upload, store_upload
from models.base import utcnow
from models.discount_codes import BatchSource, DiscountCode, DiscountKind
from models.loyalty import (
    EntryKind,
    PointsEntry,
    RedemptionStatus,
    Reward,
    RewardKind,
    RewardRedemption,
)

MAX_QUANTITY = 100
IMAGE_MAX_BYTES = 5 * 1024 * 1024


# --- catalogue --------------------------------------------------------------------------


def validate_reward(reward: Reward) -> None:
    """Kind-specific checks of a catalogue entry; ValidationFailed names the fields."""
    errors: dict[str, list[str]] = {}
    if not (reward.name or "").strip():
        errors["name"] = [_("Give the reward a name.")]
    if not reward.points_price or reward.points_price <= 0:
        errors["points_price"] = [_("The price in points must be greater than zero.")]
    if reward.stock is not None and reward.stock < 0:
        errors["stock"] = [_("Stock cannot be negative.")]
    if reward.kind == RewardKind.ITEM and reward.stock is None:
        errors["stock"] = [_("Give the stock of this item.")]
    if reward.kind == RewardKind.PRODUCT and reward.product_id is None and reward.product is None:
        errors["product"] = [_("Choose the catalogue product.")]
    if reward.kind == RewardKind.DISCOUNT and not (reward.discount_value or 0) > 0:
        errors["discount_value"] = [_("Give the value of the discount.")]
    if reward.code_valid_days is not None and not 1 <= reward.code_valid_days <= 3650:
        errors["code_valid_days"] = [_("Between 1 and 3650 days.")]
    frm, to = reward.available_from, reward.available_to
    if frm and to and frm > to:
        errors["available_to"] = [_("The end of availability is before its start.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)


def set_reward_image(actor: Actor, reward: Reward, upload) -> None:
    """Store a JPEG or PNG picture of the reward (checked by content, at most 5 MB)."""
    checked = check_upload(upload, kinds=("jpeg", "png"), max_bytes=IMAGE_MAX_BYTES, field="image")
    stored = store_upload(checked, folder="rewards")
    reward.image_path, reward.image_type = stored.path, stored.mimetype
    record(actor, "reward.image", reward, summary=checked.filename)


def available_rewards(day: dt.date | None = None) -> list[Reward]:
    """Rewards a customer may request today, cheapest first."""
    day = day or warsaw_day(None)
    rows = db.session.scalars(
        select(Reward).where(Reward.active.is_(True)).order_by(Reward.points_price, Reward.name)
    ).all()
    return [r for r in rows if r.available_on(day)]


# --- requesting -------------------------------------------------------------------------


def request_reward(
    actor: Actor,
    customer,
    reward: Reward,
    quantity: int = 1,
    *,
    via: str = "console",
    portal_user=None,
    shipping_address: str | None = None,
    note: str | None = None,
) -> RewardRedemption:
    """Exchange points for a reward: points and stock are taken now (→ requested).

    Raises ValidationFailed (quantity), Conflict (not available, out of stock, not enough
    points). Nothing is written when it raises.
    """
    quantity = _check_quantity(reward, quantity)
    if not reward.available_on(warsaw_day(None)):
        raise Conflict(_("This reward is not available at the moment."), field="reward")
    points = reward.points_price * quantity
    _check_balance(customer.id, points)
    _take_stock(reward, quantity)
    redemption = RewardRedemption(
        customer=customer,
        reward=reward,
        quantity=quantity,
        points=points,
        requested_via=via,
        requested_by=actor.label[:300],
        portal_user_id=getattr(portal_user, "id", None),
        shipping_address=_text(shipping_address),
        customer_note=_text(note),
    )
    db.session.add(redemption)
    db.session.flush()
    spend_points(
        actor, customer.id, points, redemption_id=redemption.id, note=_reward_note(redemption)
    )
    record(actor, "redemption.request", redemption, summary=f"{reward.name} × {quantity}")
    _notify(actor, redemption, "loyalty.redemption_requested")
    return redemption


def _check_balance(customer_id: int, points: int) -> None:
    """Lock the account and refuse before touching stock when the points do not suffice."""
    lock_account(customer_id)
    if (available := balance(customer_id)) < points:
        raise Conflict(
            _(
                "Not enough points: the balance is %(balance)s and %(points)s are needed.",
                balance=available,
                points=points,
            ),
            field="quantity",
        )


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def _check_quantity(reward: Reward, quantity) -> int:
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        quantity = 0
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(
            _("The quantity must be between 1 and %(max)s.", max=MAX_QUANTITY), field="quantity"
        )
    if reward.kind == RewardKind.DISCOUNT and quantity != 1:
        raise ValidationFailed(_("A discount can be requested once at a time."), field="quantity")
    return quantity


def _take_stock(reward: Reward, quantity: int) -> None:
    if reward.stock is None:
        return
    taken = db.session.execute(
        update(Reward)
        .where(Reward.id == reward.id, Reward.stock >= quantity)
        .values(stock=Reward.stock - quantity)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(reward, ["stock"])
    if not taken:
        raise Conflict(
            _("Only %(stock)s left in stock.", stock=reward.stock or 0), field="quantity"
        )


def _reward_note(redemption: RewardRedemption) -> str:
    return f"{redemption.reward.name} × {redemption.quantity}"


# --- the workflow -------------------------------------------------------------------------


def _lock(redemption: RewardRedemption, to: RedemptionStatus) -> None:
    """Lock the redemption's row, reload it and check the step is allowed."""
    db.session.execute(
        select(RewardRedemption)
        .where(RewardRedemption.id == redemption.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if not redemption.can_become(to):
        raise InvalidTransition(
            _(
                "Redemption %(number)s is %(status)s; it cannot become %(to)s.",
                number=redemption.number,
                status=status_label(redemption.status),
                to=status_label(to),
            )
        )


def approve_redemption(actor: Actor, redemption: RewardRedemption) -> None:
    """requested → approved."""
    _lock(redemption, RedemptionStatus.APPROVED)
    redemption.status, redemption.approved_at = RedemptionStatus.APPROVED, utcnow()
    record(actor, "redemption.approve", redemption)
    _notify(actor, redemption, "loyalty.redemption_approved")


def ship_redemption(
    actor: Actor, redemption: RewardRedemption, waybill: str = "", carrier: str = ""
) -> None:
    """approved → shipped, for items and catalogue products (optionally with a waybill)."""
    if redemption.reward.kind == RewardKind.DISCOUNT:
        raise Conflict(_("A discount is issued as a code, not shipped."))
    _lock(redemption, RedemptionStatus.SHIPPED)
    redemption.status, redemption.shipped_at = RedemptionStatus.SHIPPED, utcnow()
    redemption.waybill = (waybill or "").strip()[:64] or None
    redemption.carrier = (carrier or "").strip()[:64] or None
    record(actor, "redemption.ship", redemption, summary=redemption.waybill)
    _notify(actor, redemption, "loyalty.redemption_shipped")


def issue_redemption(actor: Actor, redemption: RewardRedemption) -> None:
    """approved → issued, for a value discount: a personal single-use code is created."""
    reward = redemption.reward
    if reward.kind != RewardKind.DISCOUNT:
        raise Conflict(_("Only a discount reward is issued as a code."))
    _lock(redemption, RedemptionStatus.ISSUED)
    now = utcnow()
    batch = create_batch(
        actor,
        BatchSpec(
            name=_("Reward %(number)s", number=redemption.number),
            count=1,
            kind=DiscountKind.AMOUNT,
            value=(reward.discount_value or Decimal(0)) * redemption.quantity,
            valid_from=now,
            valid_to=now + dt.timedelta(days=reward.code_valid_days or 90),
            usage_limit_total=1,
            source=BatchSource.REWARD,
        ),
    )
    codes = assign_to_customers(actor, batch, [redemption.customer], source="reward")
    code = codes[redemption.customer_id]
    redemption.discount_code = db.session.scalar(
        select(DiscountCode).where(DiscountCode.code == code)
    )
    redemption.status, redemption.issued_at = RedemptionStatus.ISSUED, now
    record(actor, "redemption.issue", redemption, summary=code)
    _notify(actor, redemption, "loyalty.redemption_issued")


def cancel_redemption(
    actor: Actor, redemption: RewardRedemption, reason: str, *, by_customer: bool = False
) -> None:
    """requested/approved → cancelled: points and stock are returned.

    A customer may cancel only while the request waits for approval.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for cancelling."), field="reason")
    if by_customer and redemption.status != RedemptionStatus.REQUESTED:
        raise Forbidden(_("The request has already been approved; contact us to cancel it."))
    _lock(redemption, RedemptionStatus.CANCELLED)
    spend = db.session.scalar(
        select(PointsEntry).where(
            PointsEntry.redemption_id == redemption.id, PointsEntry.kind == EntryKind.SPEND
        )
    )
    if spend is not None:
        refund_spend(actor, spend, _("Cancelled: %(reason)s", reason=reason))
    if redemption.reward.stock is not None:
        db.session.execute(
            update(Reward)
            .where(Reward.id == redemption.reward_id)
            .values(stock=Reward.stock + redemption.quantity)
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(redemption.reward, ["stock"])
    redemption.status, redemption.cancelled_at = RedemptionStatus.CANCELLED, utcnow()
    redemption.cancel_reason = reason[:500]
    record(actor, "redemption.cancel", redemption, summary=reason)
    _notify(actor, redemption, "loyalty.redemption_cancelled")


# --- notifications ------------------------------------------------------------------------


def status_label(status: RedemptionStatus) -> str:
    """The status as users read it."""
    return {
        RedemptionStatus.REQUESTED: _("requested"),
        RedemptionStatus.APPROVED: _("approved"),
        RedemptionStatus.SHIPPED: _("shipped"),
        RedemptionStatus.ISSUED: _("issued"),
        RedemptionStatus.CANCELLED: _("cancelled"),
    }[RedemptionStatus(status)]
