"""B2B account applications: filed on the public form, approved or rejected by staff.

Approval links the applicant's company to an existing customer with the same NIP (or
creates it), creates a portal user with the returns permission if it was asked for and
granted, and e-mails a one-time link to set the password (signed, 7 days, void once used).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from backoffice.actors import Actor
from backoffice.errors import Conflict, InvalidTransition, ValidationFailed
from backoffice.extensions import db
from backoffice.services import audit
from backoffice.services.message_events import register_event
from backoffice.services.messaging import Recipient, notify
from backoffice.services.users import create_portal_user
from backoffice.validators import normalise_email, normalise_nip, normalise_phone
from models.base import utcnow
from models.customers import Address, AddressKind, Customer
from models.messaging import Purpose
from models.returns import AccountApplication, ApplicationStatus
from models.users import PortalUser

PASSWORD_LINK_SALT = "portal-set-password"
PASSWORD_LINK_MAX_AGE = 7 * 24 * 3600


@dataclass
class ApplicationData:
    """What the applicant typed on the public form."""

    company_name: str = ""
    nip: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    contact_name: str = ""
    email: str = ""
    phone: str | None = None
    wants_returns: bool = False
    message: str | None = None
    locale: str = "pl"


REQUIRED = ("company_name", "nip", "street", "postal_code", "city", "contact_name", "email")


def _validated(data: ApplicationData) -> dict:
    errors: dict[str, list[str]] = {}
    values = {k: (getattr(data, k) or "").strip() for k in REQUIRED}
    for key, value in values.items():
        if not value:
            errors[key] = [_("This field is required.")]
    for key, normalise in (("nip", normalise_nip), ("email", normalise_email)):
        if values[key]:
            try:
                values[key] = normalise(values[key], field=key)
            except ValidationFailed as exc:
                errors[key] = [exc.message]
    try:
        values["phone"] = normalise_phone(data.phone)
    except ValidationFailed as exc:
        errors["phone"] = [exc.message]
    if errors:
        raise ValidationFailed(_("Correct the marked fields."), errors=errors)
    values["message"] = (data.message or "").strip()[:5000] or None
    return values


def submit_application(actor: Actor, data: ApplicationData) -> AccountApplication:
    """Store a new application (pending) and confirm it to the applicant. No commit.

    Raises ValidationFailed for missing or invalid fields, Conflict when an application
    for the same e-mail is already waiting or a portal account with it exists.
    """
    values = _validated(data)
    email = values["email"]
    if db.session.scalar(
        select(AccountApplication.id).where(
            func.lower(AccountApplication.email) == email,
            AccountApplication.status == ApplicationStatus.PENDING,
        )
    ):
        raise Conflict(
            _("An application for this e-mail is already being reviewed."), field="email"
        )
    if db.session.scalar(select(PortalUser.id).where(func.lower(PortalUser.email) == email)):
        raise Conflict(
            _("An account with this e-mail already exists; log in or reset the password."),
            field="email",
        )
    application = AccountApplication(
        **{k: values[k] for k in (*REQUIRED, "phone", "message")},
        wants_returns=bool(data.wants_returns),
        locale=data.locale if data.locale in ("pl", "en") else "pl",
        ip=actor.ip,
    )
    db.session.add(application)
    db.session.flush()
    audit.record(actor, "account_application.submit", application, summary=application.email)
    _mail(actor, application, "received")
    return application


def _mail(actor: Actor, application: AccountApplication, event: str, **extra) -> None:
    recipient = Recipient(
        application.email, None, application.contact_name, None, None, application.locale
    )
    notify(
        actor,
        f"account_application.{event}",
        context={
            "company_name": application.company_name,
            "contact_name": application.contact_name,
            "nip": application.nip,
            "wants_returns": application.wants_returns,
            "decision_note": application.decision_note or "",
            "portal_url": f"{current_app.config['BASE_URL'].rstrip('/')}/portal/",
            **extra,
        },
        related=application,
        purpose=Purpose.TRANSACTIONAL,
        recipients=[recipient],
    )


def _require_pending(application: AccountApplication) -> None:
    if application.status != ApplicationStatus.PENDING:
        raise InvalidTransition(_("This application has already been decided."))


def approve_application(
    actor: Actor,
    application: AccountApplication,
    *,
    customer: Customer | None = None,
    can_file_returns: bool | None = None,
    note: str | None = None,
) -> PortalUser:
    """pending → approved: customer found or created, portal user created, link e-mailed.

    ``customer`` links to a chosen existing customer; otherwise the one with the same NIP,
    else a new one. ``can_file_returns`` defaults to what the applicant asked for.
    """
    _require_pending(application)
    customer = customer or _customer_for(actor, application)
    grant = application.wants_returns if can_file_returns is None else bool(can_file_returns)
    user = _portal_user_for(actor, application, customer, grant)
    application.status = ApplicationStatus.APPROVED
    application.customer, application.portal_user = customer, user
    application.decided_at = utcnow()
    application.decided_by_id = actor.id if actor.kind == "staff" else None
    application.decision_note = (note or "").strip()[:5000] or None
    audit.record(
        actor,
        "account_application.approve",
        application,
        changes={"customer_id": customer.id, "portal_user_id": user.id, "returns": grant},
    )
    _mail(actor, application, "approved", set_password_url=password_link(user), returns=grant)
    return user


def _portal_user_for(
    actor: Actor, application: AccountApplication, customer: Customer, returns: bool
) -> PortalUser:
    """The applicant's portal account; the company's first user administers its users."""
    first_user = not db.session.scalar(
        select(func.count()).select_from(PortalUser).where(PortalUser.customer_id == customer.id)
    )
    return create_portal_user(
        actor,
        email=application.email,
        name=application.contact_name,
        password=secrets.token_urlsafe(24),  # unusable until the applicant sets their own
        customer=customer,
        can_file_returns=returns,
        is_company_admin=first_user,
        phone=application.phone,
        locale=application.locale,
    )


def _customer_for(actor: Actor, application: AccountApplication) -> Customer:
    existing = db.session.scalar(
        select(Customer).where(Customer.nip == application.nip).order_by(Customer.id).limit(1)
    )
    if existing is not None:
        return existing
    customer = Customer(
        name=application.company_name,
        nip=application.nip,
        email=application.email,
        phone=application.phone,
        locale=application.locale,
    )
    customer.addresses.append(
        Address(
            kind=AddressKind.BILLING,
            street=application.street,
            postal_code=application.postal_code,
            city=application.city,
            is_default=True,
        )
    )
    db.session.add(customer)
    db.session.flush()
    audit.record(actor, "customer.create", customer, summary=f"application {application.id}")
    return customer


def reject_application(actor: Actor, application: AccountApplication, note: str) -> None:
    """pending → rejected with a reason e-mailed to the applicant. No commit."""
    _require_pending(application)
    note = (note or "").strip()[:5000]
    if not note:
        raise ValidationFailed(_("Give the reason for the rejection."), field="note")
    application.status = ApplicationStatus.REJECTED
    application.decision_note = note
    application.decided_at = utcnow()
    application.decided_by_id = actor.id if actor.kind == "staff" else None
    audit.record(actor, "account_application.reject", application, summary=note)
    _mail(actor, application, "rejected")


# --- the set-password link ----------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=PASSWORD_LINK_SALT)


def _fingerprint(user: PortalUser) -> str:
    # Changes with the password, so a used link stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def password_token(user: PortalUser) -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def password_link(user: PortalUser) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/accounts/set-password/{password_token(user)}"


def user_for_password_token(token: str) -> PortalUser | None:
    """The active portal user a valid, unused token was issued to; None otherwise."""
    try:
        data = _serializer().loads(token, max_age=PASSWORD_LINK_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(PortalUser, data.get("u") or 0)
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        return None
    return user


_VARIABLES = {
    "company_name": _l("the applicant's company"),
    "contact_name": _l("the applicant's name"),
    "nip": _l("NIP"),
    "wants_returns": _l("true when the returns permission was requested"),
    "decision_note": _l("reason of a rejection"),
    "portal_url": _l("link to the customer portal"),
}
for _event, _description, _extra in (
    ("received", _l("B2B account application received (confirmation)"), {}),
    (
        "approved",
        _l("B2B account application approved (set-password link)"),
        {
            "set_password_url": _l("one-time link to set the password (7 days)"),
            "returns": _l("true when the account may file returns"),
        },
    ),
    ("rejected", _l("B2B account application rejected"), {}),
):
    register_event(
        f"account_application.{_event}",
        _description,
        variables={**_VARIABLES, **_extra},
        channels=("email",),
    )
