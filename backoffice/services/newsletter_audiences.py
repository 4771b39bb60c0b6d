"""Who a campaign goes to: list members and segments of registered customers, minus everyone
who may not get marketing e-mail.

An address gets a campaign only when it is a valid e-mail address, has a recorded marketing
consent for e-mail, is not on the global suppression list (unsubscribed, hard-bounced,
complained) and has not left the campaign's list. The same rules run again for every batch
at send time, so an unsubscribe takes effect also for a campaign already sending.

Segment criteria (all optional, combined with AND): ``customer_group_ids``, ``regions``
(the customers' address regions), ``product_group_ids`` (bought from these groups or their
subgroups), ``points_min`` / ``points_max`` (confirmed balance), ``last_order_from`` /
``last_order_to`` (date of the last order, ISO dates in Warsaw time) and ``contacts``: whose
addresses — ``all`` (the company's and its contacts'), ``company`` or ``contacts``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import exists, func, select

from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services import consents
from models.customers import Address, Contact, Customer, CustomerGroup
from models.loyalty import EntryStatus, PointsEntry
from models.messaging import Channel, Purpose
from models.newsletters import Campaign, ListMember, MemberStatus
from models.orders import Order, OrderLine, OrderStatus
from models.products import Product, ProductGroup

WARSAW = ZoneInfo("Europe/Warsaw")
CONTACT_CHOICES = ("all", "company", "contacts")
_EMAIL = re.compile(
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)+$"
)


def normalise(raw: str | None) -> str | None:
    """A lower-case address, or None when it cannot be mailed (malformed, not ASCII)."""
    address = (raw or "").strip().lower()
    if len(address) > 254 or not _EMAIL.match(address) or ".." in address:
        return None
    return address


@dataclass(frozen=True)
class Candidate:
    """One address the campaign could go to."""

    email: str
    name: str | None = None
    company: str | None = None
    customer_id: int | None = None
    contact_id: int | None = None
    source: str = "list"


@dataclass
class Audience:
    """The eligible candidates and how the rest fell away (shown before sending)."""

    eligible: list[Candidate] = field(default_factory=list)
    from_list: int = 0
    from_segment: int = 0
    duplicates: int = 0
    invalid: int = 0
    no_consent: int = 0
    suppressed: int = 0
    left_list: int = 0

    @property
    def count(self) -> int:
        return len(self.eligible)

    def summary(self) -> dict[str, int]:
        return {
            "eligible": self.count,
            "from_list": self.from_list,
            "from_segment": self.from_segment,
            "duplicates": self.duplicates,
            "invalid": self.invalid,
            "no_consent": self.no_consent,
            "suppressed": self.suppressed,
            "left_list": self.left_list,
        }


# --- segment criteria ----------------------------------------------------------------------


def _ids(values, model, name: str, errors: dict) -> list[int]:
    ids = sorted({int(v) for v in values or () if str(v).strip().isdigit()})
    if ids:
        found = set(db.session.scalars(select(model.id).where(model.id.in_(ids))))
        if found != set(ids):
            errors[name] = [_("Some of the chosen entries do not exist.")]
    return ids


def _date(value, name: str, errors: dict) -> str | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        errors[name] = [_("Enter a date (YYYY-MM-DD).")]
        return None


def _points(value, name: str, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        errors[name] = [_("Enter a whole number of points.")]
        return None


def clean_criteria(raw: dict) -> dict:
    """Checked, normalised segment criteria; raises ValidationFailed naming the fields."""
    errors: dict[str, list[str]] = {}
    regions = sorted({str(r).strip() for r in raw.get("regions") or () if str(r).strip()})
    groups = _ids(raw.get("customer_group_ids"), CustomerGroup, "customer_group_ids", errors)
    products = _ids(raw.get("product_group_ids"), ProductGroup, "product_group_ids", errors)
    criteria = {
        "customer_group_ids": groups,
        "regions": regions,
        "product_group_ids": products,
        "points_min": _points(raw.get("points_min"), "points_min", errors),
        "points_max": _points(raw.get("points_max"), "points_max", errors),
        "last_order_from": _date(raw.get("last_order_from"), "last_order_from", errors),
        "last_order_to": _date(raw.get("last_order_to"), "last_order_to", errors),
        "contacts": raw.get("contacts") if raw.get("contacts") in CONTACT_CHOICES else "all",
    }
    low, high = criteria["points_min"], criteria["points_max"]
    if low is not None and high is not None and low > high:
        errors["points_max"] = [_("The maximum is smaller than the minimum.")]
    first, last = criteria["last_order_from"], criteria["last_order_to"]
    if first and last and first > last:
        errors["last_order_to"] = [_("The end date is before the start date.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    return criteria


def _descendants(group_ids: list[int]) -> list[int]:
    children: dict[int | None, list[int]] = {}
    for gid, parent in db.session.execute(select(ProductGroup.id, ProductGroup.parent_id)):
        children.setdefault(parent, []).append(gid)
    found, todo = set(), list(group_ids)
    while todo:
        gid = todo.pop()
        if gid not in found:
            found.add(gid)
            todo.extend(children.get(gid, ()))
    return sorted(found)


def _warsaw_start(day: str) -> dt.datetime:
    local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), WARSAW)
    return local.astimezone(dt.UTC)


def segment_query(criteria: dict):
    """SELECT of the ids of active customers matching the criteria."""
    query = select(Customer.id).where(Customer.active.is_(True))
    if criteria.get("customer_group_ids"):
        query = query.where(Customer.group_id.in_(criteria["customer_group_ids"]))
    if criteria.get("regions"):
        wanted = [r.lower() for r in criteria["regions"]]
        query = query.where(
            exists().where(
                Address.customer_id == Customer.id, func.lower(Address.region).in_(wanted)
            )
        )
    if criteria.get("product_group_ids"):
        bought = (
            select(OrderLine.id)
            .join(Order, Order.id == OrderLine.order_id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(
                Order.customer_id == Customer.id,
                Order.status != OrderStatus.CANCELLED,
                Product.group_id.in_(_descendants(criteria["product_group_ids"])),
            )
        )
        query = query.where(bought.exists())
    return _order_and_points(query, criteria)


def _order_and_points(query, criteria: dict):
    first, last = criteria.get("last_order_from"), criteria.get("last_order_to")
    if first or last:
        last_order = (
            select(func.max(Order.placed_at))
            .where(Order.customer_id == Customer.id, Order.status != OrderStatus.CANCELLED)
            .scalar_subquery()
        )
        if first:
            query = query.where(last_order >= _warsaw_start(first))
        if last:
            next_day = (dt.date.fromisoformat(last) + dt.timedelta(days=1)).isoformat()
            query = query.where(last_order < _warsaw_start(next_day))
    low, high = criteria.get("points_min"), criteria.get("points_max")
    if low is not None or high is not None:
        balance = (
            select(func.coalesce(func.sum(PointsEntry.points), 0))
            .where(
                PointsEntry.customer_id == Customer.id,
                PointsEntry.status == EntryStatus.CONFIRMED,
            )
            .scalar_subquery()
        )
        if low is not None:
            query = query.where(balance >= low)
        if high is not None:
            query = query.where(balance <= high)
    return query


def count_customers(criteria: dict) -> int:
    """How many customers a segment selects."""
    return db.session.scalar(select(func.count()).select_from(segment_query(criteria).subquery()))


# --- candidates --------------------------------------------------------------------------


def segment_candidates(criteria: dict) -> list[tuple[str | None, Candidate]]:
    """(raw address, candidate) of the selected customers' addresses, customers by id."""
    ids = segment_query(criteria).subquery()
    whose = criteria.get("contacts") or "all"
    out: list[tuple[str | None, Candidate]] = []
    if whose in ("all", "company"):
        rows = db.session.execute(
            select(Customer.id, Customer.name, Customer.email)
            .where(Customer.id.in_(select(ids.c.id)), Customer.email.is_not(None))
            .order_by(Customer.id)
        )
        for cid, name, email in rows:
            out.append((email, Candidate(email, None, name, cid, None, "segment")))
    if whose in ("all", "contacts"):
        rows = db.session.execute(
            select(Contact.id, Contact.customer_id, Contact.name, Contact.email, Customer.name)
            .join(Customer, Customer.id == Contact.customer_id)
            .where(Contact.customer_id.in_(select(ids.c.id)), Contact.email.is_not(None))
            .order_by(Contact.customer_id, Contact.id)
        )
        for contact_id, cid, name, email, company in rows:
            out.append((email, Candidate(email, name, company, cid, contact_id, "segment")))
    return out


