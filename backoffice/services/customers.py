"""Customers (kontrahenci): checks shared by the console and the import, logos, activation.

A customer has any number of billing and shipping addresses (at most one default of each
kind), contacts with notice flags, an account manager who must be a sales user, and an
optional partner logo printed on offers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import func, select

from backoffice.actors import Actor
from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from models.customers import Customer
from models.users import Role, User, UserRole

LOGO_MAX_BYTES = 2 * 1024 * 1024
MAX_RETURN_WINDOW = 120


def sales_users_query():
    """Active staff holding the sales role, by name: who may be an account manager."""
    return (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.SALES, User.active.is_(True))
        .order_by(User.name)
    )


def sales_users() -> list[User]:
    return list(db.session.scalars(sales_users_query()))


def check_customer(customer: Customer) -> None:
    """Final guard before saving a customer edited anywhere; raises ValidationFailed."""
    # No autoflush: the object being checked must not be written before it is checked.
    with db.session.no_autoflush:
        _check_customer(customer)


def _check_customer(customer: Customer) -> None:
    errors: dict[str, list[str]] = {}
    manager = customer.account_manager
    if manager is not None and Role.SALES not in manager.roles:
        errors["account_manager"] = [_("The account manager must be a sales user.")]
    window = customer.return_window_months
    if window is not None and not 0 <= window <= MAX_RETURN_WINDOW:
        errors["return_window_months"] = [
            _("The return window must be between 0 and %(n)d months.", n=MAX_RETURN_WINDOW)
        ]
    for kind in ("billing", "shipping"):
        defaults = [a for a in customer.addresses if a.kind.value == kind and a.is_default]
        if len(defaults) > 1:
            errors["addresses"] = [_("Mark only one default address of each kind.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)


def search_term(term: str) -> str:
    """A NIP typed with dashes, spaces or a PL prefix is searched as its 10 digits."""
    compact = re.sub(r"[\s-]", "", term or "").upper().removeprefix("PL")
    return compact if re.fullmatch(r"\d{10}", compact) else (term or "").strip()


def set_logo(actor: Actor, customer: Customer, upload) -> Customer:
    """Store the partner's PNG/JPEG logo (checked by content, ≤ 2 MB) for offers."""
    from backoffice.services.uploads import check_upload, store_upload

    checked = check_upload(upload, kinds=("png", "jpeg"), max_bytes=LOGO_MAX_BYTES, field="logo")
    stored = store_upload(checked, folder="logos/customers")
    old = customer.logo_path
    customer.logo_path = stored.path
    record(actor, "customer.logo", customer, changes={"logo_path": [old, stored.path]})
    return customer


def remove_logo(actor: Actor, customer: Customer) -> Customer:
    """Stop printing the partner's logo on new documents."""
    if customer.logo_path:
        record(actor, "customer.logo", customer, changes={"logo_path": [customer.logo_path, None]})
        customer.logo_path = None
    return customer


def set_active(actor: Actor, customers: Iterable[Customer], active: bool) -> int:
    """Activate or deactivate customers; returns how many changed."""
    changed = 0
    for customer in customers:
        if customer.active != active:
            customer.active = active
            record(actor, f"customer.{'activate' if active else 'deactivate'}", customer)
            changed += 1
    return changed


def count_customers(active: bool = True) -> int:
    """Customers that are (or are not) active."""
    return db.session.scalar(select(func.count(Customer.id)).where(Customer.active.is_(active)))
