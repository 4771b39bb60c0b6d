"""Console: customers' points accounts — balances, one customer's ledger, staff adjustments
with a reason, and requesting a reward on a customer's behalf."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import case, func, or_, select
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import loyalty, rewards
from models.customers import Customer
from models.loyalty import EntryStatus, PointsEntry, RewardRedemption
from views.admin.base import Category, SecureView
from views.admin.loyalty_common import attach_error

PAGE = 50


class AdjustForm(FlaskForm):
    points = IntegerField(
        _l("Points"),
        validators=[InputRequired(), NumberRange(min=-1_000_000, max=1_000_000)],
        description=_l("Positive to add, negative to take away."),
    )
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(min=3, max=500)])


class RequestForm(FlaskForm):
    reward = SelectField(_l("Reward"), coerce=int, validators=[DataRequired()])
    quantity = IntegerField(
        _l("Quantity"), default=1, validators=[InputRequired(), NumberRange(min=1, max=100)]
    )
    shipping_address = TextAreaField(_l("Shipping address"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


def _balances_subquery():
    confirmed = case((PointsEntry.status == EntryStatus.CONFIRMED, PointsEntry.points), else_=0)
    waiting = case((PointsEntry.status == EntryStatus.PENDING, PointsEntry.points), else_=0)
    return (
        select(
            PointsEntry.customer_id.label("customer_id"),
            func.sum(confirmed).label("balance"),
            func.sum(waiting).label("pending"),
            func.max(PointsEntry.created_at).label("last"),
        )
        .group_by(PointsEntry.customer_id)
        .subquery()
    )


SORTS = {"balance": "balance", "name": "name", "last": "last"}


class PointsAccountsView(SecureView):
    """Customers with points, searchable; each customer's ledger and adjustments."""

    roles = ("marketing",)

    @expose("/")
    def index(self):
        search = (request.args.get("q") or "").strip()
        sort = SORTS.get(request.args.get("sort") or "", "balance")
        page = max(request.args.get("page", 1, type=int), 1)
        sums = _balances_subquery()
        query = select(Customer, sums.c.balance, sums.c.pending, sums.c.last)
        if search:
            like = f"%{search}%"
            query = query.outerjoin(sums, sums.c.customer_id == Customer.id).where(
                or_(
                    Customer.name.ilike(like),
                    Customer.nip == search.replace("-", "").replace(" ", ""),
                    Customer.external_id == search,
                )
            )
        else:
            query = query.join(sums, sums.c.customer_id == Customer.id)
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        order = {
            "balance": (func.coalesce(sums.c.balance, 0).desc(), Customer.name),
            "name": (Customer.name,),
            "last": (sums.c.last.desc(), Customer.name),
        }[sort]
        rows = db.session.execute(
            query.order_by(*order).limit(PAGE).offset((page - 1) * PAGE)
        ).all()
        return self.render(
            "admin/loyalty/accounts.html",
            rows=rows,
            search=search,
            sort=sort,
            page=page,
            pages=max((total + PAGE - 1) // PAGE, 1),
            total=total,
        )

    @expose("/<int:customer_id>/")
    def customer(self, customer_id: int):
        customer = db.session.get(Customer, customer_id) or abort(404)
        return self._render_customer(customer, AdjustForm(), self._request_form())

    def _request_form(self) -> RequestForm:
        form = RequestForm()
        form.reward.choices = [
            (r.id, f"{r.name} — {r.points_price} " + _("pt")) for r in rewards.available_rewards()
        ]
        return form

    def _render_customer(self, customer, adjust_form, request_form):
        page = max(request.args.get("page", 1, type=int), 1)
        total = db.session.scalar(
            select(func.count(PointsEntry.id)).where(PointsEntry.customer_id == customer.id)
        )
        entries = db.session.scalars(
            select(PointsEntry)
            .where(PointsEntry.customer_id == customer.id)
            .order_by(PointsEntry.id.desc())
            .limit(PAGE)
            .offset((page - 1) * PAGE)
        ).all()
        redemptions = db.session.scalars(
            select(RewardRedemption)
            .where(RewardRedemption.customer_id == customer.id)
            .order_by(RewardRedemption.id.desc())
            .limit(20)
        ).all()
        return self.render(
            "admin/loyalty/account.html",
            customer=customer,
            summary=loyalty.summary(customer.id, history=0),
            entries=entries,
            page=page,
            pages=max((total + PAGE - 1) // PAGE, 1),
            redemptions=redemptions,
            adjust_form=adjust_form,
            request_form=request_form,
        )

    @expose("/<int:customer_id>/adjust", methods=("POST",))
    def adjust(self, customer_id: int):
        """A manual correction of the balance with a reason (audited)."""
        customer = db.session.get(Customer, customer_id) or abort(404)
        form = AdjustForm()
        if form.validate_on_submit():
            try:
                loyalty.adjust_points(current_actor(), customer, form.points.data, form.reason.data)
                db.session.commit()
                flash(_("The balance has been adjusted."), "success")
                return redirect(url_for(".customer", customer_id=customer.id))
            except DomainError as exc:
                db.session.rollback()
                attach_error(form, exc)
        return self._render_customer(customer, form, self._request_form())

    @expose("/<int:customer_id>/request", methods=("POST",))
    def request_reward(self, customer_id: int):
        """Staff request a reward for the customer (e.g. asked by phone)."""
        customer = db.session.get(Customer, customer_id) or abort(404)
        form = self._request_form()
        if form.validate_on_submit():
            from models.loyalty import Reward

            reward = db.session.get(Reward, form.reward.data) or abort(404)
            try:
                redemption = rewards.request_reward(
                    current_actor(),
                    customer,
                    reward,
                    form.quantity.data,
                    via="console",
                    shipping_address=form.shipping_address.data,
                    note=form.note.data,
                )
                db.session.commit()
                flash(_("Reward request %(number)s created.", number=redemption.number), "success")
                return redirect(url_for("redemptions.details_view", id=redemption.id))
            except DomainError as exc:
                db.session.rollback()
                attach_error(form, exc)
        return self._render_customer(customer, AdjustForm(), form)


def register(admin) -> None:
    admin.add_view(
        PointsAccountsView(
            name=_l("Points accounts"),
            category=Category.MARKETING,
            endpoint="points_accounts",
            url="/admin/loyalty/accounts",
        )
    )
