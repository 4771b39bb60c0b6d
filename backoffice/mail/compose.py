"""Building e-mail messages: HTML with inlined CSS plus a plain-text part, attachments.

Messages are ``email.message.Message`` trees made with the ``email.mime`` classes and
serialised with ``SMTP_POLICY`` — CRLF line endings everywhere (headers and bodies), RFC 2047
encoded-word headers, quoted-printable text — so ``smtplib`` sends exactly these bytes and an
``.eml`` file is byte-identical to what went over the wire. (``EmailMessage`` with
``email.policy.SMTP`` gives the same wire format but re-parses and refolds every header:
measured 4–5× slower, and building dominates the cost of a big send.)
"""

from __future__ import annotations

import email.policy
import functools
import html as html_lib
import itertools
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email import charset as _charset
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from html.parser import HTMLParser

import css_inline


class _SmtpCompat32(email.policy.Compat32):
    """compat32 with a fast path: a short one-line ASCII header is written as it is.

    Stock compat32 runs every header — ``MIME-Version: 1.0`` included — through
    ``email.header.Header.encode``, which returns such a value unchanged but costs about
    half of a message's build time.
    """

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and value.isascii()
            and "\n" not in value
            and "\r" not in value
            and "  " not in value
            and value == value.strip()
            and len(name) + 2 + len(value) <= (self.max_line_length or 78)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


#: CRLF line endings, no ">From" mangling: the bytes go to smtplib as they are.
SMTP_POLICY = _SmtpCompat32(linesep="\r\n", mangle_from_=False)
#: Headers a caller may not set through ``headers`` (the builder owns them).
RESERVED_HEADERS = frozenset(
    {"from", "to", "subject", "message-id", "date", "mime-version", "content-type"}
)
_UTF8_QP = _charset.Charset("utf-8")
_UTF8_QP.header_encoding = _charset.BASE64  # encoded words (=?utf-8?b?…?=) encode in C
_UTF8_QP.body_encoding = _charset.QP
#: HTML goes as base64: encoded in C, where quoted-printable is a Python loop per character.
_UTF8_B64 = _charset.Charset("utf-8")
_UTF8_B64.header_encoding = _charset.BASE64
_UTF8_B64.body_encoding = _charset.BASE64


@dataclass(frozen=True)
class FileAttachment:
    """An attachment's bytes with the name and type the recipient sees."""

    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


@functools.lru_cache(maxsize=64)
def domain_of(address: str) -> str:
    """The domain part of an address like ``Shop <noreply@shop.pl>`` ("localhost" if none)."""
    _name, addr = parseaddr(address)
    return addr.rpartition("@")[2] or "localhost"


def make_message_id(message_id: int, sender: str) -> str:
    """The deterministic Message-ID of a message row: ``<msg-42@sender-domain>``."""
    return f"<msg-{message_id}@{domain_of(sender)}>"


def _safe_header(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError("header values may not contain line breaks")
    return value


def _mailbox(name: str | None, address: str) -> str:
    if not address.isascii():
        raise ValueError(f"{address!r} needs SMTPUTF8, which is not supported")
    return formataddr(((name or "").replace('"', "'"), address), charset="utf-8")


@functools.lru_cache(maxsize=64)
def _sender_mailbox(sender: str) -> str:
    name, address = parseaddr(sender)
    return _mailbox(name, address)


def _text_header(value: str):
    return value if value.isascii() else Header(value, _UTF8_QP)


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
) -> Message:
    """One e-mail: text/plain (always) + text/html (when given) + attachments."""
    body_text = text if text and text.strip() else html_to_text(html or "")
    body: Message = MIMEText(_crlf_safe(body_text), "plain", _UTF8_QP)
    if html:
        alternative = MIMEMultipart("alternative", boundary=_boundary())
        alternative.attach(body)
        alternative.attach(MIMEText(inline_css(html) if inline else html, "html", _UTF8_B64))
        body = alternative
    files = list(attachments)
    if files:
        mixed = MIMEMultipart("mixed", boundary=_boundary())
        mixed.attach(body)
        for item in files:
            mixed.attach(_attachment(item))
        body = mixed
    body["From"] = _sender_mailbox(sender)
    body["To"] = _mailbox(to_name, to)
    body["Subject"] = _text_header(_safe_header(subject or ""))
    body["Message-ID"] = _safe_header(message_id)
    if date is not None:
        body["Date"] = format_datetime(date)
    for name, value in (headers or {}).items():
        if name.lower() in RESERVED_HEADERS:
            raise ValueError(f"header {name} is set by the builder")
        body[_safe_header(name)] = _text_header(_safe_header(str(value)))
    return body


_BOUNDARY_PREFIX = f"=_bo_{secrets.token_hex(12)}_"
_BOUNDARY_SEQ = itertools.count(1)


def _boundary() -> str:
    # Random per process plus a counter: never in a body, unique, cheap. Set here because the
    # generator's own choice compiles a fresh regular expression for every message.
    return f"{_BOUNDARY_PREFIX}{next(_BOUNDARY_SEQ)}"


def _attachment(item: FileAttachment) -> Message:
    maintype, _, subtype = item.mimetype.partition("/")
    part = MIMEApplication(item.content, subtype or "octet-stream")
    if maintype and maintype != "application":
        part.replace_header("Content-Type", item.mimetype)
    filename = item.filename if item.filename.isascii() else ("utf-8", "", item.filename)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def to_bytes(msg: Message) -> bytes:
    """The message serialised for SMTP (CRLF line endings)."""
    return msg.as_bytes(policy=SMTP_POLICY)


def inline_css(html: str) -> str:
    """Move <style> rules into style="" attributes (mail clients drop <style>)."""
    if "<style" not in html and "<STYLE" not in html:
        return html  # nothing to inline (e.g. rendered and inlined by notify already)
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
