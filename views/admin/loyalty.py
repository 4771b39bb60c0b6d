"""Console views of the loyalty module (role marketing): programme settings, earning rules,
the points ledger; customers' accounts, rewards and discount codes are registered from here."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import func, select
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_number
from backoffice.services import loyalty
from backoffice.services.loyalty_rules import validate_rule
from models.loyalty import EntryKind, EntryStatus, PointsEntry, PointsRule, RuleKind
from models.users import Role
from views.admin.base import Category, ReadOnlyModelView, SecureView
from views.admin.dashboard import counter
from views.admin.loyalty_common import CheckedModelView, attach_error, badge, when
from views.admin.system_audit import WarsawDateFrom, WarsawDateTo

MARKETING = (Role.MARKETING,)

RULE_KINDS = [
    (RuleKind.QUANTITY.value, _l("Points per unit of a product or product group")),
    (RuleKind.VALUE.value, _l("Points per amount of the order's net value")),
    (RuleKind.MULTIPLIER.value, _l("Multiplier for a customer group")),
]
ENTRY_KINDS = {
    EntryKind.EARN: (_l("earned"), "success"),
    EntryKind.SPEND: (_l("spent"), "primary"),
    EntryKind.EXPIRY: (_l("expired"), "secondary"),
    EntryKind.REVERSAL: (_l("reversal"), "warning"),
    EntryKind.ADJUSTMENT: (_l("adjustment"), "info"),
}
ENTRY_STATUSES = {
    EntryStatus.PENDING: _l("pending"),
    EntryStatus.CONFIRMED: _l("confirmed"),
    EntryStatus.VOID: _l("void"),
}


def entry_kind_badge(entry: PointsEntry) -> Markup:
    label, tone = ENTRY_KINDS[EntryKind(entry.kind)]
    return badge(label, tone)


def signed_points(value: int) -> Markup:
    tone = "text-success" if value > 0 else "text-danger"
    return Markup(
        f'<span class="{tone}">{escape(("+" if value > 0 else "") + format_number(value))}</span>'
    )


# --- settings -----------------------------------------------------------------------------


class ProgrammeForm(FlaskForm):
    active = BooleanField(_l("The programme is running (orders earn points)"))
    earn_on = SelectField(
        _l("Points are confirmed when the order is"),
        choices=[("paid", _l("paid")), ("delivered", _l("delivered"))],
    )
    pending_on_placed = BooleanField(
        _l("Show points as pending from the moment an order is placed")
    )
    expiry_months = IntegerField(
        _l("Points expire after (months)"),
        validators=[Optional(), NumberRange(min=1, max=120)],
        description=_l("Leave empty if points never expire. The oldest points are used first."),
    )


class ProgrammeView(SecureView):
    """How the programme earns and expires points."""

    roles = MARKETING

    @expose("/", methods=("GET", "POST"))
    def index(self):
        settings = loyalty.programme()
        form = ProgrammeForm(obj=settings)
        if form.validate_on_submit():
            try:
                loyalty.update_programme(
                    current_actor(),
                    active=form.active.data,
                    earn_on=form.earn_on.data,
                    pending_on_placed=form.pending_on_placed.data,
                    expiry_months=form.expiry_months.data,
                )
                db.session.commit()
                flash(_("The programme settings have been saved."), "success")
                return redirect(url_for(".index"))
            except DomainError as exc:
                db.session.rollback()
                attach_error(form, exc)
        db.session.commit()  # the settings row may have just been created
        rules = db.session.scalar(select(func.count(PointsRule.id)).where(PointsRule.active))
        return self.render("admin/loyalty/programme.html", form=form, active_rules=rules)


# --- rules --------------------------------------------------------------------------------


def _rule_target(view, context, model, name):
    if model.product is not None:
        return str(model.product)
    if model.product_group is not None:
        return _("group %(group)s", group=model.product_group.path)
    return ""


def _rule_rate(view, context, model, name):
    kind = RuleKind(model.kind)
    if kind == RuleKind.QUANTITY:
        return _("%(points)s pt per unit", points=format_number(model.points))
    if kind == RuleKind.VALUE:
        return _(
            "%(points)s pt per %(amount)s PLN",
            points=format_number(model.points),
            amount=format_number(model.per_amount),
        )
    return f"× {format_number(model.multiplier)}"


class PointsRuleAdmin(CheckedModelView):
    """Earning rules: per unit, per order value, group multipliers, with dates."""

    roles = MARKETING
    allow_delete = True
    column_list = (
        "name",
        "kind",
        "target",
        "customer_group",
        "rate",
        "valid_from",
        "valid_to",
        "active",
    )
    column_labels = {
        "name": _l("Name"),
        "kind": _l("Kind"),
        "target": _l("Product or group"),
        "product": _l("Product"),
        "product_group": _l("Product group"),
        "customer_group": _l("Customer group"),
        "rate": _l("Points"),
        "points": _l("Points"),
        "per_amount": _l("Per amount (PLN)"),
        "multiplier": _l("Multiplier"),
        "valid_from": _l("Valid from"),
        "valid_to": _l("Valid to"),
        "active": _l("Active"),
    }
    column_formatters = {
        "kind": lambda v, c, m, n: dict(RULE_KINDS).get(RuleKind(m.kind).value, m.kind),
        "target": _rule_target,
        "rate": _rule_rate,
        "active": lambda v, c, m, n: (
            badge(_("active"), "success") if m.active else badge(_("inactive"), "secondary")
        ),
    }
    column_formatters_export = {
        "kind": lambda v, c, m, n: str(dict(RULE_KINDS).get(RuleKind(m.kind).value, m.kind)),
        "target": _rule_target,
        "rate": _rule_rate,
        "active": lambda v, c, m, n: _("yes") if m.active else _("no"),
    }
    column_searchable_list = ("name",)
    column_sortable_list = ("name", "kind", "valid_from", "valid_to", "active")
    column_filters = (
        FilterEqual(PointsRule.kind, _l("Kind"), options=RULE_KINDS),
        FilterEqual(PointsRule.active, _l("Active"), options=[("1", _l("yes")), ("0", _l("no"))]),
    )
    form_columns = (
        "name",
        "kind",
        "active",
        "product",
        "product_group",
        "customer_group",
        "points",
        "per_amount",
        "multiplier",
        "valid_from",
        "valid_to",
    )
    form_choices = {"kind": RULE_KINDS}
    form_ajax_refs = {"product": {"fields": ("sku", "name", "ean"), "page_size": 20}}
    form_args = {
        "product_group": {"description": _l("Subgroups are included."), "blank_text": "—"},
        "customer_group": {
            "blank_text": "—",
            "description": _l(
                "For a multiplier: the group it applies to. For other rules: only customers "
                "of this group earn (leave empty for everyone)."
            ),
        },
        "points": {"description": _l("Per unit, or per full step of the amount below.")},
        "per_amount": {"description": _l("E.g. 10.00: one step for every full 10 PLN net.")},
        "multiplier": {"description": _l("E.g. 1.5; the highest multiplier of a group applies.")},
    }
    create_template = "admin/loyalty/rule_create.html"
    edit_template = "admin/loyalty/rule_edit.html"

    def check(self, model) -> None:
        validate_rule(model)

    def audit_name(self) -> str:
        return "points_rule"


# --- ledger -------------------------------------------------------------------------------


class PointsEntryAdmin(ReadOnlyModelView):
    """Every ledger row of every customer: earn, spend, expiry, reversal, adjustment."""

    roles = MARKETING
    can_view_details = False
    page_size = 50
    column_list = (
        "created_at",
        "customer",
        "kind",
        "status",
        "points",
        "remaining",
        "expires_at",
        "order",
        "note",
        "actor_label",
    )
    column_labels = {
        "created_at": _l("When"),
        "customer": _l("Customer"),
        "kind": _l("Kind"),
        "status": _l("Status"),
        "points": _l("Points"),
        "remaining": _l("Left in lot"),
        "expires_at": _l("Expires"),
        "order": _l("Order"),
        "note": _l("Description"),
        "actor_label": _l("By"),
        "customer.name": _l("Customer"),
    }
    column_formatters = {
        "created_at": when,
        "expires_at": when,
        "kind": lambda v, c, m, n: entry_kind_badge(m),
        "status": lambda v, c, m, n: ENTRY_STATUSES[EntryStatus(m.status)],
        "points": lambda v, c, m, n: signed_points(m.points),
        "customer": lambda v, c, m, n: Markup(
            f'<a href="{url_for("points_accounts.customer", customer_id=m.customer_id)}">'
            f"{escape(m.customer.name)}</a>"
        ),
    }
    column_formatters_export = {
        "kind": lambda v, c, m, n: str(ENTRY_KINDS[EntryKind(m.kind)][0]),
        "status": lambda v, c, m, n: str(ENTRY_STATUSES[EntryStatus(m.status)]),
        "customer": lambda v, c, m, n: m.customer.name,
        "order": lambda v, c, m, n: m.order.number if m.order else None,
    }
    column_searchable_list = ("customer.name", "note")
    column_sortable_list = ("created_at", "points", "expires_at")
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(
            PointsEntry.kind, _l("Kind"), options=[(k.value, v[0]) for k, v in ENTRY_KINDS.items()]
        ),
        FilterEqual(
            PointsEntry.status,
            _l("Status"),
            options=[(k.value, v) for k, v in ENTRY_STATUSES.items()],
        ),
        WarsawDateFrom(PointsEntry.created_at, _l("When")),
        WarsawDateTo(PointsEntry.created_at, _l("When")),
    )

    def audit_name(self) -> str:
        return "points_entry"


# --- dashboard ------------------------------------------------------------------------------


@counter(_l("Reward requests to approve"), endpoint="redemptions.index_view", roles=MARKETING)
def _requests_waiting() -> int:
    from models.loyalty import RedemptionStatus, RewardRedemption

    return db.session.scalar(
        select(func.count(RewardRedemption.id)).where(
            RewardRedemption.status == RedemptionStatus.REQUESTED
        )
    )


@counter(
    _l("Approved rewards to ship or issue"),
    endpoint="redemptions.index_view",
    roles=MARKETING,
    tone="warning",
)
def _approved_waiting() -> int:
    from models.loyalty import RedemptionStatus, RewardRedemption

    return db.session.scalar(
        select(func.count(RewardRedemption.id)).where(
            RewardRedemption.status == RedemptionStatus.APPROVED
        )
    )


def register(admin) -> None:
    """Add the loyalty and discount-code views to the console (menu Marketing)."""
    from views.admin import discount_codes, loyalty_accounts, rewards

    cat = Category.MARKETING
    admin.add_view(
        ProgrammeView(
            name=_l("Loyalty programme"), category=cat, endpoint="loyalty", url="/admin/loyalty"
        )
    )
    admin.add_view(
        PointsRuleAdmin(
            PointsRule,
            name=_l("Points rules"),
            category=cat,
            endpoint="points_rules",
            url="/admin/loyalty/rules",
        )
    )
    loyalty_accounts.register(admin)
    admin.add_view(
        PointsEntryAdmin(
            PointsEntry,
            name=_l("Points ledger"),
            category=cat,
            endpoint="points_ledger",
            url="/admin/loyalty/ledger",
        )
    )
    rewards.register(admin)
    discount_codes.register(admin)
