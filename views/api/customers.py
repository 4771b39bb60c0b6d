"""``/api/v1/customers``: customers pushed by the ERP (scope ``erp``)."""

from __future__ import annotations

from sqlalchemy.orm import joinedload, selectinload

from backoffice.services.integration_customers import CUSTOMERS
from models.customers import Customer
from views.api.resources import ApiResource, publish
from views.api.schemas_customers import (
    CustomerAddressOut,
    CustomerBulkItem,
    CustomerContactOut,
    CustomerIn,
    CustomerOut,
)

_COLUMNS = ("id", "external_id", "name", "nip", "email", "phone", "locale", "active")
_DATES = ("created_at", "updated_at")


def customer_out(customer: Customer) -> CustomerOut:
    """The API view of a customer."""
    group, manager = customer.group, customer.account_manager
    return CustomerOut(
        **{c: getattr(customer, c) for c in _COLUMNS + _DATES},
        group=(group.code or group.name) if group else None,
        account_manager_email=manager.email if manager else None,
        addresses=[
            CustomerAddressOut.model_validate(a).model_copy(update={"kind": a.kind.value})
            for a in customer.addresses
        ],
        contacts=[CustomerContactOut.model_validate(c) for c in customer.contacts],
    )


RESOURCE = ApiResource(
    path="customers",
    noun="customer",
    spec=CUSTOMERS,
    body=CustomerIn,
    bulk_item=CustomerBulkItem,
    out=CustomerOut,
    to_out=customer_out,
    load=lambda stmt: stmt.options(
        selectinload(Customer.addresses),
        selectinload(Customer.contacts),
        joinedload(Customer.group),
        joinedload(Customer.account_manager),
    ),
    tag="customers",
)
publish(RESOURCE)
