"""Newsletter messages as bytes, built fast: one recipient costs ~0.1 ms instead of ~1 ms.

Building dominates the cost of a big send (``email.mime`` ~0.5–1 ms, ``EmailMessage``
~2 ms per message here). A newsletter is always the same shape — ``multipart/alternative``
with a quoted-printable UTF-8 plain-text part and an HTML part — so its bytes are written
directly: headers encoded with the standard library (RFC 2047 encoded words for Polish
subjects and names), bodies encoded with ``binascii.b2a_qp`` (C), CRLF line endings
everywhere, as ``smtplib`` must send them. The result parses back into the same texts with
``email.message_from_bytes`` (tested); the boundary cannot occur in a quoted-printable body
(``=`` is always encoded there as ``=3D``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from email.utils import format_datetime, formataddr, parseaddr

from flask import current_app

from backoffice.mail.compose import domain_of
from backoffice.services.newsletter_content import Personal, render
from backoffice.services.newsletter_links import UrlMaker
from models.base import utcnow


def _clean(value: str) -> str:
    return " ".join(str(value or "").split())


def encode_header(value: str) -> str:
    """An unstructured header value: ASCII as it is, else RFC 2047 encoded words (base64,
    at most 75 characters each, never splitting a character), folded with CRLF + space."""
    value = _clean(value)
    if value.isascii():
        return value
    words, chunk = [], b""
    for char in value:
        data = char.encode("utf-8")
        if len(chunk) + len(data) > 45:  # 45 bytes → 60 base64 characters + 12 around
            words.append(chunk)
            chunk = b""
        chunk += data
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words)


def mailbox(name: str | None, address: str) -> str:
    """``Name <address>`` with the name encoded when it is not ASCII (address must be)."""
    if not address.isascii():
        raise ValueError(f"{address!r} needs SMTPUTF8, which is not supported")
    name = _clean(name or "").replace('"', "'")
    if not name:
        return address
    if not name.isascii():
        return f"{encode_header(name)} <{address}>"
    return formataddr((name, address))


def _qp(text: str) -> bytes:
    crlf = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    return binascii.b2a_qp(crlf.encode("utf-8"), istext=True)


def build_message(
    *,
    sender: str,
    to: str,
    to_name: str | None,
    subject: str,
    html: str,
    text: str,
    message_id: str,
    headers: dict[str, str],
    date: dt.datetime | None = None,
) -> bytes:
    """A ``multipart/alternative`` e-mail (text + HTML) serialised for SMTP."""
    boundary = "=_nl_" + message_id.strip("<>").replace("@", "_")
    lines = [
        f"From: {sender}",
        f"To: {mailbox(to_name, to)}",
        f"Subject: {encode_header(subject)}",
        f"Message-ID: {message_id}",
        f"Date: {format_datetime(date or utcnow())}",
        "MIME-Version: 1.0",
    ]
    lines += [f"{name}: {encode_header(value)}" for name, value in headers.items()]
    lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
    part = (
        '--{b}\r\nContent-Type: text/{kind}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    return b"".join(
        (
            head,
            part.format(b=boundary, kind="plain").encode("ascii"),
            _qp(text),
            b"\r\n",
            part.format(b=boundary, kind="html").encode("ascii"),
            _qp(html),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        )
    )


class Builder:
    """One campaign's messages: per-job data (sender, links key, compiled content) read once."""

    def __init__(self, campaign, compiled, link_ids: list[int]):
        config = current_app.config
        self.envelope_sender = config["MAIL_FROM"]
        name, address = parseaddr(self.envelope_sender)
        self.sender = mailbox(name, address)
        self.domain = domain_of(self.envelope_sender)
        self.campaign_id = campaign.id
        self.compiled = compiled
        self.urls = UrlMaker(link_ids, campaign.track_opens)
        self.list_id = f"<list-{campaign.list_id}.{self.domain}>"

    def message_id(self, recipient_id: int) -> str:
        """The same on every attempt: receivers drop a repeat, bounces name the row."""
        return f"<nl-{self.campaign_id}-{recipient_id}@{self.domain}>"

    def build(self, row) -> bytes:
        """The bytes for one claimed recipient row."""
        person = Personal(
            row.email, row.name or "", row.company or "", row.points, row.code or "", row.id
        )
        urls = self.urls.for_recipient(row.id)
        mail = render(self.compiled, person, urls)
        return build_message(
            sender=self.sender,
            to=row.email,
            to_name=row.name,
            subject=mail.subject,
            html=mail.html,
            text=mail.text,
            message_id=self.message_id(row.id),
            headers={
                "List-Unsubscribe": f"<{urls.unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "List-Id": self.list_id,
                "Precedence": "bulk",
            },
        )


class Prefetcher:
    """Builds the next few messages in a helper thread while the current one is on the
    wire: the SMTP round trips wait on the network (no GIL held), so building overlaps them.
    Only builds — nothing is sent or stored from here."""

    def __init__(self, builder: Builder, ahead: int = 4):
        self.builder = builder
        self.ahead = ahead
        app = current_app._get_current_object()
        self.pool = ThreadPoolExecutor(
            1, thread_name_prefix="newsletter-build", initializer=lambda: app.app_context().push()
        )
        self.futures: dict[int, Future] = {}

    def get(self, rows: list, position: int) -> bytes:
        """The bytes of ``rows[position]`` (build errors are raised here); queues the next."""
        for row in rows[position : position + self.ahead + 1]:
            if row.id not in self.futures:
                self.futures[row.id] = self.pool.submit(self.builder.build, row)
        return self.futures.pop(rows[position].id).result()

    def close(self) -> None:
        for future in self.futures.values():
            future.cancel()
        self.futures.clear()
        self.pool.shutdown(wait=True)
