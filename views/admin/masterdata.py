"""Console views of the master-data module: customers, products, suppliers, company profile,
portal users, imports, and the dashboard counters about them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from backoffice.services import customers as customer_service
from backoffice.services import products as product_service
from views.admin import (
    masterdata_company,
    masterdata_customers,
    masterdata_imports,
    masterdata_portal_users,
    masterdata_products,
    masterdata_suppliers,
)
from views.admin.dashboard import counter


@counter(_l("Active customers"), endpoint="customers.index_view")
def active_customers() -> int:
    return customer_service.count_customers(active=True)


@counter(_l("Inactive customers"), endpoint="customers.inactive_view", tone="secondary")
def inactive_customers() -> int:
    return customer_service.count_customers(active=False)


@counter(_l("Active products"), endpoint="products.index_view")
def active_products() -> int:
    return product_service.count_products()


@counter(_l("Products without EAN or price"), endpoint="products.incomplete_view", tone="warning")
def incomplete_products() -> int:
    return product_service.count_incomplete_products()


def register(admin) -> None:
    """Add this module's views to the console."""
    masterdata_customers.register(admin)
    masterdata_products.register(admin)
    masterdata_suppliers.register(admin)
    masterdata_portal_users.register(admin)
    masterdata_company.register(admin)
    masterdata_imports.register(admin)
