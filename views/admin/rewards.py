"""Console: the rewards catalogue (with pictures) and the redemption workflow
(approve, ship or issue the code, cancel with points returned)."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.file import FileField
from markupsafe import Markup
from sqlalchemy import select

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import rewards as service
from models.audit import AuditEntry
from models.loyalty import RedemptionStatus, Reward, RewardKind, RewardRedemption
from models.users import Role
from views.admin.base import Category, ReadOnlyModelView
from views.admin.loyalty_common import CheckedModelView, back, badge, when
from views.admin.system_audit import WarsawDateFrom, WarsawDateTo
from views.form_helpers import send_stored

MARKETING = (Role.MARKETING,)
REWARD_KINDS = [
    (RewardKind.ITEM.value, _l("Item outside the shop's offer")),
    (RewardKind.PRODUCT.value, _l("Product from the catalogue")),
    (RewardKind.DISCOUNT.value, _l("Value discount (a discount code)")),
]
STATUS = {
    RedemptionStatus.REQUESTED: (_l("requested"), "warning"),
    RedemptionStatus.APPROVED: (_l("approved"), "info"),
    RedemptionStatus.SHIPPED: (_l("shipped"), "success"),
    RedemptionStatus.ISSUED: (_l("issued"), "success"),
    RedemptionStatus.CANCELLED: (_l("cancelled"), "secondary"),
}


def status_badge(status) -> Markup:
    label, tone = STATUS[RedemptionStatus(status)]
    return badge(label, tone)


def _thumbnail(view, context, model, name):
    if not model.image_path:
        return ""
    src = url_for("rewards.image", reward_id=model.id)
    return Markup(f'<img src="{src}" alt="" style="max-height:48px;max-width:64px">')


class RewardAdmin(CheckedModelView):
    """The catalogue: items with stock, catalogue products, value discounts."""

    roles = MARKETING
    column_list = (
        "image",
        "name",
        "kind",
        "points_price",
        "stock",
        "available_from",
        "available_to",
        "active",
    )
    column_labels = {
        "image": _l("Picture"),
        "name": _l("Name"),
        "description": _l("Description"),
        "kind": _l("Kind"),
        "points_price": _l("Price in points"),
        "product": _l("Catalogue product"),
        "stock": _l("Stock"),
        "discount_value": _l("Discount value (PLN)"),
        "code_valid_days": _l("Code valid for (days)"),
        "available_from": _l("Available from"),
        "available_to": _l("Available to"),
        "active": _l("Active"),
    }
    column_formatters = {
        "image": _thumbnail,
        "kind": lambda v, c, m, n: dict(REWARD_KINDS).get(RewardKind(m.kind).value),
        "stock": lambda v, c, m, n: "∞" if m.stock is None else m.stock,
        "active": lambda v, c, m, n: (
            badge(_("active"), "success") if m.active else badge(_("inactive"), "secondary")
        ),
    }
    column_formatters_export = {
        "image": lambda v, c, m, n: m.image_path or "",
        "kind": lambda v, c, m, n: str(dict(REWARD_KINDS).get(RewardKind(m.kind).value)),
        "active": lambda v, c, m, n: _("yes") if m.active else _("no"),
    }
    column_searchable_list = ("name",)
    column_sortable_list = ("name", "kind", "points_price", "stock", "active")
    column_filters = (
        FilterEqual(Reward.kind, _l("Kind"), options=REWARD_KINDS),
        FilterEqual(Reward.active, _l("Active"), options=[("1", _l("yes")), ("0", _l("no"))]),
    )
    form_columns = (
        "name",
        "kind",
        "description",
        "points_price",
        "product",
        "stock",
        "discount_value",
        "code_valid_days",
        "available_from",
        "available_to",
        "active",
        "image",
    )
    form_choices = {"kind": REWARD_KINDS}
    form_ajax_refs = {"product": {"fields": ("sku", "name", "ean"), "page_size": 20}}
    form_extra_fields = {"image": FileField(_l("Picture (JPEG or PNG, up to 5 MB)"))}
    form_args = {
        "stock": {"description": _l("Required for items; empty means not counted.")},
        "code_valid_days": {"description": _l("For a value discount: how long the code works.")},
    }

    def check(self, model) -> None:
        service.validate_reward(model)

    def after_save(self, form, model, is_created: bool) -> None:
        upload = form.image.data
        if upload is not None and getattr(upload, "filename", ""):
            service.set_reward_image(current_actor(), model, upload)

    @expose("/image/<int:reward_id>")
    def image(self, reward_id: int):
        reward = db.session.get(Reward, reward_id) or abort(404)
        return send_stored(reward.image_path, max_age=300)


class RedemptionAdmin(ReadOnlyModelView):
    """Reward requests and their workflow."""

    roles = MARKETING
    details_template = "admin/loyalty/redemption_details.html"
    column_list = (
        "id",
        "created_at",
        "customer",
        "reward",
        "quantity",
        "points",
        "status",
        "requested_via",
    )
    column_labels = {
        "id": _l("No."),
        "created_at": _l("Requested"),
        "customer": _l("Customer"),
        "reward": _l("Reward"),
        "quantity": _l("Quantity"),
        "points": _l("Points"),
        "status": _l("Status"),
        "requested_via": _l("Via"),
        "customer.name": _l("Customer"),
        "reward.name": _l("Reward"),
    }
    column_formatters = {
        "id": lambda v, c, m, n: m.number,
        "created_at": when,
        "status": lambda v, c, m, n: status_badge(m.status),
    }
    column_formatters_export = {
        "id": lambda v, c, m, n: m.number,
        "status": lambda v, c, m, n: str(STATUS[RedemptionStatus(m.status)][0]),
        "customer": lambda v, c, m, n: m.customer.name,
        "reward": lambda v, c, m, n: m.reward.name,
    }
    column_searchable_list = ("customer.name", "reward.name")
    column_sortable_list = ("id", "created_at", "points", "status")
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(
            RewardRedemption.status,
            _l("Status"),
            options=[(s.value, label) for s, (label, _tone) in STATUS.items()],
        ),
        WarsawDateFrom(RewardRedemption.created_at, _l("Requested")),
        WarsawDateTo(RewardRedemption.created_at, _l("Requested")),
    )

    def audit_name(self) -> str:
        return "reward_redemption"

    def history(self, model) -> list[AuditEntry]:
        """The redemption's audit trail, for the details page."""
        return db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.object_type == "RewardRedemption",
                AuditEntry.object_id == str(model.id),
            )
            .order_by(AuditEntry.id)
        ).all()

    def _step(self, redemption_id: int, step, done_message: str):
        redemption = self.get_one(str(redemption_id)) or abort(404)
        try:
            step(redemption)
            db.session.commit()
            flash(done_message % {"number": redemption.number}, "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return back(".details_view", id=redemption_id)

    @expose("/<int:redemption_id>/approve", methods=("POST",))
    def approve(self, redemption_id: int):
        return self._step(
            redemption_id,
            lambda r: service.approve_redemption(current_actor(), r),
            _("Request %(number)s approved."),
        )

    @expose("/<int:redemption_id>/ship", methods=("POST",))
    def ship(self, redemption_id: int):
        waybill, carrier = request.form.get("waybill", ""), request.form.get("carrier", "")
        return self._step(
            redemption_id,
            lambda r: service.ship_redemption(current_actor(), r, waybill, carrier),
            _("Reward %(number)s marked as shipped."),
        )

    @expose("/<int:redemption_id>/issue", methods=("POST",))
    def issue(self, redemption_id: int):
        return self._step(
            redemption_id,
            lambda r: service.issue_redemption(current_actor(), r),
            _("The discount code for %(number)s has been issued and sent."),
        )

    @expose("/<int:redemption_id>/cancel", methods=("POST",))
    def cancel(self, redemption_id: int):
        reason = request.form.get("reason", "")
        return self._step(
            redemption_id,
            lambda r: service.cancel_redemption(current_actor(), r, reason),
            _("Request %(number)s cancelled; the points are back on the account."),
        )

    @action("approve", _l("Approve"), _l("Approve the selected requests?"))
    def action_approve(self, ids):
        done = 0
        for redemption_id in ids:
            redemption = self.get_one(redemption_id)
            if redemption is None or redemption.status != RedemptionStatus.REQUESTED:
                continue
            service.approve_redemption(current_actor(), redemption)
            done += 1
        db.session.commit()
        flash(ngettext("%(num)d request approved.", "%(num)d requests approved.", done), "success")


def register(admin) -> None:
    cat = Category.MARKETING
    admin.add_view(
        RewardAdmin(
            Reward, name=_l("Rewards"), category=cat, endpoint="rewards", url="/admin/rewards"
        )
    )
    admin.add_view(
        RedemptionAdmin(
            RewardRedemption,
            name=_l("Reward requests"),
            category=cat,
            endpoint="redemptions",
            url="/admin/reward-requests",
        )
    )
