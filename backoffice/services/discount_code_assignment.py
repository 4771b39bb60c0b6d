"""Giving discount codes to people: by hand, to a customer group, to newsletter recipients.

Each assignment is a row of the code's register, keyed per batch by the recipient's key, so
asking again for the same recipient returns the same code. Free codes are claimed with
``FOR UPDATE SKIP LOCKED``: concurrent callers never get the same code. Never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import Conflict, ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from models.base import utcnow
from models.customers import Customer, CustomerGroup
from models.discount_codes import (
    BatchStatus,
    DiscountCode,
    DiscountCodeAssignment,
    DiscountCodeBatch,
)


@dataclass(frozen=True)
class CodeRecipient:
    """Someone to give a code to; ``key`` identifies them across repeated calls.

    With ``customer_id`` the code becomes personal: only that customer may redeem it.
    """

    key: str
    customer_id: int | None = None
    email: str | None = None


def assign_codes(
    actor: Actor,
    batch: DiscountCodeBatch,
    recipients: Iterable[CodeRecipient | str],
    *,
    source: str = "newsletter",
) -> dict[str, str]:
    """Give each recipient a distinct unused code of the batch: ``{recipient key: code}``.

    Idempotent per key: a recipient who already has a code of the batch gets the same one.
    Raises Conflict when the batch is not ready or has too few unassigned codes left.
    """
    wanted = _recipients(recipients)
    if batch.status != BatchStatus.READY:
        raise Conflict(_("The codes of this batch are still being generated."))
    if not wanted:
        return {}
    for attempt in range(3):
        result = _assigned(batch.id, list(wanted))
        todo = [r for key, r in wanted.items() if key not in result]
        if not todo:
            break
        try:
            with db.session.begin_nested():
                result.update(_assign_free(actor, batch, todo, source))
        except IntegrityError:
            # A concurrent call gave some of these recipients a code first: take theirs.
            if attempt == 2:
                raise
            continue
        record(
            actor,
            "discount_batch.assign",
            batch,
            summary=_("%(count)s codes assigned (%(source)s)", count=len(todo), source=source),
        )
        break
    return {key: result[key] for key in wanted}


def _recipients(recipients: Iterable[CodeRecipient | str]) -> dict[str, CodeRecipient]:
    wanted: dict[str, CodeRecipient] = {}
    for item in recipients:
        recipient = CodeRecipient(item) if isinstance(item, str) else item
        key = (recipient.key or "").strip()
        if not key or len(key) > 200:
            raise ValidationFailed(
                _("Every recipient needs a key of 1 to 200 characters."), field="recipients"
            )
        wanted.setdefault(key, recipient)
    return wanted


def _assigned(batch_id: int, keys: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(keys), 1000):
        rows = db.session.execute(
            select(DiscountCodeAssignment.recipient_key, DiscountCode.code)
            .join(DiscountCode, DiscountCode.id == DiscountCodeAssignment.code_id)
            .where(
                DiscountCodeAssignment.batch_id == batch_id,
                DiscountCodeAssignment.recipient_key.in_(keys[start : start + 1000]),
            )
        ).all()
        found.update(dict(rows))
    return found


def _assign_free(actor: Actor, batch, todo: list[CodeRecipient], source: str) -> dict[str, str]:
    free = db.session.execute(
        select(DiscountCode.id, DiscountCode.code)
        .where(
            DiscountCode.batch_id == batch.id,
            DiscountCode.assigned_at.is_(None),
            DiscountCode.use_count == 0,
            DiscountCode.blocked.is_(False),
        )
        .order_by(DiscountCode.id)
        .limit(len(todo))
        .with_for_update(skip_locked=True)
    ).all()
    if len(free) < len(todo):
        raise Conflict(
            _(
                "The batch has only %(free)s unassigned codes left, %(needed)s are needed.",
                free=len(free),
                needed=len(todo),
            )
        )
    now, by = utcnow(), actor.label[:300]
    _mark_assigned(free, todo, now)
    db.session.execute(
        DiscountCodeAssignment.__table__.insert(),
        [
            {
                "batch_id": batch.id,
                "code_id": code_id,
                "recipient_key": r.key,
                "customer_id": r.customer_id,
                "email": r.email,
                "source": source,
                "assigned_at": now,
                "assigned_by": by,
            }
            for (code_id, _code), r in zip(free, todo, strict=True)
        ],
    )
    return {r.key: code for (_id, code), r in zip(free, todo, strict=True)}


def _mark_assigned(free, todo: list[CodeRecipient], now) -> None:
    """Set assigned_at (and the personal customer): one statement per 10,000 plain codes."""
    plain = [code_id for (code_id, _c), r in zip(free, todo, strict=True) if r.customer_id is None]
    for start in range(0, len(plain), 10_000):
        db.session.execute(
            update(DiscountCode)
            .where(DiscountCode.id.in_(plain[start : start + 10_000]))
            .values(assigned_at=now)
            .execution_options(synchronize_session=False)
        )
    personal = [
        {"id": code_id, "assigned_at": now, "customer_id": r.customer_id}
        for (code_id, _c), r in zip(free, todo, strict=True)
        if r.customer_id is not None
    ]
    if personal:
        db.session.execute(update(DiscountCode), personal)


def assign_to_customers(
    actor: Actor, batch: DiscountCodeBatch, customers: Iterable[Customer], source: str = "manual"
) -> dict[int, str]:
    """One personal code per customer (the same one if the customer already has one)."""
    people = list(customers)
    recipients = [
        CodeRecipient(f"customer:{c.id}", customer_id=c.id, email=c.email) for c in people
    ]
    codes = assign_codes(actor, batch, recipients, source=source)
    return {c.id: codes[f"customer:{c.id}"] for c in people}


def assign_to_group(actor: Actor, batch: DiscountCodeBatch, group: CustomerGroup) -> dict[int, str]:
    """One personal code for every active customer of the group."""
    customers = db.session.scalars(
        select(Customer)
        .where(Customer.group_id == group.id, Customer.active.is_(True))
        .order_by(Customer.id)
    ).all()
    return assign_to_customers(actor, batch, customers, source="group")
