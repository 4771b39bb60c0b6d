"""Reading bounces: delivery status notifications (RFC 3464) as mail servers send them.

A DSN is a ``multipart/report; report-type=delivery-status`` message whose
``message/delivery-status`` part has one block per recipient (``Final-Recipient``,
``Action``, ``Status``, ``Diagnostic-Code``) and whose last part carries the original message
or its headers — with our ``Message-ID: <msg-42@…>``, which names the register row.

``Action: failed`` with a ``5.x.x`` status is a hard bounce (the address does not exist or
refuses mail for good); ``4.x.x`` or ``Action: delayed`` are soft.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import HeaderParser

_OUR_ID = re.compile(r"<msg-(\d+)@[^>]+>")


@dataclass(frozen=True)
class Bounce:
    """One recipient's line of a DSN."""

    recipient: str | None
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str | None  # e.g. "5.1.1"
    diagnostic: str | None
    original_message_id: str | None
    #: Our register id, when the original Message-ID is one of ours.
    message_id: int | None
    #: The DSN's own Message-ID: the key that makes re-reading the same report harmless.
    report_id: str | None

    @property
    def is_hard(self) -> bool:
        return self.action == "failed" and (self.status or "5").startswith("5")

    @property
    def is_failure(self) -> bool:
        return self.action == "failed"


def our_message_id(value: str | None) -> int | None:
    """42 for ``<msg-42@shop.pl>``; None for someone else's Message-ID."""
    match = _OUR_ID.search(value or "")
    return int(match.group(1)) if match else None


def _field(block, name: str) -> str | None:
    value = block.get(name)
    if value is None:
        return None
    value = " ".join(str(value).split())
    # "rfc822; jan@example.com" / "smtp; 550 5.1.1 …": drop the type prefix.
    return value.split(";", 1)[1].strip() if ";" in value else value


def _original_message_id(report: EmailMessage) -> str | None:
    for part in report.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            if inner is not None and inner.get("Message-ID"):
                return str(inner["Message-ID"]).strip()
        if ctype == "text/rfc822-headers":
            headers = HeaderParser().parsestr(part.get_content())
            if headers.get("Message-ID"):
                return str(headers["Message-ID"]).strip()
    match = _OUR_ID.search(report.as_string())
    return match.group(0) if match else None


def parse_dsn(raw: bytes) -> list[Bounce]:
    """The recipient lines of a DSN (empty when the message is not a delivery report)."""
    report = email.message_from_bytes(raw, policy=email.policy.default)
    status_part = next(
        (p for p in report.walk() if p.get_content_type() == "message/delivery-status"), None
    )
    if status_part is None:
        return []
    blocks = status_part.get_payload()
    if not isinstance(blocks, list):
        return []
    original = _original_message_id(report)
    report_id = str(report.get("Message-ID") or "").strip() or None
    bounces = []
    for block in blocks:
        action = (_field(block, "Action") or "").lower()
        if not action:
            continue  # the per-message block (Reporting-MTA, Arrival-Date)
        recipient = _field(block, "Final-Recipient") or _field(block, "Original-Recipient")
        bounces.append(
            Bounce(
                recipient=recipient.strip("<>").lower() if recipient else None,
                action=action,
                status=_field(block, "Status"),
                diagnostic=_field(block, "Diagnostic-Code"),
                original_message_id=original,
                message_id=our_message_id(original),
                report_id=report_id,
            )
        )
    return bounces
