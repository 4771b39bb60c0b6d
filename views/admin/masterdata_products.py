"""Console: products (with packaging units) and the product group tree."""

from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, BooleanEqualFilter, IntEqualFilter
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import SelectField
from wtforms.validators import NumberRange, Optional, StopValidation, ValidationError

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import products as product_service
from backoffice.validators import normalise_ean, wtf
from models.products import PackagingUnit, Product, ProductGroup
from models.users import Role
from views.admin.base import Category
from views.admin.masterdata_common import (
    MasterDataView,
    active_badge,
    grid_rules,
    lazy_options,
    yes_no,
)
from views.admin.masterdata_forms import strip, strip_or_none

EDIT_ROLES = (Role.PURCHASING, Role.LOGISTICS)
VAT_CHOICES = [(rate, f"{rate}%") for rate in product_service.VAT_RATES]


def sku_is_free(form, field):
    """A duplicate SKU is a message on the field (never a database error page)."""
    current = getattr(form, "_obj", None)
    owner = product_service.sku_owner(field.data or "", current.id if current else None)
    if owner is not None:
        raise StopValidation(
            _(
                "A product with SKU %(sku)s already exists: %(name)s.",
                sku=field.data,
                name=owner.name,
            )
        )


def positive(form, field):
    if field.data is not None and field.data <= 0:
        raise ValidationError(_("The quantity must be greater than 0."))


def vat_coerce(value):
    return Decimal(str(value)).normalize() if value not in (None, "") else None


class IncompleteFilter(BaseSQLAFilter):
    """Products without an EAN or a price."""

    def apply(self, query, value, alias=None):
        condition = product_service.incomplete_products_filter()
        return query.filter(condition if value == "1" else ~condition)

    def operation(self):
        return _l("equals")


class PackagingInline(InlineFormAdmin):
    form_columns = ("id", "name", "quantity", "ean")
    column_labels = {
        "name": _l("Packaging"),
        "quantity": _l("Quantity per package"),
        "ean": _l("EAN of the package"),
    }
    form_args = {
        "name": {"filters": [strip]},
        "quantity": {"validators": [positive]},
        "ean": {"validators": [Optional(), wtf(normalise_ean)], "render_kw": {"maxlength": 20}},
    }


def _group_path(view, context, model, name):
    return model.group.path if model.group else ""


@lazy_options
def _group_choices():
    groups = db.session.scalars(select(ProductGroup)).all()
    return sorted(((str(g.id), g.path) for g in groups), key=lambda c: c[1].casefold())


def _money(view, context, model, name):
    from backoffice.i18n import format_money

    return format_money(getattr(model, name))


class ProductAdmin(MasterDataView):
    """Products: all staff see them; admins, purchasing and logistics edit them."""

    edit_roles = EDIT_ROLES
    activation_service = product_service
    audited_children = ("packaging",)
    column_list = (
        "sku",
        "name",
        "ean",
        "group",
        "price_net",
        "vat_rate",
        "serial_tracked",
        "returnable",
        "active",
    )
    column_details_list = (
        "sku",
        "name",
        "ean",
        "external_id",
        "group",
        "unit",
        "price_net",
        "purchase_price",
        "vat_rate",
        "weight_kg",
        "volume_m3",
        "warranty_months",
        "serial_tracked",
        "returnable",
        "active",
        "packaging",
        "description",
        "created_at",
        "updated_at",
    )
    column_export_list = (
        "sku",
        "name",
        "ean",
        "external_id",
        "group",
        "unit",
        "price_net",
        "purchase_price",
        "vat_rate",
        "weight_kg",
        "volume_m3",
        "warranty_months",
        "serial_tracked",
        "returnable",
        "active",
        "packaging",
    )
    column_labels = {
        "sku": _l("SKU"),
        "name": _l("Name"),
        "ean": _l("EAN"),
        "external_id": _l("External id"),
        "group": _l("Group"),
        "unit": _l("Unit"),
        "price_net": _l("Net price"),
        "purchase_price": _l("Purchase price"),
        "vat_rate": _l("VAT %"),
        "weight_kg": _l("Weight (kg)"),
        "volume_m3": _l("Volume (m³)"),
        "warranty_months": _l("Warranty (months)"),
        "serial_tracked": _l("Serial numbers"),
        "returnable": _l("Returnable"),
        "active": _l("Status"),
        "packaging": _l("Packaging"),
        "description": _l("Description"),
        "image_url": _l("Image URL"),
        "created_at": _l("Created"),
        "updated_at": _l("Changed"),
    }
    column_searchable_list = ("sku", "name", "ean")
    column_sortable_list = (
        "sku",
        "name",
        "ean",
        "price_net",
        "vat_rate",
        "active",
        ("group", "group.name"),
    )
    column_default_sort = ("sku", False)
    column_filters = (
        IntEqualFilter(Product.group_id, _l("Group"), options=_group_choices),
        BooleanEqualFilter(Product.active, _l("Active")),
        BooleanEqualFilter(Product.serial_tracked, _l("Serial numbers")),
        BooleanEqualFilter(Product.returnable, _l("Returnable")),
        IncompleteFilter(
            Product.ean, _l("Without EAN or price"), options=[("1", _l("yes")), ("0", _l("no"))]
        ),
    )
    column_formatters = {
        "active": active_badge,
        "serial_tracked": yes_no,
        "returnable": yes_no,
        "group": _group_path,
        "price_net": _money,
        "purchase_price": _money,
        "packaging": lambda v, c, m, n: product_service.packaging_summary(m),
    }
    column_formatters_export = {
        "active": yes_no,
        "serial_tracked": yes_no,
        "returnable": yes_no,
        "group": _group_path,
        "packaging": lambda v, c, m, n: product_service.packaging_summary(m),
    }
    form_columns = (
        "sku",
        "name",
        "ean",
        "external_id",
        "group",
        "unit",
        "price_net",
        "purchase_price",
        "vat_rate",
        "weight_kg",
        "volume_m3",
        "warranty_months",
        "serial_tracked",
        "returnable",
        "active",
        "description",
        "image_url",
        "packaging",
    )
    form_overrides = {"vat_rate": SelectField}
    form_args = {
        "sku": {"filters": [strip], "validators": [sku_is_free]},
        "name": {"filters": [strip]},
        "ean": {"validators": [Optional(), wtf(normalise_ean)], "render_kw": {"maxlength": 20}},
        "external_id": {"filters": [strip_or_none]},
        "price_net": {"validators": [NumberRange(min=0)]},
        "purchase_price": {"validators": [Optional(), NumberRange(min=0)]},
        "vat_rate": {"choices": VAT_CHOICES, "coerce": vat_coerce, "default": Decimal("23")},
        "weight_kg": {"validators": [Optional(), NumberRange(min=0)]},
        "volume_m3": {"validators": [Optional(), NumberRange(min=0)]},
        "warranty_months": {"validators": [NumberRange(min=0, max=240)]},
        "group": {
            "query_factory": lambda: sorted(
                db.session.scalars(select(ProductGroup)), key=lambda g: g.path.casefold()
            )
        },
    }
    form_ajax_refs = {}
    inline_models = (PackagingInline(PackagingUnit),)
    form_create_rules = form_edit_rules = grid_rules(
        form_columns[:-1], wide=("name", "description"), after=("packaging",)
    )
    duplicate_messages = {
        "sku": _l("A product with this SKU already exists."),
        "external_id": _l("A product with this external id already exists."),
    }

    def get_query(self):
        return super().get_query().options(selectinload(Product.packaging))

    def check(self, model) -> None:
        product_service.check_product(model)

    @expose("/incomplete/")
    def incomplete_view(self):
        """Products without an EAN or a price (linked from the dashboard)."""
        return redirect(self.filtered_list_url(Product.ean, "1"))


