"""Consents, preferences and the suppression list: may this address get this kind of message?

Rules (applied by ``messaging.notify`` and by the newsletter module):

* ``transactional`` and ``payment_reminders`` need no opt-in, but stop on a channel the
  address opted out of;
* ``marketing`` goes only to addresses that opted in on that channel and are not on the
  suppression list (hard bounce, complaint, unsubscribe);
* ``internal`` (staff notices) is never filtered.

Every change writes a ``ConsentChange`` (when, source, who, IP) and an audit entry. Nothing
here commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backoffice.actors import Actor
from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from backoffice.validators import normalise_email, normalise_phone
from models.base import utcnow
from models.consents import Consent, ConsentChange, ConsentSource
from models.messaging import Channel, Purpose, Suppression, SuppressionReason

#: How a decision reached us, for the history tables.
SOURCE_LABELS = {
    ConsentSource.PORTAL: _l("portal"),
    ConsentSource.CONSOLE: _l("console"),
    ConsentSource.API: _l("API"),
    ConsentSource.IMPORT: _l("import"),
    ConsentSource.UNSUBSCRIBE: _l("unsubscribe link"),
    ConsentSource.SIGNUP_FORM: _l("sign-up form"),
}
#: Purposes a person can decide about (internal notices are not theirs to refuse).
USER_PURPOSES = (Purpose.TRANSACTIONAL, Purpose.PAYMENT_REMINDERS, Purpose.MARKETING)
OPT_IN_PURPOSES = frozenset({Purpose.MARKETING})


def normalise_address(address: str | None, channel: Channel | str) -> str | None:
    """Lower-case e-mail or E.164 phone; raises ValidationFailed for a malformed one."""
    if Channel(channel) == Channel.SMS:
        return normalise_phone(address, field="address")
    return normalise_email(address, field="address", required=False)


def set_consent(
    actor: Actor,
    address: str,
    channel: Channel | str,
    purpose: Purpose | str,
    granted: bool,
    *,
    source: ConsentSource | str,
    customer_id: int | None = None,
    contact_id: int | None = None,
    portal_user_id: int | None = None,
    note: str | None = None,
) -> Consent:
    """Record a decision (grant or withdraw) with its history; no commit.

    Raises ValidationFailed for a malformed address or an internal purpose. Setting the
    same value again only refreshes who the address belongs to (no new history row).
    """
    channel, purpose = Channel(channel), Purpose(purpose)
    if purpose not in USER_PURPOSES:
        raise ValidationFailed(_("This kind of message cannot be refused."), field="purpose")
    normalised = normalise_address(address, channel)
    if not normalised:
        raise ValidationFailed(_("An address is required."), field="address")
    consent = _get_or_create(normalised, channel, purpose, granted)
    for name, value in (
        ("customer_id", customer_id),
        ("contact_id", contact_id),
        ("portal_user_id", portal_user_id),
    ):
        if value is not None:
            setattr(consent, name, value)
    if consent.changes and consent.granted == granted:
        return consent
    consent.granted = granted
    consent.updated_at = utcnow()
    consent.changes.append(
        ConsentChange(
            granted=granted,
            at=consent.updated_at,
            source=ConsentSource(source),
            actor_kind=actor.kind,
            actor_id=actor.id,
            actor_label=actor.label[:300],
            ip=actor.ip,
            note=note,
        )
    )
    record(
        actor,
        "consent.grant" if granted else "consent.withdraw",
        consent,
        summary=f"{normalised} · {channel.value} · {purpose.value} · {source}",
    )
    return consent


def _get_or_create(address: str, channel: Channel, purpose: Purpose, granted: bool) -> Consent:
    query = select(Consent).where(
        Consent.address == address, Consent.channel == channel, Consent.purpose == purpose
    )
    consent = db.session.scalar(query.with_for_update())
    if consent is not None:
        return consent
    consent = Consent(address=address, channel=channel, purpose=purpose, granted=granted)
    try:
        with db.session.begin_nested():
            db.session.add(consent)
    except IntegrityError:  # created concurrently: use that row
        consent = db.session.scalar(query.with_for_update())
    return consent


def record_new_decisions(
    actor: Actor,
    addresses: Iterable[str],
    channel: Channel | str,
    purpose: Purpose | str,
    granted: bool,
    *,
    source: ConsentSource | str,
    note: str | None = None,
) -> list[str]:
    """The same decision for many addresses that have none recorded yet (imports); no commit.

    Addresses with a recorded decision for the purpose keep it (a withdrawal is never
    overridden), malformed ones are skipped. Consent and history rows are written in bulk
    (also safe against a concurrent writer) with one audit entry for all of them. Returns
    the addresses recorded now.
    """
    channel, purpose, source = Channel(channel), Purpose(purpose), ConsentSource(source)
    if purpose not in USER_PURPOSES:
        raise ValidationFailed(_("This kind of message cannot be refused."), field="purpose")
    wanted = set()
    for raw in addresses:
        try:
            wanted.add(normalise_address(raw, channel))
        except ValidationFailed:
            continue
    known = {a for (a, p) in decisions(wanted - {None}, channel) if p == purpose}
    todo = sorted(wanted - known - {None})
    done: list[str] = []
    for chunk in _chunks(todo, 1000):
        done.extend(_insert_decisions(actor, chunk, channel, purpose, granted, source, note))
    if done:
        record(
            actor,
            "consent.grant" if granted else "consent.withdraw",
            object_type="Consent",
            summary=f"{len(done)} × {channel.value} · {purpose.value} · {source.value}",
        )
    return done


def _insert_decisions(actor, chunk, channel, purpose, granted, source, note) -> list[str]:
    from sqlalchemy import insert
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    now = utcnow()
    dialect = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        dialect(Consent)
        .on_conflict_do_nothing(index_elements=["address", "channel", "purpose"])
        .returning(Consent.id, Consent.address)
    )
    rows = db.session.execute(
        stmt,
        [
            {"address": a, "channel": channel, "purpose": purpose, "granted": granted,
             "updated_at": now}
            for a in chunk
        ],
    ).all()  # fmt: skip
    if rows:
        db.session.execute(
            insert(ConsentChange),
            [
                {"consent_id": cid, "granted": granted, "at": now, "source": source,
                 "actor_kind": actor.kind, "actor_id": actor.id,
                 "actor_label": actor.label[:300], "ip": actor.ip, "note": note}
                for cid, _address in rows
            ],
        )  # fmt: skip
    return [address for _cid, address in rows]


def decisions(addresses: Iterable[str], channel: Channel | str) -> dict[tuple[str, Purpose], bool]:
    """Recorded decisions for the addresses on one channel: {(address, purpose): granted}."""
    wanted = sorted({a for a in addresses if a})
    found: dict[tuple[str, Purpose], bool] = {}
    for chunk in _chunks(wanted, 500):
        rows = db.session.execute(
            select(Consent.address, Consent.purpose, Consent.granted).where(
                Consent.channel == Channel(channel), Consent.address.in_(chunk)
            )
        )
        found.update({(a, Purpose(p)): g for a, p, g in rows})
    return found


def allowed_addresses(
    addresses: Iterable[str], channel: Channel | str, purpose: Purpose | str
) -> set[str]:
    """The (normalised) addresses that may receive a message of ``purpose`` on ``channel``."""
    purpose, channel = Purpose(purpose), Channel(channel)
    wanted = {a for a in addresses if a}
    if purpose == Purpose.INTERNAL:
        return wanted
    known = decisions(wanted, channel)
    if purpose in OPT_IN_PURPOSES:
        suppressed = suppressed_addresses(wanted)
        return {a for a in wanted if known.get((a, purpose)) is True and a not in suppressed}
    return {a for a in wanted if known.get((a, purpose)) is not False}


def allows(address: str, channel: Channel | str, purpose: Purpose | str) -> bool:
    """True when ``address`` (already normalised) may get a ``purpose`` message."""
    return address in allowed_addresses([address], channel, purpose)


def history(address: str) -> list[ConsentChange]:
    """Every recorded change for an address, newest first (console and portal)."""
    return db.session.scalars(
        select(ConsentChange)
        .join(Consent)
        .where(Consent.address == address)
        .order_by(ConsentChange.id.desc())
    ).all()


# --- suppression list ------------------------------------------------------------------------


def suppress(
    actor: Actor,
    address: str,
    reason: SuppressionReason | str,
    *,
    detail: str | None = None,
    message_id: int | None = None,
) -> Suppression:
    """Put an address on the suppression list (idempotent); no commit."""
    address = address.strip().lower()
    row = db.session.scalar(select(Suppression).where(Suppression.address == address))
    if row is not None:
        return row
    row = Suppression(
        address=address,
        reason=SuppressionReason(reason),
        detail=detail,
        message_id=message_id,
        created_by=actor.label[:300],
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return db.session.scalar(select(Suppression).where(Suppression.address == address))
    record(actor, "suppression.add", row, summary=f"{address}: {row.reason.value}")
    return row


def unsuppress(actor: Actor, address: str) -> bool:
    """Take an address off the suppression list; no commit. False if it was not there."""
    row = db.session.scalar(select(Suppression).where(Suppression.address == address.lower()))
    if row is None:
        return False
    record(actor, "suppression.remove", row, summary=address)
    db.session.delete(row)
    return True


def is_suppressed(address: str) -> bool:
    """True when the address must get no marketing (bounced hard, complained, unsubscribed)."""
    return bool(suppressed_addresses([address]))


def suppressed_addresses(addresses: Iterable[str] | None = None) -> set[str]:
    """The suppressed ones among ``addresses`` (lower-cased), or every suppressed address."""
    if addresses is None:
        return set(db.session.scalars(select(Suppression.address)))
    wanted = sorted({a.strip().lower() for a in addresses if a})
    found: set[str] = set()
    for chunk in _chunks(wanted, 500):
        found.update(
            db.session.scalars(select(Suppression.address).where(Suppression.address.in_(chunk)))
        )
    return found


#: The name the newsletter module looks for.
suppressed_emails = suppressed_addresses


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
