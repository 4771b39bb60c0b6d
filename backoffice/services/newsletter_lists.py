"""Address lists and their members: the default list, subscribing and leaving, checks.

A member row is kept when someone leaves (status ``unsubscribed``): imports never add them
again and segment mailings of the list skip them. Imports of external lists live in
``newsletter_imports``. Nothing here commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from backoffice.services.newsletter_audiences import normalise
from models.base import utcnow
from models.newsletters import ListMember, MemberStatus, NewsletterList

CHUNK = 5000


def insert_ignoring(model, rows: list[dict], unique: list[str]) -> None:
    """Bulk INSERT … ON CONFLICT DO NOTHING (rows already there are left as they are)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(model)
    for start in range(0, len(rows), CHUNK):
        db.session.execute(
            statement.on_conflict_do_nothing(index_elements=unique), rows[start : start + CHUNK]
        )


def default_list() -> NewsletterList:
    """The list the subscribe form and the API use when none is named (created if missing)."""
    found = db.session.scalar(
        select(NewsletterList)
        .where(NewsletterList.is_default.is_(True))
        .order_by(NewsletterList.id)
    )
    if found is not None:
        return found
    found = db.session.scalar(select(NewsletterList).order_by(NewsletterList.id).limit(1))
    if found is not None:
        found.is_default = True
        return found
    created = NewsletterList(name="Newsletter", public=True, is_default=True)
    try:
        with db.session.begin_nested():
            db.session.add(created)
    except IntegrityError:  # created concurrently
        return db.session.scalar(select(NewsletterList).where(NewsletterList.name == "Newsletter"))
    return created


def check_list(newsletter_list: NewsletterList) -> None:
    """A list's fields before saving; one default list at most (others are unmarked)."""
    newsletter_list.name = (newsletter_list.name or "").strip()
    if not newsletter_list.name:
        raise ValidationFailed(_("Give the list a name."), field="name")
    taken = db.session.scalar(
        select(NewsletterList.id).where(
            func.lower(NewsletterList.name) == newsletter_list.name.lower(),
            NewsletterList.id != (newsletter_list.id or 0),
        )
    )
    if taken:
        raise ValidationFailed(_("A list with this name exists already."), field="name")
    if newsletter_list.is_default and newsletter_list.id:
        db.session.execute(
            update(NewsletterList)
            .where(NewsletterList.id != newsletter_list.id, NewsletterList.is_default.is_(True))
            .values(is_default=False)
        )


def public_lists() -> list[NewsletterList]:
    """Lists offered on the subscribe form and the preferences page."""
    return db.session.scalars(
        select(NewsletterList).where(NewsletterList.public.is_(True)).order_by(NewsletterList.name)
    ).all()


def member(list_id: int, email: str) -> ListMember | None:
    return db.session.scalar(
        select(ListMember).where(ListMember.list_id == list_id, ListMember.email == email)
    )


def _get_or_create(list_id: int, email: str, source: str) -> ListMember:
    row = member(list_id, email)
    if row is not None:
        return row
    row = ListMember(list_id=list_id, email=email, source=source, status=MemberStatus.SUBSCRIBED)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        row = member(list_id, email)
    return row


def join_list(
    actor: Actor,
    newsletter_list: NewsletterList,
    email: str,
    *,
    source: str,
    name: str | None = None,
    company: str | None = None,
) -> ListMember:
    """Subscribe an address to a list (also one that left it: an explicit wish). Audited."""
    address = normalise(email)
    if address is None:
        raise ValidationFailed(_("Invalid e-mail address %(value)s.", value=email), field="email")
    row = _get_or_create(newsletter_list.id, address, source)
    row.name = (name or "").strip()[:200] or row.name
    row.company = (company or "").strip()[:300] or row.company
    if row.status != MemberStatus.SUBSCRIBED or row.unsubscribed_at is not None:
        row.status = MemberStatus.SUBSCRIBED
        row.unsubscribed_at = None
        row.source = source
    record(actor, "newsletter_member.join", row, summary=f"{address} → {newsletter_list.name}")
    return row


def leave_list(actor: Actor, list_id: int, email: str, *, source: str) -> bool:
    """Mark an address as gone from a list (kept as an opt-out); False if it had left already."""
    row = _get_or_create(list_id, email, source)
    if row.status == MemberStatus.UNSUBSCRIBED:
        return False
    row.status = MemberStatus.UNSUBSCRIBED
    row.unsubscribed_at = utcnow()
    record(actor, "newsletter_member.leave", row, summary=f"{email} ({source})")
    return True


def is_member(list_id: int, email: str) -> bool:
    row = member(list_id, email)
    return row is not None and row.status == MemberStatus.SUBSCRIBED


def has_left(list_id: int, email: str) -> bool:
    row = member(list_id, email)
    return row is not None and row.status == MemberStatus.UNSUBSCRIBED


def member_counts() -> dict[int, tuple[int, int]]:
    """list id → (subscribed, unsubscribed) members."""
    out: dict[int, list[int]] = {}
    rows = db.session.execute(
        select(ListMember.list_id, ListMember.status, func.count()).group_by(
            ListMember.list_id, ListMember.status
        )
    )
    for list_id, status, count in rows:
        slot = out.setdefault(list_id, [0, 0])
        slot[0 if status == MemberStatus.SUBSCRIBED else 1] = count
    return {k: (v[0], v[1]) for k, v in out.items()}
