"""Console: customers (with addresses, contacts and a partner logo) and customer groups."""

from __future__ import annotations

from flask import redirect
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, IntEqualFilter
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.validators import NumberRange, Optional

from backoffice.actors import current_actor
from backoffice.extensions import db
from backoffice.i18n import LANGUAGES
from backoffice.services import customers as customer_service
from backoffice.validators import (
    normalise_nip,
    normalise_phone,
    wtf,
)
from models.customers import Address, Contact, Customer, CustomerGroup
from models.users import Role
from views.admin.base import Category
from views.admin.masterdata_common import (
    MasterDataView,
    active_badge,
    grid_rules,
    lazy_options,
    yes_no,
)
from views.admin.masterdata_forms import (
    AddressInline,
    ContactInline,
    FlagField,
    UploadField,
    known_choice,
    optional_email,
    strip,
    strip_or_none,
)
from views.form_helpers import send_stored

EDIT_ROLES = (Role.SALES,)


def _city(view, context, model, name):
    address = model.address("billing")
    return address.city if address else ""


@lazy_options
def _manager_choices():
    return [(str(u.id), u.name) for u in customer_service.sales_users()]


@lazy_options
def _group_choices():
    rows = db.session.execute(select(CustomerGroup.id, CustomerGroup.name).order_by("name"))
    return [(str(i), n) for i, n in rows]


class CustomerAdmin(MasterDataView):
    """Customers: all staff see them; admins and sales edit them."""

    edit_roles = EDIT_ROLES
    activation_service = customer_service
    audited_children = ("addresses", "contacts")
    details_template = "admin/masterdata/customer_details.html"
    edit_template = "admin/masterdata/customer_edit.html"
    column_list = ("name", "nip", "city", "group", "account_manager", "email", "active")
    column_details_list = (
        "name",
        "external_id",
        "nip",
        "email",
        "phone",
        "group",
        "account_manager",
        "locale",
        "return_window_months",
        "active",
        "notes",
        "created_at",
        "updated_at",
    )
    column_export_list = (
        "external_id",
        "name",
        "nip",
        "email",
        "phone",
        "group",
        "account_manager",
        "return_window_months",
        "active",
        "street",
        "postal_code",
        "city",
    )
    column_labels = {
        "name": _l("Name"),
        "external_id": _l("External id"),
        "nip": _l("NIP"),
        "email": _l("E-mail"),
        "phone": _l("Phone"),
        "group": _l("Group"),
        "account_manager": _l("Account manager"),
        "locale": _l("Language"),
        "return_window_months": _l("Return window (months)"),
        "active": _l("Status"),
        "notes": _l("Notes"),
        "city": _l("City"),
        "street": _l("Street"),
        "postal_code": _l("Postal code"),
        "addresses": _l("Addresses"),
        "contacts": _l("Contacts"),
        "logo": _l("Partner logo"),
        "remove_logo": _l("Remove the logo"),
        "created_at": _l("Created"),
        "updated_at": _l("Changed"),
        "group.name": _l("Group"),
        "account_manager.name": _l("Account manager"),
    }
    column_descriptions = {
        "return_window_months": _l("Months back a delivery may be returned; empty: the default."),
        "external_id": _l("The customer's id in the ERP or shop."),
    }
    column_searchable_list = ("name", "nip", "email", "external_id")
    column_sortable_list = (
        "name",
        "nip",
        "email",
        ("group", "group.name"),
        ("account_manager", "account_manager.name"),
        "active",
    )
    column_default_sort = ("name", False)
    column_filters = (
        IntEqualFilter(Customer.group_id, _l("Group"), options=_group_choices),
        IntEqualFilter(
            Customer.account_manager_id, _l("Account manager"), options=_manager_choices
        ),
        BooleanEqualFilter(Customer.active, _l("Active")),
    )
    column_formatters = {
        "active": active_badge,
        "city": _city,
        "locale": lambda v, c, m, n: LANGUAGES.get(m.locale, m.locale),
        "account_manager": lambda v, c, m, n: m.account_manager.name if m.account_manager else "",
    }
    column_formatters_export = {
        "active": yes_no,
        "city": lambda v, c, m, n: _city(v, c, m, n),
        "street": lambda v, c, m, n: m.address("billing").street if m.addresses else "",
        "postal_code": lambda v, c, m, n: m.address("billing").postal_code if m.addresses else "",
        "group": lambda v, c, m, n: m.group.name if m.group else "",
        "account_manager": lambda v, c, m, n: m.account_manager.name if m.account_manager else "",
    }
    form_columns = (
        "name",
        "external_id",
        "nip",
        "email",
        "phone",
        "group",
        "account_manager",
        "locale",
        "return_window_months",
        "active",
        "notes",
        "logo",
        "remove_logo",
        "addresses",
        "contacts",
    )
    form_extra_fields = {
        "logo": UploadField(
            _l("Partner logo"),
            description=_l("PNG or JPEG up to 2 MB, printed on offers."),
            render_kw={"accept": "image/png,image/jpeg"},
        ),
        "remove_logo": FlagField(_l("Remove the logo")),
    }
    form_choices = {"locale": [("pl", "Polski"), ("en", "English")]}
    form_args = {
        "name": {"filters": [strip]},
        "nip": {"validators": [Optional(), wtf(normalise_nip)], "render_kw": {"maxlength": 20}},
        "email": {"validators": [Optional(), optional_email]},
        "phone": {"validators": [Optional(), wtf(normalise_phone)], "render_kw": {"maxlength": 32}},
        "return_window_months": {
            "validators": [Optional(), NumberRange(min=0, max=customer_service.MAX_RETURN_WINDOW)]
        },
        "account_manager": {
            "query_factory": lambda: customer_service.sales_users(),
            "allow_blank": True,
            "validators": [known_choice],
        },
    }
    inline_models = (AddressInline(Address), ContactInline(Contact))
    form_create_rules = form_edit_rules = grid_rules(
        form_columns[:-2], wide=("name", "notes"), after=("addresses", "contacts")
    )

    def get_query(self):
        return super().get_query().options(selectinload(Customer.addresses))

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        term = customer_service.search_term(search) if search else search
        return super().get_list(page, sort_column, sort_desc, term, filters, execute, page_size)

    def check(self, model) -> None:
        customer_service.check_customer(model)

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        upload = form.logo.data
        if upload is not None and getattr(upload, "filename", ""):
            customer_service.set_logo(current_actor(), model, upload)
        elif form.remove_logo.data:
            customer_service.remove_logo(current_actor(), model)

    def portal_users(self, customer: Customer):
        from models.users import PortalUser

        return db.session.scalars(
            select(PortalUser).where(PortalUser.customer_id == customer.id).order_by("name")
        ).all()

    @expose("/inactive/")
    def inactive_view(self):
        """The list of inactive customers (linked from the dashboard)."""
        return redirect(self.filtered_list_url(Customer.active, "0"))

    @expose("/logo/<int:customer_id>")
    def logo_view(self, customer_id: int):
        """The partner's logo image (staff only)."""
        customer = self.get_one(str(customer_id))
        return send_stored(customer.logo_path if customer else None)


