"""Console: suppliers (dostawcy) whose employees use the portal."""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterLike
from flask_babel import lazy_gettext as _l
from wtforms.validators import Optional

from backoffice.extensions import db
from backoffice.services import customers as customer_service
from backoffice.services import suppliers as supplier_service
from backoffice.validators import normalise_nip, normalise_phone, wtf
from models.suppliers import Supplier
from models.users import Role
from views.admin.base import Category
from views.admin.masterdata_common import MasterDataView, active_badge, grid_rules, yes_no
from views.admin.masterdata_forms import (
    COUNTRY_ARGS,
    optional_email,
    postal_code_for_country,
    strip,
    strip_or_none,
)


class SupplierAdmin(MasterDataView):
    """Suppliers: all staff see them; admins and purchasing edit them."""

    edit_roles = (Role.PURCHASING,)
    activation_service = supplier_service
    details_template = "admin/masterdata/supplier_details.html"
    column_list = ("name", "nip", "city", "email", "phone", "active")
    column_details_list = (
        "name",
        "external_id",
        "nip",
        "email",
        "phone",
        "street",
        "postal_code",
        "city",
        "country",
        "notes",
        "active",
        "created_at",
        "updated_at",
    )
    column_export_list = (
        "external_id",
        "name",
        "nip",
        "email",
        "phone",
        "street",
        "postal_code",
        "city",
        "country",
        "active",
    )
    column_labels = {
        "name": _l("Name"),
        "external_id": _l("External id"),
        "nip": _l("NIP"),
        "email": _l("E-mail"),
        "phone": _l("Phone"),
        "street": _l("Street and number"),
        "postal_code": _l("Postal code"),
        "city": _l("City"),
        "country": _l("Country"),
        "notes": _l("Notes"),
        "active": _l("Status"),
        "created_at": _l("Created"),
        "updated_at": _l("Changed"),
    }
    column_searchable_list = ("name", "nip", "email", "external_id")
    column_sortable_list = ("name", "nip", "city", "email", "active")
    column_default_sort = ("name", False)
    column_filters = (
        BooleanEqualFilter(Supplier.active, _l("Active")),
        FilterLike(Supplier.city, _l("City")),
    )
    column_formatters = {"active": active_badge}
    column_formatters_export = {"active": yes_no}
    form_columns = (
        "name",
        "external_id",
        "nip",
        "email",
        "phone",
        "street",
        "postal_code",
        "city",
        "country",
        "notes",
        "active",
    )
    form_args = {
        "name": {"filters": [strip]},
        "external_id": {"filters": [strip_or_none]},
        "nip": {"validators": [Optional(), wtf(normalise_nip)], "render_kw": {"maxlength": 20}},
        "email": {"validators": [Optional(), optional_email]},
        "phone": {"validators": [Optional(), wtf(normalise_phone)], "render_kw": {"maxlength": 32}},
        "postal_code": {"validators": [Optional(), postal_code_for_country]},
        "country": COUNTRY_ARGS,
    }
    form_create_rules = form_edit_rules = grid_rules(form_columns, wide=("name", "notes"))
    duplicate_messages = {"external_id": _l("A supplier with this external id already exists.")}

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        term = customer_service.search_term(search) if search else search
        return super().get_list(page, sort_column, sort_desc, term, filters, execute, page_size)

    def check(self, model) -> None:
        supplier_service.check_supplier(model)

    def portal_users(self, supplier: Supplier):
        from sqlalchemy import select

        from models.users import PortalUser

        return db.session.scalars(
            select(PortalUser).where(PortalUser.supplier_id == supplier.id).order_by("name")
        ).all()


def register(admin) -> None:
    """Suppliers in the Master data menu."""
    admin.add_view(
        SupplierAdmin(
            Supplier,
            name=_l("Suppliers"),
            category=Category.MASTER_DATA,
            endpoint="suppliers",
            url="/admin/suppliers",
        )
    )
