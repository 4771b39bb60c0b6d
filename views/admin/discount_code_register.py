"""Console: the register of discount codes (searchable by code, with every use) and the
register of uses (when, customer, order, amount)."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from backoffice.actors import current_actor
from backoffice.extensions import db
from backoffice.services import discount_codes as service
from backoffice.services.discount_code_checkout import normalise_code
from backoffice.services.discount_code_export import code_status
from models.discount_codes import DiscountCode, DiscountCodeUse, UseStatus
from models.users import Role
from views.admin.base import Category, ReadOnlyModelView
from views.admin.loyalty_common import back, badge, money, when
from views.admin.system_audit import WarsawDateFrom, WarsawDateTo

MARKETING = (Role.MARKETING,)
USE_STATUS = {UseStatus.ACTIVE: _l("counted"), UseStatus.RELEASED: _l("released")}


def _status(view, context, model, name):
    return code_status(
        model.use_count, model.batch.usage_limit_total, model.blocked, model.assigned_at is not None
    )


def _batch_link(view, context, model, name):
    url = url_for("discount_batches.details_view", id=model.batch_id)
    return Markup(f'<a href="{url}">{escape(model.batch.name)}</a>')


def _code_link(view, context, model, name):
    url = url_for("discount_codes.details_view", id=model.code_id)
    return Markup(f'<a href="{url}"><code>{escape(model.code.code)}</code></a>')


def _customer(view, context, model, name):
    return model.customer.name if model.customer else model.customer_external_id


def _batch_filter(query, column):
    """``?batch=ID`` narrows a register to one batch (links from the batch page)."""
    batch = request.args.get("batch", type=int)
    return query.filter(column == batch) if batch else query


class DiscountCodeAdmin(ReadOnlyModelView):
    """Every code: search by the exact code (or its beginning), its assignment and uses."""

    roles = MARKETING
    simple_list_pager = True  # a batch may hold a million codes: no count(*) per page
    details_template = "admin/discount_codes/code_details.html"
    page_size = 50
    column_list = ("code", "batch", "status", "customer", "assigned_at", "use_count")
    column_labels = {
        "code": _l("Code"),
        "batch": _l("Batch"),
        "status": _l("Status"),
        "customer": _l("Personal for"),
        "assigned_at": _l("Assigned"),
        "use_count": _l("Uses"),
        "blocked": _l("Blocked"),
    }
    column_formatters = {
        "code": lambda v, c, m, n: Markup(f"<code>{escape(m.code)}</code>"),
        "batch": _batch_link,
        "status": _status,
        "assigned_at": when,
    }
    column_formatters_export = {"status": _status, "batch": lambda v, c, m, n: m.batch.name}
    column_searchable_list = ("code",)
    column_sortable_list = ("code", "assigned_at", "use_count")
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(DiscountCode.batch_id, _l("Batch no.")),
        FilterEqual(
            DiscountCode.blocked, _l("Blocked"), options=[("1", _l("yes")), ("0", _l("no"))]
        ),
    )

    def audit_name(self) -> str:
        return "discount_code"

    def scope(self, query):
        return _batch_filter(query, DiscountCode.batch_id)

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """The exact code if it exists (unique index), else codes starting with the text."""
        text = normalise_code(search)
        if not text:
            return query, count_query, joins, count_joins
        exact = DiscountCode.code == text
        if db.session.scalar(select(DiscountCode.id).where(exact)) is None:
            pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            condition = DiscountCode.code.like(pattern, escape="\\")
        else:
            condition = exact
        query = query.filter(condition)
        if count_query is not None:
            count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    def uses(self, code: DiscountCode) -> list[DiscountCodeUse]:
        return db.session.scalars(
            select(DiscountCodeUse)
            .where(DiscountCodeUse.code_id == code.id)
            .order_by(DiscountCodeUse.used_at.desc())
        ).all()

    @expose("/<int:code_id>/block", methods=("POST",))
    def block(self, code_id: int):
        """Block a leaked code or unblock it (audited)."""
        code = self.get_one(str(code_id)) or abort(404)
        blocked = request.form.get("blocked") == "1"
        service.set_code_blocked(current_actor(), code, blocked, request.form.get("reason", ""))
        db.session.commit()
        flash(_("The code is blocked.") if blocked else _("The code is unblocked."), "success")
        return back(".details_view", id=code_id)


class DiscountCodeUseAdmin(ReadOnlyModelView):
    """Every use of a code at checkout; released uses belong to cancelled orders."""

    roles = MARKETING
    can_view_details = False
    page_size = 50
    column_list = (
        "used_at",
        "code",
        "customer",
        "order_external_id",
        "order_value",
        "discount",
        "status",
        "release_reason",
    )
    column_labels = {
        "used_at": _l("When"),
        "code": _l("Code"),
        "customer": _l("Customer"),
        "order_external_id": _l("Order"),
        "order_value": _l("Order value"),
        "discount": _l("Discount"),
        "status": _l("Status"),
        "release_reason": _l("Released because"),
        "code.code": _l("Code"),
        "customer_external_id": _l("Customer id"),
    }
    column_formatters = {
        "used_at": when,
        "code": _code_link,
        "customer": _customer,
        "order_value": money,
        "discount": money,
        "status": lambda v, c, m, n: badge(
            USE_STATUS[UseStatus(m.status)],
            "success" if m.status == UseStatus.ACTIVE else "secondary",
        ),
    }
    column_formatters_export = {
        "code": lambda v, c, m, n: m.code.code,
        "customer": _customer,
        "status": lambda v, c, m, n: str(USE_STATUS[UseStatus(m.status)]),
    }
    column_searchable_list = ("code.code", "order_external_id", "customer_external_id")
    column_sortable_list = ("used_at", "order_value", "discount")
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(
            DiscountCodeUse.status,
            _l("Status"),
            options=[(k.value, v) for k, v in USE_STATUS.items()],
        ),
        WarsawDateFrom(DiscountCodeUse.used_at, _l("When")),
        WarsawDateTo(DiscountCodeUse.used_at, _l("When")),
    )

    def audit_name(self) -> str:
        return "discount_code_use"

    def scope(self, query):
        return _batch_filter(query, DiscountCodeUse.batch_id)


def register(admin) -> None:
    cat = Category.MARKETING
    admin.add_view(
        DiscountCodeAdmin(
            DiscountCode,
            name=_l("Discount codes"),
            category=cat,
            endpoint="discount_codes",
            url="/admin/discount-codes",
        )
    )
    admin.add_view(
        DiscountCodeUseAdmin(
            DiscountCodeUse,
            name=_l("Code uses"),
            category=cat,
            endpoint="discount_code_uses",
            url="/admin/discount-code-uses",
        )
    )
