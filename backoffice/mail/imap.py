"""Reading bounce reports from an IMAP mailbox (the Return-Path / bounce address's inbox).

``imaps://user:password@imap.example.pl/INBOX`` (TLS, port 993) or
``imap://user:password@host:143/Bounces?starttls=1``. Unseen messages are fetched by UID;
the caller processes and commits each one, then ``mark_done`` flags it ``\\Seen`` (or
deletes it), so a crash in between only means the report is read again — and recording a
report twice does nothing, it is keyed by the report's Message-ID.
"""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Iterator
from urllib.parse import unquote

from backoffice.mail.transports import TransportUrl


class Mailbox:
    """An open IMAP folder."""

    def __init__(self, url: str, timeout: float = 30):
        self.url = TransportUrl.parse(url)
        if self.url.scheme not in {"imap", "imaps"}:
            raise ValueError("the bounce mailbox URL must start with imap:// or imaps://")
        self.folder = unquote(self.url.path.lstrip("/")) or "INBOX"
        self.timeout = timeout
        self.conn: imaplib.IMAP4 | None = None

    def __enter__(self) -> Mailbox:
        context = ssl.create_default_context()
        if not self.url.flag("verify", True):
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.url.scheme == "imaps":
            self.conn = imaplib.IMAP4_SSL(
                self.url.host, self.url.port or 993, ssl_context=context, timeout=self.timeout
            )
        else:
            self.conn = imaplib.IMAP4(self.url.host, self.url.port or 143, timeout=self.timeout)
            if self.url.flag("starttls"):
                self.conn.starttls(ssl_context=context)
        self.conn.login(self.url.username or "", self.url.password or "")
        status, _ = self.conn.select(f'"{self.folder}"')
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {self.folder}")
        return self

    def __exit__(self, *exc) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
                self.conn.logout()
            except (OSError, imaplib.IMAP4.error):
                pass
            self.conn = None

    def unseen(self, limit: int = 500) -> Iterator[tuple[bytes, bytes]]:
        """(uid, raw message) of unseen messages, oldest first."""
        status, data = self.conn.uid("SEARCH", None, "UNSEEN")
        if status != "OK":
            return
        for uid in (data[0] or b"").split()[:limit]:
            status, parts = self.conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts or () if isinstance(p, tuple)), None)
            if status == "OK" and raw:
                yield uid, raw

    def mark_done(self, uid: bytes, delete: bool = False) -> None:
        """Flag a processed message seen (or deleted, expunged on close)."""
        flag = r"(\Deleted)" if delete else r"(\Seen)"
        self.conn.uid("STORE", uid, "+FLAGS", flag)
