"""Customers with their addresses and contacts as the ERP pushes them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from backoffice.services.integration_groups import group_ids
from backoffice.services.upsert_children import Children
from backoffice.services.upserts import Errors, Item, Ref, UpsertSpec
from models.customers import Address, Contact, Customer, CustomerGroup
from models.users import User


def contact_key(row: dict) -> str:
    """Contacts are matched by e-mail, or by name when they have none."""
    email = (row.get("email") or "").strip().lower()
    return email or "name:" + (row.get("name") or "").strip().casefold()


def _resolve_groups(items: list[Item], errors: Errors) -> None:
    """``group`` (a code or name) → ``group_id``; unknown groups are created."""
    labels = {it.values["group"] for it in items if it.values.get("group")}
    ids = group_ids(CustomerGroup, labels, create_column="name")
    for item in items:
        if "group" in item.values:
            label = item.values.pop("group")
            item.values["group_id"] = ids[label.lower()] if label else None


CUSTOMERS = UpsertSpec(
    name="customer",
    model=Customer,
    refs=(
        Ref(
            "account_manager_email",
            "account_manager_id",
            User,
            unknown=_l("No staff user has the e-mail %(value)s."),
            lookup="email",
            normalise=str.lower,
        ),
    ),
    children=(
        Children("addresses", Address, "customer_id"),
        Children("contacts", Contact, "customer_id", key=contact_key),
    ),
    prepare=_resolve_groups,
)
