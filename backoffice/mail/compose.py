"""Building e-mail messages: HTML with inlined CSS plus a plain-text part, attachments.

Messages are ``email.message.EmailMessage`` objects serialised with ``email.policy.SMTP``
(CRLF line endings, RFC 2047 encoded headers), so ``smtplib`` sends exactly these bytes and
``.eml`` files are byte-identical to what went over the wire.
"""

from __future__ import annotations

import email.policy
import html as html_lib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from html.parser import HTMLParser

import css_inline

POLICY = email.policy.SMTP
#: Headers a caller may not set through ``headers`` (the builder owns them).
RESERVED_HEADERS = frozenset(
    {"from", "to", "subject", "message-id", "date", "mime-version", "content-type"}
)


@dataclass(frozen=True)
class FileAttachment:
    """An attachment's bytes with the name and type the recipient sees."""

    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


def domain_of(address: str) -> str:
    """The domain part of an address like ``Shop <noreply@shop.pl>`` ("localhost" if none)."""
    _name, addr = parseaddr(address)
    return addr.rpartition("@")[2] or "localhost"


def make_message_id(message_id: int, sender: str) -> str:
    """The deterministic Message-ID of a message row: ``<msg-42@sender-domain>``."""
    return f"<msg-{message_id}@{domain_of(sender)}>"


def _address(name: str | None, addr: str) -> Address:
    username, _, domain = addr.rpartition("@")
    return Address(display_name=(name or "").replace('"', "'"), username=username, domain=domain)


def _safe_header(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError("header values may not contain line breaks")
    return value


def build_email(
    *,
    sender: str,
    to: str,
    to_name: str | None = None,
    subject: str,
    html: str | None,
    text: str | None,
    message_id: str,
    date=None,
    headers: Mapping[str, str] | None = None,
    attachments: Iterable[FileAttachment] = (),
    inline: bool = True,
) -> EmailMessage:
    """One e-mail: text/plain (always) + text/html (when given) + attachments."""
    msg = EmailMessage(policy=POLICY)
    sender_name, sender_addr = parseaddr(sender)
    msg["From"] = _address(sender_name, sender_addr)
    msg["To"] = _address(to_name, to)
    msg["Subject"] = _safe_header(subject or "")
    msg["Message-ID"] = _safe_header(message_id)
    if date is not None:
        msg["Date"] = format_datetime(date)
    for name, value in (headers or {}).items():
        if name.lower() in RESERVED_HEADERS:
            raise ValueError(f"header {name} is set by the builder")
        msg[_safe_header(name)] = _safe_header(str(value))
    body_text = text if text and text.strip() else html_to_text(html or "")
    msg.set_content(_crlf_safe(body_text), cte="quoted-printable")
    if html:
        msg.add_alternative(
            inline_css(html) if inline else html, subtype="html", cte="quoted-printable"
        )
    for item in attachments:
        maintype, _, subtype = item.mimetype.partition("/")
        msg.add_attachment(
            item.content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=item.filename,
        )
    return msg


def to_bytes(msg: EmailMessage) -> bytes:
    """The message serialised for SMTP (CRLF line endings)."""
    return msg.as_bytes(policy=POLICY)


def inline_css(html: str) -> str:
    """Move <style> rules into style="" attributes (mail clients drop <style>)."""
    try:
        return css_inline.inline(html)
    except ValueError:
        return html  # unparsable CSS: send the HTML as written rather than nothing


def _crlf_safe(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _TextExtractor(HTMLParser):
    """Turns HTML into readable plain text: paragraphs, line breaks, list items, link URLs."""

    BLOCKS = {"p", "div", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.href: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"style", "script", "head", "title"}:
            self.skip += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in {"td", "th"}:
            self.out.append("\t")
        elif tag in self.BLOCKS:
            self.out.append("\n\n")
        if tag == "a":
            self.href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in {"style", "script", "head", "title"}:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.out.append("\n\n")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and href.startswith(("http://", "https://")):
                self.out.append(f" ({href})")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """A plain-text rendering of HTML for the text/plain part."""
    if not html:
        return ""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = html_lib.unescape("".join(parser.out))
    lines = [line.strip(" ") for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
