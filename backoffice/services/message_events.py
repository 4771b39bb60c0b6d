"""The event catalogue and the notification matrix: which events exist, who decides channels.

Every module registers the events it sends, so the console can list them with their
variables and default channels::

    register_event("offer.sent", _l("Offer sent to the customer"),
                   variables={"offer": _l("number, valid_until, total_gross, …")},
                   channels=("email",), sample=offer_sample_context)

Events that only exist as template files (``templates/emails/<event>.<locale>.html``) are
listed too. Whether an event sends on a channel: a customer's override, else the console's
matrix row, else the event's default channels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.services.message_cache import memo
from models.message_templates import CustomerNotificationRule, NotificationRule
from models.messaging import Channel, Purpose

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "emails"

#: Variables every message template can use.
COMMON_VARIABLES = {
    "recipient": _l("the recipient: name, email, phone"),
    "company": _l("our company: name, street, postal_code, city, nip, email, phone, website"),
    "base_url": _l("address of this application (links to the portal)"),
    "locale": _l("language of the message (pl, en)"),
}


@dataclass(frozen=True)
class EventInfo:
    """What the console knows about an event that sends messages."""

    name: str
    description: object = ""
    #: variable name → what it holds (shown beside the template editor).
    variables: dict[str, object] = field(default_factory=dict)
    #: Channels on by default in the matrix.
    channels: tuple[str, ...] = ("email",)
    purpose: Purpose = Purpose.TRANSACTIONAL
    #: ``sample(ref)`` → template context for previews (``ref``: e.g. an order number).
    sample: Callable[[str | None], dict] | None = None
    #: What ``ref`` means for ``sample`` (e.g. "Order number").
    sample_label: object = None
    registered: bool = True

    @property
    def module(self) -> str:
        return self.name.partition(".")[0]


EVENTS: dict[str, EventInfo] = {}


def register_event(
    name: str,
    description: object,
    *,
    variables: dict[str, object] | None = None,
    channels: Iterable[str] = ("email",),
    purpose: Purpose | str = Purpose.TRANSACTIONAL,
    sample: Callable[[str | None], dict] | None = None,
    sample_label: object = None,
) -> EventInfo:
    """Add an event to the catalogue (call at import time of the sending module)."""
    info = EventInfo(
        name,
        description,
        dict(variables or {}),
        tuple(Channel(c).value for c in channels),
        Purpose(purpose),
        sample,
        sample_label,
    )
    EVENTS[name] = info
    return info


def template_files() -> dict[str, set[str]]:
    """Default template files on disk: event → locales."""
    found: dict[str, set[str]] = {}
    for path in TEMPLATES.glob("*.html"):
        if path.name.startswith("_"):
            continue
        event, _dot, locale = path.stem.rpartition(".")
        if event:
            found.setdefault(event, set()).add(locale)
    return found


def event_info(name: str) -> EventInfo:
    """The registered event, or a bare entry for one known only from its files."""
    _load_senders()
    return EVENTS.get(name) or EventInfo(name, registered=False)


def all_events() -> list[EventInfo]:
    """Registered events plus events that only have template files, sorted by name."""
    _load_senders()
    names = set(EVENTS) | set(template_files())
    return [event_info(n) for n in sorted(names)]


def _load_senders() -> None:
    """Import the modules that register events but may not be imported yet (e.g. in workers)."""
    import backoffice.services.order_notifications  # noqa: F401


# --- the matrix --------------------------------------------------------------------------------


def matrix() -> dict[tuple[str, str], bool]:
    """Every (event, channel) → enabled, with defaults filled in for cells without a row."""
    rows = {
        (r.event, r.channel.value): r.enabled for r in db.session.scalars(select(NotificationRule))
    }
    cells = {}
    for info in all_events():
        for channel in Channel:
            cells[(info.name, channel.value)] = rows.get(
                (info.name, channel.value), channel.value in info.channels
            )
    return cells


def enabled_channels(
    event: str, customer_id: int | None, requested: Iterable[str] | None = None
) -> list[Channel]:
    """Channels ``event`` sends on for this customer.

    An explicit switch wins — the customer's override, then the console's matrix row;
    without one, the channels the caller asked for, else the event's default channels
    (e-mail for an event nobody registered).
    """
    info = event_info(event)
    if requested:
        wanted = [Channel(c) for c in requested]
        defaults = {c.value for c in wanted}
    else:
        wanted = list(Channel)
        defaults = set(info.channels)
    rules = dict(memo("rules", event, lambda: _global_rules(event)))
    if customer_id is not None and customer_id in memo("ruled", None, _customers_with_rules):
        rules.update(_customer_rules(customer_id, event))
    return [c for c in wanted if rules.get(c, c.value in defaults)]


def _global_rules(event: str) -> dict[Channel, bool]:
    return {
        r.channel: r.enabled
        for r in db.session.scalars(select(NotificationRule).where(NotificationRule.event == event))
    }


def _customers_with_rules() -> set[int]:
    return set(db.session.scalars(select(CustomerNotificationRule.customer_id).distinct()))


def _customer_rules(customer_id: int, event: str) -> dict[Channel, bool]:
    return {
        r.channel: r.enabled
        for r in db.session.scalars(
            select(CustomerNotificationRule).where(
                CustomerNotificationRule.customer_id == customer_id,
                CustomerNotificationRule.event == event,
            )
        )
    }


def set_matrix(actor, cells: dict[tuple[str, str], bool]) -> int:
    """Store the console matrix; only cells that change get a row. Audited; no commit."""
    from backoffice.services.audit import record

    current = matrix()
    changed = {}
    for (event, channel), enabled in cells.items():
        if current.get((event, channel)) == enabled:
            continue
        db.session.merge(
            NotificationRule(
                event=event, channel=Channel(channel), enabled=enabled, updated_by=actor.label
            )
        )
        changed[f"{event}/{channel}"] = [current.get((event, channel)), enabled]
    if changed:
        record(
            actor,
            "notification_matrix.update",
            object_type="NotificationRule",
            summary=", ".join(sorted(changed)),
            changes=changed,
        )
    return len(changed)


def customer_rules(customer_id: int) -> dict[tuple[str, str], bool]:
    """A customer's own switches: (event, channel) → enabled."""
    return {
        (r.event, r.channel.value): r.enabled
        for r in db.session.scalars(
            select(CustomerNotificationRule).where(
                CustomerNotificationRule.customer_id == customer_id
            )
        )
    }


def set_customer_rules(actor, customer, cells: dict[tuple[str, str], bool | None]) -> int:
    """Store one customer's switches (None = follow the matrix). Audited; no commit."""
    from backoffice.services.audit import record

    current = customer_rules(customer.id)
    changed = {}
    for (event, channel), enabled in cells.items():
        if current.get((event, channel)) == enabled:
            continue
        row = db.session.get(CustomerNotificationRule, (customer.id, event, Channel(channel)))
        if enabled is None:
            if row is not None:
                db.session.delete(row)
        else:
            row = row or CustomerNotificationRule(
                customer_id=customer.id, event=event, channel=Channel(channel)
            )
            row.enabled = enabled
            row.updated_by = actor.label
            db.session.add(row)
        changed[f"{event}/{channel}"] = [current.get((event, channel)), enabled]
    if changed:
        record(
            actor,
            "customer_notifications.update",
            customer,
            changes=changed,
            summary=", ".join(sorted(changed)),
        )
    return len(changed)
