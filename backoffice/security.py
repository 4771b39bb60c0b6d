"""Passwords (Argon2id), the Flask-Login user loader, safe redirects and role checks."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, has_app_context, redirect, request, url_for
from flask_login import current_user

from backoffice.extensions import db, login_manager
from models.users import PortalUser, User

_DEFAULT_HASHER = PasswordHasher()  # Argon2id, RFC 9106 low-memory profile
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
#: Verified against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH = _DEFAULT_HASHER.hash("not-a-password")


def _hasher() -> PasswordHasher:
    # Tests and benchmarks create thousands of users; they opt into cheap parameters.
    if has_app_context() and current_app.config.get("FAST_PASSWORD_HASH"):
        return _FAST_HASHER
    return _DEFAULT_HASHER


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; constant work for unknown users."""
    try:
        return _DEFAULT_HASHER.verify(password_hash or _DUMMY_HASH, password) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


@login_manager.user_loader
def load_user(user_id: str):
    """Sessions store "staff:ID" or "portal:ID"."""
    kind, _, raw_id = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    model = {"staff": User, "portal": PortalUser}.get(kind)
    user = db.session.get(model, int(raw_id)) if model else None
    return user if user is not None and user.active else None


def safe_next(target: str | None, default: str, prefix: str = "/") -> str:
    """Only a local path under ``prefix`` may be a post-login redirect (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(prefix) or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target


def is_staff() -> bool:
    return current_user.is_authenticated and getattr(current_user, "kind", None) == "staff"


def is_portal_user() -> bool:
    return current_user.is_authenticated and getattr(current_user, "kind", None) == "portal"


def staff_required(*roles: str):
    """View decorator: a logged-in staff user holding one of ``roles`` (any role if none)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not is_staff():
                return redirect(url_for("auth.login", next=request.full_path))
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def portal_required(view):
    """View decorator: a logged-in portal user (customer's or supplier's employee)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not is_portal_user():
            return redirect(url_for("portal.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper
