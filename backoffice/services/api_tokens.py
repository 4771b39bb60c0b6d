"""API tokens: created (the secret is shown once), listed, revoked; only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.errors import InvalidTransition, NotFound, ValidationFailed
from backoffice.extensions import db
from backoffice.services import audit
from models.api_tokens import ApiToken
from models.base import utcnow

#: Scopes a token may hold: the ERP pushes master data and documents, the shop orders.
SCOPES = ("erp", "shop")
TOKEN_PREFIX = "bo_"


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored in place of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    actor: Actor, name: str, scopes: list[str] | tuple[str, ...]
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is never retrievable again.

    Raises ValidationFailed for an empty name or unknown / missing scopes.
    """
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationFailed(_("Give the token a name of 1–120 characters."), field="name")
    wanted = sorted(set(scopes or ()))
    unknown = [s for s in wanted if s not in SCOPES]
    if not wanted or unknown:
        raise ValidationFailed(
            _("Choose at least one scope of: %(scopes)s.", scopes=", ".join(SCOPES)),
            field="scopes",
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        scopes=" ".join(wanted),
        created_by_id=actor.id if actor.kind == "staff" else None,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token.create", token, summary=f"{name} [{' '.join(wanted)}]")
    return token, secret


def revoke_token(actor: Actor, token: ApiToken) -> ApiToken:
    """active → revoked: the token stops working at once. Raises InvalidTransition if revoked."""
    if token.revoked_at is not None:
        raise InvalidTransition(_("This token has already been revoked."))
    token.revoked_at = utcnow()
    audit.record(actor, "api_token.revoke", token, summary=token.name)
    return token


def find_token(reference: str) -> ApiToken:
    """A token by id or by the visible prefix of its secret; NotFound otherwise."""
    reference = (reference or "").strip()
    stmt = select(ApiToken)
    if reference.isdigit():
        stmt = stmt.where(ApiToken.id == int(reference))
    else:
        stmt = stmt.where(ApiToken.prefix == reference[:10])
    token = db.session.scalars(stmt).first() if reference else None
    if token is None:
        raise NotFound(_("No API token %(ref)s.", ref=reference))
    return token


def list_tokens() -> list[ApiToken]:
    """Every token, newest first."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))
