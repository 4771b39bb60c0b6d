"""Staff and portal accounts: create, authenticate, roles, (de)activate, passwords, language.

Every function here takes the acting ``Actor``, writes the audit trail and never commits; the
caller commits once. Refusals raise ``ValidationFailed`` / ``Conflict`` with a message fit
for the user.
"""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select

from backoffice.actors import Actor, actor_for
from backoffice.errors import Conflict, ValidationFailed
from backoffice.extensions import db
from backoffice.security import hash_password, needs_rehash, verify_password
from backoffice.services.audit import record
from backoffice.validators import normalise_email
from models.base import utcnow
from models.users import PortalUser, Role, User, UserRole

MIN_PASSWORD = 8
MAX_PASSWORD = 128
LOCALES = ("pl", "en")
#: Generated passwords avoid characters people confuse when copying (0/O, 1/l/I).
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def authenticate(kind: str, email: str, password: str, ip: str | None = None):
    """The active user with these credentials; None if wrong, False if inactive. No commit.

    Every attempt is audited (user.login / user.login_failed).
    """
    model = User if kind == "staff" else PortalUser
    email = (email or "").strip().lower()
    user = db.session.scalar(select(model).where(func.lower(model.email) == email))
    if not verify_password(user.password_hash if user else None, password or ""):
        record(
            Actor("anonymous", None, email[:254], ip),
            f"{kind}.login_failed",
            object_type=model.__name__,
            object_id=user.id if user else None,
        )
        return None
    if not user.active:
        record(actor_for(user, ip), f"{kind}.login_inactive", user)
        return False
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    record(actor_for(user, ip), f"{kind}.login", user)
    return user


def generate_password() -> str:
    """A random 12-character password in three groups, easy to read out and type."""
    chars = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(12))
    return "-".join(chars[i : i + 4] for i in range(0, 12, 4))


def check_password_policy(password: str | None, email: str | None = None) -> None:
    """Raise ValidationFailed (field "password") when the password is too weak."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD),
            field="password",
        )
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed(
            _("The password may have at most %(n)d characters.", n=MAX_PASSWORD),
            field="password",
        )
    if len(set(password)) < 3 or (email and password.strip().lower() == email.strip().lower()):
        raise ValidationFailed(_("This password is too easy to guess."), field="password")


# Kept for callers written against the first version of this module.
_check_password = check_password_policy


def _unique_email(model, email: str, exclude_id: int | None = None) -> str:
    email = normalise_email(email)
    query = select(model.id).where(func.lower(model.email) == email)
    if exclude_id:
        query = query.where(model.id != exclude_id)
    if db.session.scalar(query):
        raise Conflict(_("An account with this e-mail already exists."), field="email")
    return email


def _clean_roles(roles) -> set[Role]:
    try:
        cleaned = {Role(r) for r in roles or ()}
    except ValueError as exc:
        raise ValidationFailed(_("Unknown role."), field="roles") from exc
    if not cleaned:
        raise ValidationFailed(_("Choose at least one role."), field="roles")
    return cleaned


def _clean_locale(locale: str | None) -> str:
    if locale not in LOCALES:
        raise ValidationFailed(_("Unknown language."), field="locale")
    return locale


def _clean_name(name: str | None, email: str) -> str:
    name = (name or "").strip()
    if len(name) > 200:
        raise ValidationFailed(_("The name is too long (at most 200 characters)."), field="name")
    return name or email


def create_user(
    actor: Actor,
    *,
    email: str,
    name: str,
    roles,
    password: str,
    locale: str = "pl",
    phone: str | None = None,
) -> User:
    """Create an active staff user with roles (audited as user.create).

    Raises ValidationFailed (bad e-mail, roles, password, language) or Conflict (e-mail taken).
    """
    roles = _clean_roles(roles)
    email = _unique_email(User, email)
    check_password_policy(password, email)
    user = User(
        email=email,
        name=_clean_name(name, email),
        locale=_clean_locale(locale),
        phone=(phone or "").strip() or None,
        password_hash=hash_password(password),
    )
    user.roles = roles
    db.session.add(user)
    db.session.flush()
    record(actor, "user.create", user, changes={"roles": sorted(user.roles)})
    return user


def update_user(
    actor: Actor,
    user: User,
    *,
    email: str,
    name: str,
    roles,
    locale: str,
    phone: str | None = None,
) -> None:
    """Change a staff user's profile and roles (audited as user.update with the changes).

    The last active administrator keeps the admin role (Conflict).
    """
    before = _snapshot(user)
    roles = _clean_roles(roles)
    if Role.ADMIN in user.roles and Role.ADMIN not in roles and user.active:
        _keep_one_admin(user)
    user.email = _unique_email(User, email, exclude_id=user.id)
    user.name = _clean_name(name, user.email)
    user.locale = _clean_locale(locale)
    user.phone = (phone or "").strip() or None
    user.roles = roles
    after = _snapshot(user)
    changes = {k: [v, after[k]] for k, v in before.items() if v != after[k]}
    if changes:
        db.session.flush()
        record(actor, "user.update", user, changes=changes)


def _snapshot(user: User) -> dict:
    return {
        "email": user.email,
        "name": user.name,
        "locale": user.locale,
        "phone": user.phone,
        "roles": sorted(user.roles),
    }


def set_roles(actor: Actor, user: User, roles) -> None:
    """Replace a staff user's roles; the last active admin cannot lose the admin role."""
    roles = _clean_roles(roles)
    if Role.ADMIN in user.roles and Role.ADMIN not in roles and user.active:
        _keep_one_admin(user)
    old = sorted(user.roles)
    user.roles = roles
    if old != sorted(user.roles):
        record(actor, "user.roles", user, changes={"roles": [old, sorted(user.roles)]})