def _product_count(view, context, model, name):
    count = db.session.scalar(select(func.count(Product.id)).where(Product.group_id == model.id))
    return Markup(f'<span class="badge badge-light">{escape(count)}</span>')


def parent_not_in_subtree(form, field):
    """Refuse a parent that is the group itself or one of its subgroups."""
    group = getattr(form, "_obj", None)
    if (
        group is not None
        and field.data is not None
        and product_service.creates_cycle(group, field.data)
    ):
        raise ValidationError(
            _("A group cannot be placed under itself or under one of its subgroups.")
        )


class ProductGroupAdmin(MasterDataView):
    """The product group tree: parent select, full path shown, cycles refused."""

    edit_roles = EDIT_ROLES
    list_template = "admin/masterdata/product_group_list.html"
    column_list = ("path", "code", "products")
    column_labels = {
        "path": _l("Path"),
        "name": _l("Name"),
        "code": _l("Code"),
        "parent": _l("Parent group"),
        "products": _l("Products"),
    }
    column_searchable_list = ("name", "code")
    column_sortable_list = ("code",)
    column_default_sort = ("name", False)
    column_formatters = {"path": lambda v, c, m, n: m.path, "products": _product_count}
    column_formatters_export = {"path": lambda v, c, m, n: m.path}
    form_columns = ("name", "code", "parent")
    form_args = {
        "name": {"filters": [strip]},
        "code": {"filters": [strip_or_none]},
        "parent": {
            "validators": [parent_not_in_subtree],
            "query_factory": lambda: sorted(
                db.session.scalars(select(ProductGroup)), key=lambda g: g.path.casefold()
            ),
        },
    }
    duplicate_messages = {"code": _l("A group with this code already exists.")}

    @property
    def can_delete(self) -> bool:
        return self._may_edit()

    def audit_name(self) -> str:
        return "product_group"

    def check(self, model) -> None:
        product_service.check_group(model)

    def delete_model(self, model):
        try:
            product_service.delete_group(current_actor(), model)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return False
        return True

    def is_action_allowed(self, name):
        return False if name == "delete" else super().is_action_allowed(name)

    @expose("/tree/")
    def tree_view(self):
        """The whole tree at once, indented, with product counts."""
        groups = db.session.scalars(select(ProductGroup)).all()
        counts = dict(
            db.session.execute(
                select(Product.group_id, func.count(Product.id)).group_by(Product.group_id)
            ).all()
        )
        rows = sorted(groups, key=lambda g: g.path.casefold())
        return self.render("admin/masterdata/product_group_tree.html", rows=rows, counts=counts)


def register(admin) -> None:
    """Products and product groups in the Master data menu."""
    admin.add_view(
        ProductAdmin(
            Product,
            name=_l("Products"),
            category=Category.MASTER_DATA,
            endpoint="products",
            url="/admin/products",
        )
    )
    admin.add_view(
        ProductGroupAdmin(
            ProductGroup,
            name=_l("Product groups"),
            category=Category.MASTER_DATA,
            endpoint="product_groups",
            url="/admin/product-groups",
        )
    )
