"""Suppliers (dostawcy): activation and the checks the console and other modules share."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from models.suppliers import Supplier


def check_supplier(supplier: Supplier) -> None:
    """Refuse a second supplier with the same external id; raises ValidationFailed."""
    # No autoflush: the object being checked must not be written before it is checked.
    with db.session.no_autoflush:
        _check_supplier(supplier)


def _check_supplier(supplier: Supplier) -> None:
    if supplier.external_id:
        query = select(Supplier.id).where(Supplier.external_id == supplier.external_id)
        if supplier.id is not None:
            query = query.where(Supplier.id != supplier.id)
        if db.session.scalar(query.limit(1)):
            raise ValidationFailed(
                _(
                    "A supplier with external id %(value)s already exists.",
                    value=supplier.external_id,
                ),
                field="external_id",
            )


def set_active(actor: Actor, suppliers: Iterable[Supplier], active: bool) -> int:
    """Activate or deactivate suppliers (inactive ones get no RFQs or orders)."""
    changed = 0
    for supplier in suppliers:
        if supplier.active != active:
            supplier.active = active
            record(actor, f"supplier.{'activate' if active else 'deactivate'}", supplier)
            changed += 1
    return changed


def active_suppliers() -> list[Supplier]:
    """Active suppliers by name (for pickers in other modules)."""
    return list(
        db.session.scalars(
            select(Supplier).where(Supplier.active.is_(True)).order_by(Supplier.name)
        )
    )