def set_active(actor: Actor, user, active: bool) -> bool:
    """Activate or deactivate a staff or portal account; returns False when nothing changed.

    Deactivated users cannot log in and their open sessions end at the next request. Nobody
    deactivates their own account, and the last active administrator stays (Conflict).
    """
    if user.active == active:
        return False
    if not active:
        if actor.kind == user.kind and actor.id == user.id:
            raise Conflict(_("You cannot deactivate your own account."))
        if isinstance(user, User) and Role.ADMIN in user.roles:
            _keep_one_admin(user)
    user.active = active
    record(actor, f"{user.kind}.{'activate' if active else 'deactivate'}", user)
    return True


def reset_password(actor: Actor, user, password: str | None = None) -> str:
    """Set a new password (a generated one if not given), audit it and return it."""
    password = password or generate_password()
    check_password_policy(password, user.email)
    user.password_hash = hash_password(password)
    record(actor, f"{user.kind}.reset_password", user)
    return password


def change_password(actor: Actor, user, current: str, new: str) -> None:
    """A user changes their own password; the current one must be given (ValidationFailed)."""
    if not verify_password(user.password_hash, current or ""):
        raise ValidationFailed(_("The current password is wrong."), field="current")
    if new == current:
        raise ValidationFailed(_("The new password must differ from the current one."), field="new")
    try:
        check_password_policy(new, user.email)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="new") from exc
    user.password_hash = hash_password(new)
    record(actor, f"{user.kind}.change_password", user)


def set_locale(actor: Actor, user, locale: str) -> None:
    """Remember the interface language a staff or portal user chose."""
    locale = _clean_locale(locale)
    if user.locale != locale:
        record(actor, f"{user.kind}.language", user, changes={"locale": [user.locale, locale]})
        user.locale = locale


def _keep_one_admin(user: User) -> None:
    """Conflict unless another active administrator remains after ``user`` stops being one.

    The active administrators' rows are locked first, so two transactions demoting the last
    two administrators at once are serialised; the count then runs in a fresh statement and
    sees what the other committed.
    """
    admins = (
        select(UserRole.user_id)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role == Role.ADMIN, User.active.is_(True))
    )
    db.session.execute(
        select(User.id).where(User.id.in_(admins)).order_by(User.id).with_for_update()
    ).all()
    others = db.session.scalar(
        select(func.count()).select_from(admins.where(User.id != user.id).subquery())
    )
    if not others:
        raise Conflict(_("At least one active administrator must remain."))


def create_portal_user(
    actor: Actor, *, email: str, name: str, password: str, customer=None, supplier=None, **flags
) -> PortalUser:
    """Create a portal account for a customer's or a supplier's employee."""
    if (customer is None) == (supplier is None):
        raise ValidationFailed(_("Choose either a customer or a supplier."), field="customer")
    email = _unique_email(PortalUser, email)
    check_password_policy(password, email)
    user = PortalUser(
        email=email,
        name=_clean_name(name, email),
        customer=customer,
        supplier=supplier,
        password_hash=hash_password(password),
        **flags,
    )
    db.session.add(user)
    db.session.flush()
    record(actor, "portal.create", user)
    return user


#: Permission flags of a portal user that staff (or the company's admin) may change.
PORTAL_FLAGS = (
    "is_company_admin",
    "can_file_returns",
    "can_accept_offers",
    "can_file_service_tickets",
    "can_redeem_points",
)


def update_portal_user(
    actor: Actor,
    user: PortalUser,
    *,
    email: str,
    name: str,
    locale: str = "pl",
    phone: str | None = None,
    **flags: bool,
) -> None:
    """Change a portal user's profile and permission flags (audited as portal.update).

    The company (customer or supplier) never changes. Raises ValidationFailed / Conflict.
    """
    unknown = set(flags) - set(PORTAL_FLAGS)
    if unknown:
        raise ValueError(f"unknown portal flags: {sorted(unknown)}")
    fields = ("email", "name", "locale", "phone", *PORTAL_FLAGS)
    before = {f: getattr(user, f) for f in fields}
    user.email = _unique_email(PortalUser, email, exclude_id=user.id)
    user.name = _clean_name(name, user.email)
    user.locale = _clean_locale(locale)
    user.phone = (phone or "").strip() or None
    for flag, value in flags.items():
        setattr(user, flag, bool(value))
    changes = {f: [v, getattr(user, f)] for f, v in before.items() if v != getattr(user, f)}
    if changes:
        db.session.flush()
        record(actor, "portal.update", user, changes=changes)
