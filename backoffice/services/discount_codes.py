"""Discount code batches: create and generate, assign codes to people, export, deactivate.

Checkout (validate / redeem / release) lives in ``discount_code_checkout``; random codes and
bulk storage in ``discount_code_generation``. Functions here never commit, except
``generate_next_chunk`` which the generating job calls once per committed chunk.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select, update

from backoffice.actors import Actor
from backoffice.errors import Conflict, ValidationFailed
from backoffice.extensions import db
from backoffice.queue import defer
from backoffice.services.audit import record
from backoffice.services.discount_code_assignment import (
    CodeRecipient,
    assign_codes,
    assign_to_customers,
    assign_to_group,
)
from backoffice.services.discount_code_checkout import release_order_codes
from backoffice.services.discount_code_generation import (
    min_length,
    random_codes,
    store_codes,
    store_random_codes,
)
from models.customers import Customer, CustomerGroup
from models.discount_codes import (
    BatchSource,
    BatchStatus,
    DiscountCode,
    DiscountCodeBatch,
    DiscountCodeExport,
    DiscountCodeUse,
    DiscountKind,
    UseStatus,
)
from models.orders import OrderEventType
from models.products import ProductGroup

#: Most codes in one batch (also the most an XLSX sheet can list).
MAX_CODES = 1_000_000
#: Batches up to this size are generated at once, bigger ones by a job.
INLINE_LIMIT = 2_000
#: Codes stored and committed per step of the generating job.
CHUNK = 100_000
__all__ = [
    "BatchSpec",
    "CodeRecipient",
    "assign_codes",
    "assign_to_customers",
    "assign_to_group",
    "create_batch",
    "generate_next_chunk",
    "handle_order_event",
    "request_export",
    "set_batch_active",
    "set_code_blocked",
    "start_generation",
    "validate_spec",
]
PREFIX_RE = re.compile(r"(?:[A-Z0-9][A-Z0-9-]{0,11})?")


@dataclass
class BatchSpec:
    """What a new batch should be (from the console form or the API)."""

    name: str
    count: int
    kind: DiscountKind | str
    value: Decimal
    prefix: str = ""
    code_length: int = 10
    max_discount: Decimal | None = None
    min_order_value: Decimal | None = None
    valid_from: dt.datetime | None = None
    valid_to: dt.datetime | None = None
    usage_limit_total: int | None = 1
    usage_limit_per_customer: int | None = None
    first_order_only: bool = False
    customer_group_ids: Sequence[int] = ()
    product_group_ids: Sequence[int] = ()
    customer_ids: Sequence[int] = ()
    external_id: str | None = None
    notes: str | None = None
    source: BatchSource = BatchSource.CONSOLE
    errors: dict[str, list[str]] = field(default_factory=dict)

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def create_batch(actor: Actor, spec: BatchSpec) -> DiscountCodeBatch:
    """Create a batch and generate its codes (now if small, else by a ``documents`` job).

    Raises ValidationFailed naming every bad field. With an ``external_id`` already used,
    returns the existing batch unchanged (a retried API call).
    """
    if spec.external_id:
        found = db.session.scalar(
            select(DiscountCodeBatch).where(DiscountCodeBatch.external_id == spec.external_id)
        )
        if found is not None:
            return found
    validate_spec(spec)
    groups = _load(CustomerGroup, spec.customer_group_ids, "customer_group_ids", spec)
    product_groups = _load(ProductGroup, spec.product_group_ids, "product_group_ids", spec)
    customers = _load(Customer, spec.customer_ids, "customer_ids", spec)
    if spec.errors:
        raise ValidationFailed(next(iter(spec.errors.values()))[0], errors=spec.errors)
    batch = _new_batch(spec, actor)
    batch.customer_groups, batch.product_groups = groups, product_groups
    batch.pending_assignees = [c.id for c in customers] or None
    db.session.add(batch)
    db.session.flush()
    record(actor, "discount_batch.create", batch, summary=batch.name, changes=_summary(batch))
    if batch.count <= INLINE_LIMIT:
        generate_next_chunk(batch, actor, size=batch.count)
    else:
        start_generation(batch)
    return batch


def _new_batch(spec: BatchSpec, actor: Actor) -> DiscountCodeBatch:
    simple = (
        "source",
        "prefix",
        "code_length",
        "count",
        "value",
        "max_discount",
        "min_order_value",
        "valid_from",
        "valid_to",
        "usage_limit_total",
        "usage_limit_per_customer",
        "first_order_only",
        "notes",
    )
    return DiscountCodeBatch(
        name=spec.name.strip(),
        external_id=spec.external_id or None,
        kind=DiscountKind(spec.kind),
        created_by=actor.label[:300],
        **{name: getattr(spec, name) for name in simple},
    )


def validate_spec(spec: BatchSpec) -> None:
    """Record every problem of the spec in ``spec.errors`` (nothing is written)."""
    spec.errors.clear()
    spec.name = (spec.name or "").strip()
    spec.prefix = (spec.prefix or "").strip().upper()
    if not spec.name:
        spec.fail("name", _("Give the batch a name."))
    if not isinstance(spec.count, int) or not 1 <= spec.count <= MAX_CODES:
        spec.fail("count", _("The number of codes must be between 1 and %(max)s.", max=MAX_CODES))
    if not PREFIX_RE.fullmatch(spec.prefix):
        spec.fail(
            "prefix",
            _(
                "The prefix may have up to 12 letters, digits and dashes, "
                "starting with a letter or digit."
            ),
        )
    if not 6 <= (spec.code_length or 0) <= 20:
        spec.fail("code_length", _("The random part must have 6 to 20 characters."))
    elif isinstance(spec.count, int) and spec.code_length < min_length(spec.count):
        spec.fail(
            "code_length",
            _(
                "%(count)s codes of %(length)s characters would be easy to guess: "
                "use at least %(min)s characters.",
                count=spec.count,
                length=spec.code_length,
                min=min_length(spec.count),
            ),
        )
    _validate_value(spec)
    if spec.valid_from and spec.valid_to and spec.valid_from > spec.valid_to:
        spec.fail("valid_to", _("The end of validity is before its start."))
    for name in ("usage_limit_total", "usage_limit_per_customer"):
        value = getattr(spec, name)
        if value is not None and value < 1:
            spec.fail(name, _("A limit must be at least 1 (leave it empty for no limit)."))


def _validate_value(spec: BatchSpec) -> None:
    try:
        spec.kind = DiscountKind(spec.kind)
    except ValueError:
        spec.fail("kind", _("Choose a percentage or an amount."))
        return
    if spec.value is None or spec.value <= 0:
        spec.fail("value", _("The discount must be greater than zero."))
    elif spec.kind == DiscountKind.PERCENT and spec.value > 100:
        spec.fail("value", _("A percentage discount cannot exceed 100%."))
    for name in ("max_discount", "min_order_value"):
        value = getattr(spec, name)
        if value is not None and value < 0:
            spec.fail(name, _("The amount cannot be negative."))


def _load(model, ids: Sequence[int], name: str, spec: BatchSpec) -> list:
    ids = list(dict.fromkeys(ids or ()))
    if not ids:
        return []
    rows = db.session.scalars(select(model).where(model.id.in_(ids))).all()
    if len(rows) != len(ids):
        spec.fail(name, _("Some of the chosen records do not exist."))
    return list(rows)


def _summary(batch: DiscountCodeBatch) -> dict:
    return {
        "count": batch.count,
        "kind": batch.kind,
        "value": batch.value,
        "prefix": batch.prefix,
        "usage_limit_total": batch.usage_limit_total,
        "usage_limit_per_customer": batch.usage_limit_per_customer,
    }


def start_generation(batch: DiscountCodeBatch) -> None:
    """Queue the generating job (again: it resumes where it stopped)."""
    defer(
        "tasks.discount_codes.generate_codes",
        batch.id,
        queue="documents",
        key=f"discount-codes-{batch.id}",
        timeout=1800,
        description=f"discount codes for batch {batch.id}",
    )


def generate_next_chunk(
    batch: DiscountCodeBatch, actor: Actor, size: int = CHUNK, *, fast: bool = False
) -> bool:
    """Store up to ``size`` more codes under the batch's row lock; True when complete.

    Safe to run twice at once (the lock serialises) and to resume after a crash (it
    continues from the number of codes already stored). ``fast`` is the job's path: one
    COPY without a savepoint; a clash raises CodeClash (roll back and call again without).
    """
    db.session.execute(
        select(DiscountCodeBatch.id).where(DiscountCodeBatch.id == batch.id).with_for_update()
    )
    db.session.refresh(batch)
    todo = min(size, batch.count - batch.generated)
    if todo > 0:
        length, prefix = batch.code_length, batch.prefix
        if fast:
            store_random_codes(batch.id, todo, length, prefix)
        else:
            store_codes(batch.id, random_codes(todo, length, prefix), length, prefix)
        batch.generated += todo
    if batch.generated >= batch.count and batch.status == BatchStatus.GENERATING:
        batch.status, batch.error = BatchStatus.READY, None
        _assign_pending(batch, actor)
    db.session.flush()
    return batch.status == BatchStatus.READY


def _assign_pending(batch: DiscountCodeBatch, actor: Actor) -> None:
    ids = batch.pending_assignees or []
    if ids:
        recipients = [CodeRecipient(f"customer:{cid}", customer_id=cid) for cid in ids]
        assign_codes(actor, batch, recipients, source="batch")
        batch.pending_assignees = None


def set_batch_active(actor: Actor, batch: DiscountCodeBatch, active: bool) -> None:
    """Switch a whole batch off (its codes are refused at checkout) or on again."""
    if batch.active == active:
        return
    batch.active = active
    record(actor, "discount_batch.activate" if active else "discount_batch.deactivate", batch)


def set_code_blocked(actor: Actor, code: DiscountCode, blocked: bool, reason: str = "") -> None:
    """Block one code (e.g. leaked) or unblock it; audited."""
    if code.blocked == blocked:
        return
    code.blocked = blocked
    action = "discount_code.block" if blocked else "discount_code.unblock"
    record(actor, action, code, summary=reason or code.code)


# --- exports and order events ---------------------------------------------------------


def request_export(actor: Actor, batch: DiscountCodeBatch, fmt: str) -> DiscountCodeExport:
    """Queue writing the batch's register to XLSX or CSV (a ``documents`` job)."""
    if fmt not in {"xlsx", "csv"}:
        raise ValidationFailed(_("Choose XLSX or CSV."), field="format")
    if batch.status != BatchStatus.READY:
        raise Conflict(_("The codes of this batch are still being generated."))
    export = DiscountCodeExport(batch_id=batch.id, format=fmt, requested_by=actor.label[:300])
    db.session.add(export)
    db.session.flush()
    record(actor, "discount_batch.export", batch, summary=fmt)
    defer("tasks.discount_codes.export_codes", export.id, queue="documents", timeout=1800)
    return export


def handle_order_event(actor: Actor, order, event) -> None:
    """Link uses to the stored order; a cancelled order releases its code."""
    if OrderEventType(event.type) == OrderEventType.CANCELLED:
        number = order.number
        release_order_codes(
            actor, order.external_id, _("Order %(number)s cancelled", number=number)
        )
        return
    db.session.execute(
        update(DiscountCodeUse)
        .where(
            DiscountCodeUse.order_external_id == order.external_id,
            DiscountCodeUse.order_id.is_(None),
            DiscountCodeUse.status == UseStatus.ACTIVE,
        )
        .values(order_id=order.id)
    )
