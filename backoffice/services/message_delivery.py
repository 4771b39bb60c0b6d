"""What happened after sending: delivery reports, bounces, complaints.

Reports come from the signed webhook (SMS delivery reports, e-mail provider events), from
DSN files and from the bounce mailbox. Each is stored once (``report_key``) as a
``DeliveryEvent`` and moves its message: ``delivered``, ``bounced`` (e-mail) or ``failed``
(SMS not delivered). A hard bounce or a complaint puts the address on the suppression list,
so it gets no more marketing. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backoffice.actors import SYSTEM, Actor
from backoffice.extensions import db
from backoffice.mail.dsn import Bounce, our_message_id, parse_dsn
from backoffice.services.consents import suppress
from models.base import utcnow
from models.messaging import (
    Channel,
    DeliveryEvent,
    DeliveryEventKind,
    Message,
    MessageStatus,
    SuppressionReason,
)

log = logging.getLogger(__name__)

#: Status a delivery report moves a message to.
STATUS_FOR = {
    DeliveryEventKind.DELIVERED: MessageStatus.DELIVERED,
    DeliveryEventKind.BOUNCED: MessageStatus.BOUNCED,
    DeliveryEventKind.FAILED: MessageStatus.FAILED,
}
#: A report may move a message only from these statuses (never back to "delivered" after
#: a bounce, never for a message that has not gone out yet).
MOVABLE = {
    MessageStatus.DELIVERED: {MessageStatus.SENT},
    MessageStatus.BOUNCED: {MessageStatus.SENT, MessageStatus.DELIVERED},
    MessageStatus.FAILED: {MessageStatus.SENT, MessageStatus.DELIVERED},
}


@dataclass(frozen=True)
class Report:
    """A delivery report in our terms, whatever its source."""

    channel: Channel
    kind: DeliveryEventKind
    source: str
    message_id: int | None = None
    provider_id: str | None = None
    recipient: str | None = None
    status_code: str | None = None
    detail: str | None = None
    report_key: str | None = None
    hard: bool = False
    at: dt.datetime | None = None
    #: The Message-ID of the reported mail when it is not a register row's (e.g. a
    #: newsletter's ``<nl-…>``): such a report is never pinned on another message.
    original_message_id: str | None = None


#: Handlers ``handler(report, event)`` (dotted names) told about every stored report, for
#: modules that send mail outside the register (newsletters); each decides if it is theirs.
REPORT_HANDLERS = ("backoffice.services.newsletter_tracking.handle_delivery_report",)


def signature(secret: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of a webhook body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str | None, body: bytes, given: str | None) -> bool:
    """Constant-time check of ``X-Signature: sha256=<hex>`` (or bare hex)."""
    if not secret or not given:
        return False
    given = given.strip()
    given = given.split("=", 1)[1] if given.lower().startswith("sha256=") else given
    return hmac.compare_digest(signature(secret, body), given.lower())


def find_message(report: Report) -> Message | None:
    """The register row a report is about: by our id, else the provider's id."""
    if report.message_id is not None:
        message = db.session.get(Message, report.message_id)
        if message is not None and message.channel == report.channel:
            return message
    if report.provider_id:
        return db.session.scalar(
            select(Message)
            .where(Message.provider_id == report.provider_id, Message.channel == report.channel)
            .order_by(Message.id.desc())
            .limit(1)
        )
    if report.original_message_id and our_message_id(report.original_message_id) is None:
        return None  # about mail another module sent (see REPORT_HANDLERS)
    if report.recipient and report.channel == Channel.EMAIL:
        return db.session.scalar(
            select(Message)
            .where(Message.recipient == report.recipient.lower(), Message.sent_at.is_not(None))
            .order_by(Message.sent_at.desc())
            .limit(1)
        )
    return None