def member_candidates(list_id: int) -> list[tuple[str | None, Candidate]]:
    """(raw address, candidate) of the subscribed members of a list."""
    rows = db.session.execute(
        select(ListMember.email, ListMember.name, ListMember.company)
        .where(ListMember.list_id == list_id, ListMember.status == MemberStatus.SUBSCRIBED)
        .order_by(ListMember.id)
    )
    return [
        (email, Candidate(email, name, company, None, None, "list"))
        for email, name, company in rows
    ]


def left_list(list_id: int, emails: Iterable[str] | None = None) -> set[str]:
    """Addresses that unsubscribed from the list (all of them, or those among ``emails``)."""
    query = select(ListMember.email).where(
        ListMember.list_id == list_id, ListMember.status == MemberStatus.UNSUBSCRIBED
    )
    if emails is None:
        return set(db.session.scalars(query))
    wanted, found = sorted(set(emails)), set()
    for start in range(0, len(wanted), 500):
        found.update(
            db.session.scalars(query.where(ListMember.email.in_(wanted[start : start + 500])))
        )
    return found


def audience(campaign: Campaign, criteria: dict | None = None) -> Audience:
    """The campaign's eligible recipients now, with the counts of those left out."""
    result = Audience()
    raw: list[tuple[str | None, Candidate]] = []
    if campaign.include_members:
        members = member_candidates(campaign.list_id)
        result.from_list = len(members)
        raw.extend(members)
    if campaign.segment_id is not None:
        found = segment_candidates(criteria if criteria is not None else campaign.segment.criteria)
        result.from_segment = len(found)
        raw.extend(found)
    unique: dict[str, Candidate] = {}
    for address, candidate in raw:
        email = normalise(address)
        if email is None:
            result.invalid += 1
        elif email in unique:
            result.duplicates += 1
        else:
            unique[email] = _with_email(candidate, email)
    _apply_rules(campaign, unique, result)
    return result


def _with_email(candidate: Candidate, email: str) -> Candidate:
    return Candidate(
        email,
        *[
            getattr(candidate, f)
            for f in ("name", "company", "customer_id", "contact_id", "source")
        ],
    )


def _apply_rules(campaign: Campaign, unique: dict[str, Candidate], result: Audience) -> None:
    emails = list(unique)
    known = consents.decisions(emails, Channel.EMAIL)
    suppressed = consents.suppressed_addresses(emails)
    left = left_list(campaign.list_id, emails)
    for email, candidate in unique.items():
        if email in suppressed:
            result.suppressed += 1
        elif known.get((email, Purpose.MARKETING)) is not True:
            result.no_consent += 1
        elif email in left:
            result.left_list += 1
        else:
            result.eligible.append(candidate)


def still_allowed(list_id: int, emails: Iterable[str]) -> set[str]:
    """Of ``emails``, those that may still get the list's campaign (checked at send time)."""
    wanted = set(emails)
    if not wanted:
        return set()
    allowed = consents.allowed_addresses(wanted, Channel.EMAIL, Purpose.MARKETING)
    return allowed - left_list(list_id, allowed)