def _customer_count(view, context, model, name):
    count = db.session.scalar(
        select(db.func.count(Customer.id)).where(Customer.group_id == model.id)
    )
    return Markup(f'<span class="badge badge-light">{escape(count)}</span>')


class CustomerGroupAdmin(MasterDataView):
    """Customer groups used by rules, prices and message templates."""

    edit_roles = EDIT_ROLES
    column_list = ("name", "code", "description", "customers")
    column_labels = {
        "name": _l("Name"),
        "code": _l("Code"),
        "description": _l("Description"),
        "customers": _l("Customers"),
    }
    column_searchable_list = ("name", "code")
    column_sortable_list = ("name", "code")
    column_default_sort = ("name", False)
    column_formatters = {"customers": _customer_count}
    form_columns = ("name", "code", "description")
    duplicate_messages = {
        "name": _l("A group with this name already exists."),
        "code": _l("A group with this code already exists."),
    }
    form_args = {
        "name": {"filters": [strip]},
        "code": {"filters": [strip_or_none]},
    }

    def audit_name(self) -> str:
        return "customer_group"


def register(admin) -> None:
    """Customers and customer groups in the Master data menu."""
    admin.add_view(
        CustomerAdmin(
            Customer,
            name=_l("Customers"),
            category=Category.MASTER_DATA,
            endpoint="customers",
            url="/admin/customers",
        )
    )
    admin.add_view(
        CustomerGroupAdmin(
            CustomerGroup,
            name=_l("Customer groups"),
            category=Category.MASTER_DATA,
            endpoint="customer_groups",
            url="/admin/customer-groups",
        )
    )