def record_report(report: Report, actor: Actor = SYSTEM) -> DeliveryEvent | None:
    """Store a report once and apply it; None when the same report came before."""
    if report.report_key and db.session.scalar(
        select(DeliveryEvent.id).where(DeliveryEvent.report_key == report.report_key)
    ):
        return None
    message = find_message(report)
    event = DeliveryEvent(
        message_id=message.id if message else None,
        channel=report.channel,
        kind=report.kind,
        source=report.source,
        recipient=report.recipient or (message.recipient if message else None),
        provider_id=report.provider_id,
        status_code=report.status_code,
        detail=(report.detail or "")[:4000] or None,
        report_key=report.report_key,
        at=report.at or utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(event)
    except IntegrityError:
        return None  # the same report arrived concurrently
    if message is not None:
        _apply(message, report, event)
    _suppress_if_needed(report, event, message, actor)
    _tell_handlers(report, event)
    return event


def _tell_handlers(report: Report, event: DeliveryEvent) -> None:
    import importlib

    for name in REPORT_HANDLERS:
        module_name, _dot, func = name.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # that module is not installed (yet)
        getattr(module, func)(report, event)


def _apply(message: Message, report: Report, event: DeliveryEvent) -> None:
    target = STATUS_FOR.get(report.kind)
    if target is None or message.status not in MOVABLE[target]:
        return
    message.status = target
    if target == MessageStatus.DELIVERED:
        message.delivered_at = event.at
    elif target == MessageStatus.BOUNCED:
        message.bounced_at = event.at
        message.last_error = report.detail or report.status_code
    else:
        message.failed_at = event.at
        message.last_error = report.detail or report.status_code


def _suppress_if_needed(report: Report, event, message, actor: Actor) -> None:
    address = event.recipient
    if not address or report.channel != Channel.EMAIL:
        return
    if report.kind == DeliveryEventKind.COMPLAINED:
        reason = SuppressionReason.COMPLAINT
    elif report.kind == DeliveryEventKind.BOUNCED and report.hard:
        reason = SuppressionReason.HARD_BOUNCE
    else:
        return
    suppress(
        actor,
        address,
        reason,
        detail=report.detail or report.status_code,
        message_id=message.id if message else None,
    )


# --- bounces (DSN) ---------------------------------------------------------------------------


def report_from_bounce(bounce: Bounce, source: str) -> Report:
    """A DSN recipient line as a Report."""
    if bounce.action == "delivered":
        kind = DeliveryEventKind.DELIVERED
    elif bounce.is_failure:
        kind = DeliveryEventKind.BOUNCED
    else:
        kind = DeliveryEventKind.DELAYED
    key = f"dsn:{bounce.report_id}:{bounce.recipient}" if bounce.report_id else None
    return Report(
        Channel.EMAIL,
        kind,
        source,
        message_id=bounce.message_id,
        recipient=bounce.recipient,
        status_code=bounce.status,
        detail=bounce.diagnostic,
        report_key=key,
        hard=bounce.is_hard,
        original_message_id=bounce.original_message_id,
    )


def record_dsn(raw: bytes, source: str = "dsn-file") -> list[DeliveryEvent]:
    """Parse a DSN and record each recipient line; [] for a message that is not a DSN."""
    events = []
    for bounce in parse_dsn(raw):
        event = record_report(report_from_bounce(bounce, source))
        if event is not None:
            events.append(event)
    return events


# --- webhook payloads ------------------------------------------------------------------------

#: SMSAPI.pl delivery report status names → our kinds.
SMSAPI_STATUS = {
    "DELIVERED": DeliveryEventKind.DELIVERED,
    "UNDELIVERED": DeliveryEventKind.FAILED,
    "FAILED": DeliveryEventKind.FAILED,
    "EXPIRED": DeliveryEventKind.FAILED,
    "REJECTED": DeliveryEventKind.FAILED,
}


def reports_from_webhook(channel: Channel, payload: dict) -> list[Report]:
    """Our JSON format (``{"events": [...]}`` or one event) or SMSAPI.pl's callback fields."""
    if "MsgId" in payload:
        return _smsapi_reports(channel, payload)
    items = payload.get("events") if isinstance(payload.get("events"), list) else [payload]
    reports = []
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            kind = DeliveryEventKind(str(item.get("status", "")).lower())
        except ValueError:
            kind = DeliveryEventKind.OTHER
        raw_id = item.get("message_id")
        message_id = raw_id if isinstance(raw_id, int) else our_message_id(str(raw_id or ""))
        foreign = (
            raw_id if isinstance(raw_id, str) and "@" in raw_id and message_id is None else None
        )
        at = _parse_time(item.get("at"))
        reports.append(
            Report(
                channel,
                kind,
                "webhook",
                message_id=message_id,
                provider_id=str(item["provider_id"]) if item.get("provider_id") else None,
                recipient=(item.get("recipient") or None),
                status_code=str(item["code"]) if item.get("code") else None,
                detail=item.get("detail"),
                report_key=f"webhook:{channel.value}:{item['id']}" if item.get("id") else None,
                hard=bool(item.get("hard", str(item.get("code", "")).startswith("5"))),
                at=at,
                original_message_id=foreign,
            )
        )
    return reports


def _smsapi_reports(channel: Channel, payload: dict) -> list[Report]:
    fields = {k: str(v).split(",") for k, v in payload.items()}
    reports = []
    for i, provider_id in enumerate(fields["MsgId"]):

        def pick(name: str, i=i) -> str | None:
            values = fields.get(name) or []
            return values[i] if i < len(values) else None

        name = (pick("status_name") or "").upper()
        idx = pick("idx") or ""
        reports.append(
            Report(
                channel,
                SMSAPI_STATUS.get(name, DeliveryEventKind.OTHER),
                "webhook",
                message_id=int(idx[3:]) if idx.startswith("bo-") and idx[3:].isdigit() else None,
                provider_id=provider_id,
                recipient=pick("to"),
                status_code=pick("status"),
                detail=name or None,
                report_key=f"smsapi:{provider_id}:{pick('status')}",
                at=_parse_time(pick("donedate")),
            )
        )
    return reports


def _parse_time(value) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        if str(value).isdigit():
            return dt.datetime.fromtimestamp(int(value), dt.UTC)
        parsed = dt.datetime.fromisoformat(str(value))
    except (ValueError, OverflowError):
        return None
    return parsed if parsed.tzinfo else None
