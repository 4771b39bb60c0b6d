"""Staff and portal accounts: create, authenticate, roles, deactivate, reset password."""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select

from backoffice.actors import Actor, actor_for
from backoffice.errors import Conflict, ValidationFailed
from backoffice.extensions import db
from backoffice.security import hash_password, verify_password
from backoffice.services.audit import record
from backoffice.validators import normalise_email
from models.base import utcnow
from models.users import PortalUser, Role, User

MIN_PASSWORD = 8


def authenticate(kind: str, email: str, password: str, ip: str | None = None):
    """The active user with these credentials; None if wrong, False if inactive. No commit.

    Every attempt is audited (user.login / user.login_failed).
    """
    model = User if kind == "staff" else PortalUser
    email = (email or "").strip().lower()
    user = db.session.scalar(select(model).where(func.lower(model.email) == email))
    if not verify_password(user.password_hash if user else None, password or ""):
        record(
            Actor("anonymous", None, email, ip),
            f"{kind}.login_failed",
            object_type=model.__name__,
            object_id=user.id if user else None,
        )
        return None
    if not user.active:
        record(actor_for(user, ip), f"{kind}.login_inactive", user)
        return False
    user.last_login_at = utcnow()
    record(actor_for(user, ip), f"{kind}.login", user)
    return user


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD),
            field="password",
        )


def _unique_email(model, email: str, exclude_id: int | None = None) -> str:
    email = normalise_email(email)
    query = select(model.id).where(func.lower(model.email) == email)
    if exclude_id:
        query = query.where(model.id != exclude_id)
    if db.session.scalar(query):
        raise Conflict(_("An account with this e-mail already exists."), field="email")
    return email


def create_user(
    actor: Actor, *, email: str, name: str, roles, password: str, locale: str = "pl"
) -> User:
    """Create a staff user with roles. Raises ValidationFailed / Conflict."""
    roles = list(roles)
    if not roles:
        raise ValidationFailed(_("Choose at least one role."), field="roles")
    try:
        roles = [Role(r) for r in roles]
    except ValueError as exc:
        raise ValidationFailed(_("Unknown role."), field="roles") from exc
    _check_password(password)
    user = User(
        email=_unique_email(User, email),
        name=name.strip() or email,
        locale=locale,
        password_hash=hash_password(password),
    )
    user.roles = roles
    db.session.add(user)
    db.session.flush()
    record(actor, "user.create", user, changes={"roles": sorted(user.roles)})
    return user


def set_roles(actor: Actor, user: User, roles) -> None:
    """Replace a staff user's roles; the last active admin cannot lose the admin role."""
    roles = {Role(r) for r in roles}
    if not roles:
        raise ValidationFailed(_("Choose at least one role."), field="roles")
    if Role.ADMIN in user.roles and Role.ADMIN not in roles:
        _keep_one_admin(user)
    old = sorted(user.roles)
    user.roles = roles
    record(actor, "user.roles", user, changes={"roles": [old, sorted(user.roles)]})


def set_active(actor: Actor, user, active: bool) -> None:
    """Activate or deactivate a staff or portal account; deactivated users cannot log in."""
    if not active and isinstance(user, User) and Role.ADMIN in user.roles:
        _keep_one_admin(user)
    if user.active == active:
        return
    user.active = active
    record(actor, f"{user.kind}.{'activate' if active else 'deactivate'}", user)


def reset_password(actor: Actor, user, password: str | None = None) -> str:
    """Set a new password (random if not given) and return it."""
    password = password or secrets.token_urlsafe(9)
    _check_password(password)
    user.password_hash = hash_password(password)
    record(actor, f"{user.kind}.reset_password", user)
    return password


def _keep_one_admin(user: User) -> None:
    from models.users import UserRole

    others = db.session.scalar(
        select(func.count())
        .select_from(UserRole)
        .join(User)
        .where(UserRole.role == Role.ADMIN, User.active.is_(True), User.id != user.id)
    )
    if not others:
        raise Conflict(_("At least one active administrator must remain."))


def create_portal_user(
    actor: Actor, *, email: str, name: str, password: str, customer=None, supplier=None, **flags
) -> PortalUser:
    """Create a portal account for a customer's or a supplier's employee."""
    if (customer is None) == (supplier is None):
        raise ValidationFailed(_("Choose either a customer or a supplier."), field="customer")
    _check_password(password)
    user = PortalUser(
        email=_unique_email(PortalUser, email),
        name=name.strip() or email,
        customer=customer,
        supplier=supplier,
        password_hash=hash_password(password),
        **flags,
    )
    db.session.add(user)
    db.session.flush()
    record(actor, "portal.create", user)
    return user
