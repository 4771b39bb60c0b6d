"""A batch's code register as rows: for the XLSX/CSV export job and the console."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import func, select

from backoffice.extensions import db
from models.customers import Customer
from models.discount_codes import (
    DiscountCode,
    DiscountCodeAssignment,
    DiscountCodeBatch,
    DiscountCodeUse,
    UseStatus,
)


def export_headers() -> list[str]:
    return [
        _("Code"),
        _("Status"),
        _("Customer"),
        _("Customer id"),
        _("Given to"),
        _("Assigned"),
        _("Uses"),
        _("Last used"),
    ]


def code_status(use_count: int, limit: int | None, blocked: bool, assigned: bool) -> str:
    """The state of a code in words."""
    if blocked:
        return _("blocked")
    if limit is not None and use_count >= limit:
        return _("used up")
    if use_count:
        return _("in use")
    return _("assigned") if assigned else _("free")


def export_rows(batch_id: int) -> Iterator[tuple]:
    """Every code of the batch in generation order, streamed from the database."""
    limit = db.session.scalar(
        select(DiscountCodeBatch.usage_limit_total).where(DiscountCodeBatch.id == batch_id)
    )
    last_use = (
        select(DiscountCodeUse.code_id, func.max(DiscountCodeUse.used_at).label("last"))
        .where(DiscountCodeUse.batch_id == batch_id, DiscountCodeUse.status == UseStatus.ACTIVE)
        .group_by(DiscountCodeUse.code_id)
        .subquery()
    )
    customer_id = func.coalesce(DiscountCode.customer_id, DiscountCodeAssignment.customer_id)
    query = (
        select(
            DiscountCode.code,
            DiscountCode.use_count,
            DiscountCode.blocked,
            DiscountCode.assigned_at,
            Customer.name,
            Customer.external_id,
            DiscountCodeAssignment.email,
            DiscountCodeAssignment.recipient_key,
            last_use.c.last,
        )
        .outerjoin(DiscountCodeAssignment, DiscountCodeAssignment.code_id == DiscountCode.id)
        .outerjoin(Customer, Customer.id == customer_id)
        .outerjoin(last_use, last_use.c.code_id == DiscountCode.id)
        .where(DiscountCode.batch_id == batch_id)
        .order_by(DiscountCode.id)
        .execution_options(yield_per=10_000)
    )
    for code, uses, blocked, assigned, name, ext, email, key, last in db.session.execute(query):
        status = code_status(uses, limit, blocked, assigned is not None)
        yield code, status, name, ext, email or key, assigned, uses, last
