"""One interface for every way a message leaves: ``open_transport(url)`` → ``send()``.

A transport is opened once per batch and reused (one SMTP connection, one HTTP session),
then closed. ``send`` never raises for a refused message: it returns a ``SendResult`` whose
``outcome`` says what to do next:

* ``sent``  — accepted; ``provider_id`` / ``reply`` say what the server answered;
* ``retry`` — a temporary problem (SMTP 4xx, timeout, connection refused, gateway overload):
  try again later with backoff;
* ``failed`` — a permanent refusal (SMTP 5xx, invalid number): do not try again.

``TransportDown`` is raised only when the transport cannot be used at all (server
unreachable); every message of the batch is then retried later.

URLs (``MAIL_URL`` / ``SMS_URL``):

* ``smtp://[user:password@]host[:port][?starttls=1&timeout=30&verify=0]`` — plain SMTP, or
  STARTTLS with ``starttls=1``; ``smtps://…`` — SMTP over TLS (port 465);
* ``file://DIR`` — write ``.eml`` files (e-mail) or ``.json`` files (SMS) into DIR;
* ``smsapi://TOKEN@api.smsapi.pl[/sms.do][?test=1]`` (HTTPS) or ``smsapi+http://…`` — the
  SMSAPI.pl REST gateway, see ``backoffice/mail/sms.py``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class SendResult:
    """What happened to one message handed to a transport."""

    outcome: Outcome
    code: int | None = None
    reply: str = ""
    provider_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.SENT


class TransportDown(Exception):
    """The transport cannot deliver anything right now (e.g. SMTP server unreachable)."""


@dataclass(frozen=True)
class Envelope:
    """A message ready to go: ``data`` is the serialised e-mail or the SMS text."""

    message_id: int
    recipient: str
    data: bytes | str
    sender: str
    #: Our Message-ID header (e-mail) — used as the file name by the file transport.
    header_id: str | None = None


class Transport(Protocol):
    def send(self, envelope: Envelope, ready=None) -> SendResult:
        """Deliver one message; ``ready()`` (if given) runs right before its content goes."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class TransportUrl:
    """A parsed MAIL_URL / SMS_URL."""

    scheme: str
    host: str
    port: int | None
    username: str | None
    password: str | None
    path: str
    options: dict[str, str]

    @classmethod
    def parse(cls, url: str) -> TransportUrl:
        parts = urlsplit(url)
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.scheme == "file":
            # file://instance/outbox is relative, file:///var/outbox absolute.
            path = (parts.netloc + parts.path) if parts.netloc else parts.path
            return cls("file", "", None, None, None, unquote(path), options)
        return cls(
            parts.scheme,
            parts.hostname or "",
            parts.port,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
            parts.path,
            options,
        )

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.options.get(name)
        if value is None:
            return default
        return value.lower() in {"1", "true", "yes", "on"}


def open_transport(url: str, channel: str, *, timeout: float | None = None) -> Transport:
    """A transport for ``url``; ``channel`` ("email" or "sms") picks the file format."""
    parsed = TransportUrl.parse(url)
    if parsed.scheme == "file":
        from backoffice.mail.files import FileTransport

        return FileTransport(parsed.path, channel)
    if channel == "email" and parsed.scheme in {"smtp", "smtps"}:
        from backoffice.mail.smtp import SmtpTransport

        return SmtpTransport(parsed, timeout=timeout)
    if channel == "sms" and parsed.scheme in {"smsapi", "smsapi+http", "smsapi+https"}:
        from backoffice.mail.sms import SmsApiTransport

        return SmsApiTransport(parsed, timeout=timeout)
    raise ValueError(f"unsupported {channel} transport URL scheme {parsed.scheme!r}")


def describe(url: str) -> str:
    """The URL without its password or token (for logs and the console)."""
    parsed = TransportUrl.parse(url)
    if parsed.scheme == "file":
        return f"file://{parsed.path}"
    user = f"{parsed.username or ''}:***@" if parsed.password or parsed.username else ""
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{user}{parsed.host}{port}{parsed.path}"
