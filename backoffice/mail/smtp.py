"""SMTP transport: plain, STARTTLS or implicit TLS, optional AUTH, one connection per batch.

Each message is one SMTP transaction (MAIL, RCPT, DATA) so the server's reply to *that*
message is known: 2xx sent (the "queued as" id is kept), 4xx retry later, 5xx failed.
A dropped connection before DATA is reopened once and the message tried again at once
(nothing was delivered yet); a drop or timeout after DATA started is ambiguous and becomes
a ``retry`` — the deterministic Message-ID lets receivers drop the rare duplicate.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import re
import smtplib
import ssl
from collections.abc import Callable
from email.utils import parseaddr

from backoffice.mail.transports import Envelope, Outcome, SendResult, TransportDown, TransportUrl

_QUEUE_ID = re.compile(rb"(?:queued as|id=)\s*<?([A-Za-z0-9._@-]+)", re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def envelope_address(sender: str) -> str:
    """``Shop <noreply@shop.pl>`` → ``noreply@shop.pl`` (for MAIL FROM)."""
    return parseaddr(sender)[1] or sender


def classify(code: int, reply: bytes | str) -> SendResult:
    """A reply code → sent (2xx), retry (4xx or unknown) or failed (5xx)."""
    raw = reply if isinstance(reply, bytes) else str(reply).encode()
    text = f"{code} {raw.decode('utf-8', 'replace')}".strip()
    if 200 <= code < 300:
        match = _QUEUE_ID.search(raw)
        return SendResult(Outcome.SENT, code, text, match.group(1).decode() if match else None)
    if 500 <= code < 600:
        return SendResult(Outcome.FAILED, code, text)
    return SendResult(Outcome.RETRY, code, text)


class SmtpTransport:
    """Sends envelopes over one reused SMTP connection."""

    def __init__(self, url: TransportUrl, timeout: float | None = None):
        self.url = url
        self.timeout = timeout or float(url.options.get("timeout", 30))
        self.conn: smtplib.SMTP | None = None

    # --- connection ------------------------------------------------------------------
    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.url.flag("verify", True):
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> smtplib.SMTP:
        url = self.url
        conn = None
        try:
            if url.scheme == "smtps":
                conn = smtplib.SMTP_SSL(
                    url.host, url.port or 465, timeout=self.timeout, context=self._tls_context()
                )
            else:
                conn = smtplib.SMTP(url.host, url.port or 25, timeout=self.timeout)
                if url.flag("starttls"):
                    conn.ehlo()
                    conn.starttls(context=self._tls_context())
                    conn.ehlo()
            if url.username:
                _login(conn, url.username, url.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
            raise TransportDown(f"SMTP {url.host}:{url.port or ''} unavailable: {exc}") from exc
        return conn

    def _drop(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.close()
        self.conn = None

    def close(self) -> None:
        """QUIT politely (ignoring a server that already hung up)."""
        if self.conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.conn.quit()
        self._drop()

    # --- sending ---------------------------------------------------------------------
    def send(self, envelope: Envelope, ready: Callable[[], None] | None = None) -> SendResult:
        """One SMTP transaction for one recipient; reconnects once if the server hung up.

        ``ready()`` is called after RCPT, just before the message content goes: the caller
        waits there for whatever must be durable before another message can be delivered.
        """
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = self._connect()
            try:
                return self._transaction(envelope, ready)
            except _DroppedBeforeData as exc:
                self._drop()
                if attempt == 2:
                    return SendResult(Outcome.RETRY, None, f"connection lost: {exc}")
        raise AssertionError("unreachable")

    def _transaction(self, envelope: Envelope, ready) -> SendResult:
        conn = self.conn
        sender = envelope_address(envelope.sender)
        data = envelope.data if isinstance(envelope.data, bytes) else envelope.data.encode()
        try:
            conn.ehlo_or_helo_if_needed()
            code, reply = conn.mail(sender)
            if code != 250:
                return self._refused(code, reply)
            code, reply = conn.rcpt(envelope.recipient)
            if code not in (250, 251):
                return self._refused(code, reply)
        except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError) as exc:
            raise _DroppedBeforeData(str(exc) or type(exc).__name__) from exc
        except smtplib.SMTPResponseException as exc:  # e.g. HELO refused
            return self._refused(exc.smtp_code, exc.smtp_error)
        if ready is not None:
            ready()
        try:
            code, reply = conn.data(data)
        except smtplib.SMTPDataError as exc:  # DATA itself refused (not 354)
            self._reset()
            return classify(exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPResponseException as exc:
            self._drop() if exc.smtp_code == 421 else self._reset()
            return classify(exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPException) as exc:
            # The body may or may not have been accepted: retry, the Message-ID stays.
            self._drop()
            return SendResult(Outcome.RETRY, None, f"connection lost during DATA: {exc}")
        if code == 421:
            self._drop()
        return classify(code, reply)

    def _refused(self, code: int, reply: bytes) -> SendResult:
        if code == 421:
            self._drop()
        else:
            self._reset()
        return classify(code, reply)

    def _reset(self) -> None:
        try:
            self.conn.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()


def _login(conn: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH; smtplib only encodes ASCII, so non-ASCII credentials go as UTF-8 AUTH PLAIN."""
    if user.isascii() and password.isascii():
        conn.login(user, password)
        return
    conn.ehlo_or_helo_if_needed()
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
    code, reply = conn.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


class _DroppedBeforeData(Exception):
    """The server hung up before the message body was sent: safe to resend at once."""
