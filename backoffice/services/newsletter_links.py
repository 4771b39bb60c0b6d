"""Signed per-recipient links of a newsletter: unsubscribe, preferences, clicks, open pixel.

Each link names the recipient row (and for clicks the campaign's link row) and carries an
HMAC-SHA256 of exactly that, keyed by a key derived from ``SECRET_KEY``: a changed number or
a made-up signature is refused (400), and a click can only lead to a URL stored for the
recipient's own campaign — the redirect cannot be pointed anywhere else.

    /nl/u/<recipient>/<sig>            unsubscribe page; POST = RFC 8058 one-click
    /nl/p/<recipient>/<sig>            preferences
    /nl/c/<recipient>/<link>/<sig>     click → the link's URL
    /nl/o/<recipient>/<sig>.gif        open pixel
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app

from backoffice.services.newsletter_content import Urls


def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    return hashlib.sha256(b"newsletter-links\0" + secret).digest()


def sign(purpose: str, recipient_id: int, link_id: int = 0, key: bytes | None = None) -> str:
    """The URL-safe signature of (purpose, recipient, link): 22 characters, 128 bits."""
    digest = hmac.digest(key or _key(), f"{purpose}:{recipient_id}:{link_id}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def verify(purpose: str, recipient_id: int, signature: str, link_id: int = 0) -> bool:
    """Constant-time check of a signature from a URL."""
    return hmac.compare_digest(sign(purpose, recipient_id, link_id), signature or "")


def unsubscribe_url(recipient_id: int, key: bytes | None = None, base: str | None = None) -> str:
    base = base or current_app.config["BASE_URL"]
    return f"{base}/nl/u/{recipient_id}/{sign('u', recipient_id, key=key)}"


def preferences_url(recipient_id: int, key: bytes | None = None, base: str | None = None) -> str:
    base = base or current_app.config["BASE_URL"]
    return f"{base}/nl/p/{recipient_id}/{sign('p', recipient_id, key=key)}"


def test_page_url() -> str:
    """Where the unsubscribe links of previews and test messages lead."""
    return current_app.config["BASE_URL"] + "/nl/test-message"


class UrlMaker:
    """Builds one recipient's links (the key is derived once per sending job)."""

    def __init__(self, link_ids: list[int], track_opens: bool):
        self.key = _key()
        self.base = current_app.config["BASE_URL"]
        self.link_ids = list(link_ids)
        self.track_opens = track_opens

    def for_recipient(self, recipient_id: int) -> Urls:
        key, base, rid = self.key, self.base, recipient_id
        clicks = {
            lid: f"{base}/nl/c/{rid}/{lid}/{sign('c', rid, lid, key)}" for lid in self.link_ids
        }
        pixel = f"{base}/nl/o/{rid}/{sign('o', rid, key=key)}.gif" if self.track_opens else ""
        return Urls(
            unsubscribe=unsubscribe_url(rid, key, base),
            preferences=preferences_url(rid, key, base),
            pixel=pixel,
            click=clicks,
        )


def preview_urls() -> Urls:
    """Links of a preview or a test message: direct links, no tracking."""
    page = test_page_url()
    return Urls(unsubscribe=page, preferences=page, pixel="", click=None)
