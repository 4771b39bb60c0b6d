"""Passwords (Argon2id), the Flask-Login user loader, safe redirects, access decorators and
response hardening (security headers, reverse proxies)."""

from __future__ import annotations

import hmac
import time
from functools import wraps
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import (
    Flask,
    abort,
    current_app,
    has_app_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from backoffice.extensions import db, login_manager
from models.users import PortalUser, Role, User

#: Role names as people read them (menus, forms, the user list).
ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.SALES: _l("Sales"),
    Role.RMA: _l("Returns (RMA)"),
    Role.SERVICE: _l("Service"),
    Role.MARKETING: _l("Marketing"),
    Role.FINANCE: _l("Finance"),
    Role.PURCHASING: _l("Purchasing"),
    Role.LOGISTICS: _l("Logistics"),
}


def role_label(role) -> str:
    """The translated name of a role code ("sales" → "Sprzedaż")."""
    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return str(role)


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


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (upgrade on login)."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@login_manager.user_loader
def load_user(user_id: str):
    """Sessions store "staff:ID:PRINT" or "portal:ID:PRINT" (see ``models.users.login_id``);
    one made before the user's password last changed no longer loads."""
    kind, _, rest = user_id.partition(":")
    raw_id, _, fingerprint = rest.partition(":")
    if not raw_id.isdigit() or not fingerprint:
        return None
    model = {"staff": User, "portal": PortalUser}.get(kind)
    user = db.session.get(model, int(raw_id)) if model else None
    if user is None or not user.active:
        return None
    return user if hmac.compare_digest(user.get_id(), user_id) else None


def renew_login(user) -> None:
    """Keep the current session after the user's own password change, which ended all
    others (the session and a remember cookie are written with the new id)."""
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login_user(user, remember=cookie in request.cookies)


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
    """A staff user is logged in."""
    return current_user.is_authenticated and getattr(current_user, "kind", None) == "staff"


def is_portal_user() -> bool:
    """A customer's or supplier's employee is logged in."""
    return current_user.is_authenticated and getattr(current_user, "kind", None) == "portal"


def staff_required(*roles: str):
    """View decorator: a logged-in staff user holding one of ``roles`` (any role if none).

    Anonymous visitors go to the staff login; portal users and staff without the role get 403.
    The decorated view carries ``access = ("staff", roles)`` for the access tests.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path))
            if not is_staff() or (roles and not current_user.has_role(*roles)):
                abort(403)
            return view(*args, **kwargs)

        wrapper.access = ("staff", tuple(roles))
        return wrapper

    return decorate


def portal_required(view):
    """View decorator: a logged-in portal user (customer's or supplier's employee).

    Anonymous visitors go to the portal login; a logged-in staff user gets 403 (staff never
    act as a customer). The view carries ``access = ("portal", ())`` for the access tests.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("portal.login", next=request.full_path))
        if not is_portal_user():
            abort(403)
        return view(*args, **kwargs)

    wrapper.access = ("portal", ())
    return wrapper


def public_view(view):
    """Mark a view under /admin or /portal that anyone may open (login pages)."""
    view.access = ("public", ())
    return view


# --- response hardening -----------------------------------------------------------------

#: Seconds browsers may keep static files (Flask-Admin's carry a version in their URLs).
STATIC_MAX_AGE = 3600
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def init_security(app: Flask) -> None:
    """Security headers on every response; trust ``TRUSTED_PROXIES`` reverse proxies."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Client address and scheme from X-Forwarded-*: rate limits count real clients.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )

    @app.before_request
    def _end_idle_sessions():
        """Log out after PERMANENT_SESSION_LIFETIME without a request.

        The session cookie itself lives until the browser closes (a permanent one would
        weaken Flask-Login's "strong" session protection), so idleness is tracked inside it.
        """
        if "_user_id" not in session:
            return
        now = int(time.time())
        seen = session.get("_seen", now)
        if now - seen > current_app.permanent_session_lifetime.total_seconds():
            logout_user()
            session.clear()
        elif now - seen >= 60 or "_seen" not in session:
            session["_seen"] = now  # at most one cookie update a minute

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if (request.endpoint or "").endswith("static"):
            # CSS, scripts and fonts: cached for a while instead of revalidated on every page.
            if response.status_code == 200:
                response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}"
        elif hasattr(current_app, "login_manager") and current_user.is_authenticated:
            # A logged-in user's pages and downloads stay out of shared and back-button caches.
            response.headers["Cache-Control"] = "no-store"
        return response
