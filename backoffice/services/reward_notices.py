"""Messages about reward requests: the context of the templates, sending, and the events in
the communication module's catalogue (console: templates with variables and previews)."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.services import messaging
from backoffice.services.loyalty_rules import warsaw_day
from backoffice.services.message_events import register_event
from models.loyalty import RewardRedemption
from models.users import PortalUser

EVENTS = {
    "loyalty.redemption_requested": _l("Reward request received (to the customer)"),
    "loyalty.redemption_approved": _l("Reward request approved (to the customer)"),
    "loyalty.redemption_shipped": _l("Reward shipped (to the customer)"),
    "loyalty.redemption_issued": _l("Discount code issued for points (to the customer)"),
    "loyalty.redemption_cancelled": _l("Reward request cancelled, points returned"),
}
VARIABLES = {
    "number": _l("request number, e.g. NG/000042"),
    "reward, quantity, points": _l("the reward's name, how many, points taken"),
    "customer_name": _l("the customer's name"),
    "waybill, carrier": _l("the shipment (when shipped)"),
    "code, code_value, code_valid_to": _l("the discount code, its value in PLN, valid until"),
    "cancel_reason": _l("why the request was cancelled"),
    "portal_url": _l("the points page in the portal"),
}


def redemption_context(redemption: RewardRedemption) -> dict:
    """What the templates of a redemption's messages can use."""
    code = redemption.discount_code
    return {
        "number": redemption.number,
        "reward": redemption.reward.name,
        "quantity": redemption.quantity,
        "points": redemption.points,
        "customer_name": redemption.customer.name,
        "waybill": redemption.waybill,
        "carrier": redemption.carrier,
        "cancel_reason": redemption.cancel_reason,
        "code": code.code if code else None,
        "code_value": str(code.batch.value) if code else None,
        "code_valid_to": warsaw_day(code.batch.valid_to).isoformat() if code else None,
        "portal_url": f"{current_app.config.get('BASE_URL', '')}/portal/loyalty",
    }


def notify_redemption(actor: Actor, redemption: RewardRedemption, event: str) -> None:
    """Message the customer (and the portal user who asked) about a step of the request."""
    customer = redemption.customer
    recipients = messaging.default_recipients(customer, None)
    user = (
        db.session.get(PortalUser, redemption.portal_user_id) if redemption.portal_user_id else None
    )
    known = {(r.email or "").lower() for r in recipients}
    if user is not None and user.email and user.email.lower() not in known:
        recipients.append(
            messaging.Recipient(user.email, user.phone, user.name, customer.id, None, user.locale)
        )
    messaging.notify(
        actor,
        event,
        context=redemption_context(redemption),
        customer=customer,
        related=redemption,
        recipients=recipients,
        dedupe_key=f"redemption:{redemption.id}:{event}",
    )


def sample_context(ref: str | None) -> dict:
    """Preview context: the request numbered ``ref`` (NG/000042), else made-up values."""
    number = (ref or "").strip().upper().removeprefix("NG/")
    if number.isdigit():
        redemption = db.session.scalar(
            select(RewardRedemption).where(RewardRedemption.id == int(number))
        )
        if redemption is not None:
            return redemption_context(redemption)
    return {
        "number": "NG/000042",
        "reward": "Kubek termiczny „Łoś”",
        "quantity": 2,
        "points": 600,
        "customer_name": "Przedsiębiorstwo Łódź sp. z o.o.",
        "waybill": "620000123456",
        "carrier": "InPost",
        "cancel_reason": "Brak na magazynie",
        "code": "NAGRODA-7KQ2M9XZ4P",
        "code_value": "50.00",
        "code_valid_to": "2026-12-31",
        "portal_url": "http://127.0.0.1:5000/portal/loyalty",
    }


for _name, _description in EVENTS.items():
    register_event(
        _name,
        _description,
        variables=VARIABLES,
        channels=("email",),
        sample=sample_context,
        sample_label=_l("Reward request number"),
    )
