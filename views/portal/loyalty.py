"""Portal: the company's loyalty points (balance, pending, history), the rewards it can
afford, requesting a reward (users allowed to redeem points) and its reward requests."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_number
from backoffice.security import portal_required
from backoffice.services import loyalty as points
from backoffice.services import rewards
from models.loyalty import PointsEntry, Reward, RewardKind, RewardRedemption
from views.form_helpers import send_stored
from views.portal import customers_only, nav_item, portal


def _points_summary(user) -> str:
    return _("Balance: %(points)s points", points=format_number(points.balance(user.customer_id)))


nav_item(
    "portal.loyalty",
    _l("Loyalty points"),
    order=40,
    visible=customers_only,
    summary=_points_summary,
)
PAGE = 20


class RewardRequestForm(FlaskForm):
    quantity = IntegerField(
        _l("Quantity"), default=1, validators=[InputRequired(), NumberRange(min=1, max=100)]
    )
    shipping_address = TextAreaField(
        _l("Delivery address"), validators=[Optional(), Length(max=1000)]
    )
    note = StringField(_l("Note for us"), validators=[Optional(), Length(max=500)])


def _customer():
    if current_user.customer_id is None:
        abort(403)
    return current_user.customer


@portal.get("/loyalty")
@portal_required
def loyalty():
    """Balance, pending and expiring points, history, rewards and our requests."""
    customer = _customer()
    page = max(request.args.get("page", 1, type=int), 1)
    summary = points.summary(customer.id, history=0)
    total = db.session.scalar(
        select(func.count(PointsEntry.id)).where(PointsEntry.customer_id == customer.id)
    )
    history = db.session.scalars(
        select(PointsEntry)
        .where(PointsEntry.customer_id == customer.id)
        .order_by(PointsEntry.id.desc())
        .limit(PAGE)
        .offset((page - 1) * PAGE)
    ).all()
    requests = db.session.scalars(
        select(RewardRedemption)
        .where(RewardRedemption.customer_id == customer.id)
        .order_by(RewardRedemption.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "portal/loyalty/index.html",
        summary=summary,
        history=history,
        page=page,
        pages=max((total + PAGE - 1) // PAGE, 1),
        rewards=rewards.available_rewards(),
        requests=requests,
        title=_("Loyalty points"),
    )


def _available_reward(reward_id: int) -> Reward:
    reward = db.session.get(Reward, reward_id)
    if reward is None or not reward.active:
        abort(404)
    return reward


@portal.route("/loyalty/rewards/<int:reward_id>", methods=["GET", "POST"])
@portal_required
def loyalty_reward(reward_id: int):
    """A reward's page with the request form."""
    customer = _customer()
    reward = _available_reward(reward_id)
    form = RewardRequestForm()
    if request.method == "GET" and reward.kind != RewardKind.DISCOUNT:
        address = customer.address("shipping") or customer.address("billing")
        form.shipping_address.data = f"{customer.name}\n{address}" if address else customer.name
    if form.validate_on_submit():
        if not current_user.can_redeem_points:
            abort(403)
        try:
            redemption = rewards.request_reward(
                current_actor(),
                customer,
                reward,
                form.quantity.data,
                via="portal",
                portal_user=current_user,
                shipping_address=form.shipping_address.data,
                note=form.note.data,
            )
            db.session.commit()
            flash(
                _(
                    "Thank you! Request %(number)s is waiting for approval.",
                    number=redemption.number,
                ),
                "success",
            )
            return redirect(url_for("portal.loyalty"))
        except DomainError as exc:
            db.session.rollback()
            form.quantity.errors = [*form.quantity.errors, exc.message]
    return render_template(
        "portal/loyalty/reward.html",
        reward=reward,
        form=form,
        balance=points.balance(customer.id),
        title=reward.name,
    )


@portal.get("/loyalty/rewards/<int:reward_id>/image")
@portal_required
def loyalty_reward_image(reward_id: int):
    """The reward's picture."""
    return send_stored(_available_reward(reward_id).image_path, max_age=300)


@portal.post("/loyalty/requests/<int:redemption_id>/cancel")
@portal_required
def loyalty_cancel_request(redemption_id: int):
    """Withdraw our own request while it waits for approval (points come back)."""
    customer = _customer()
    redemption = db.session.get(RewardRedemption, redemption_id)
    if redemption is None or redemption.customer_id != customer.id:
        abort(404)
    if not current_user.can_redeem_points:
        abort(403)
    try:
        rewards.cancel_redemption(
            current_actor(), redemption, _("Withdrawn by the customer"), by_customer=True
        )
        db.session.commit()
        flash(_("The request has been withdrawn and the points returned."), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for("portal.loyalty"))
