"""Who performs an operation: passed by callers into every service function."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The person or system doing something, as recorded in the audit log."""

    kind: str  # staff, portal, api or system
    id: int | None
    label: str
    ip: str | None = None

    @property
    def is_system(self) -> bool:
        return self.kind == "system"


SYSTEM = Actor("system", None, "system")


def actor_for(user, ip: str | None = None) -> Actor:
    """The Actor for a staff User, a PortalUser or an ApiToken."""
    kind = getattr(user, "kind", None) or "api"
    return Actor(kind, user.id, str(user), ip)


def current_actor() -> Actor:
    """The Actor of the current request (a logged-in user), else SYSTEM."""
    from flask import g, has_request_context, request
    from flask_login import current_user

    if not has_request_context():
        return SYSTEM
    token = g.get("api_token")
    if token is not None:
        return actor_for(token, request.remote_addr)
    if current_user and current_user.is_authenticated:
        return actor_for(current_user, request.remote_addr)
    return Actor("anonymous", None, "anonymous", request.remote_addr)
