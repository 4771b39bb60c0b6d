"""E-mail / SMS to the customer about a service ticket, through the communication module.

The ticket carries the contact's choice (e-mail and/or SMS); the message goes to the
ticket's contact, falling back to the customer's own address. Templates:
``templates/emails/service.<event>.<locale>.html``; the context holds plain values, with
language-dependent ones as ``{"pl": …, "en": …}``.
"""

from __future__ import annotations

from babel.dates import format_date
from babel.numbers import format_currency
from flask import current_app

from backoffice.actors import Actor
from backoffice.services.messaging import Recipient, notify
from models.messaging import Channel
from models.service_procedures import ProcedureStatus
from models.service_tickets import ServiceTicket

EVENTS = ("service.ticket_submitted", "service.status_changed", "service.quote_sent")
_KIND = {
    "warranty": {"pl": "gwarancyjne", "en": "warranty"},
    "post_warranty": {"pl": "pogwarancyjne", "en": "post-warranty"},
}


def _both(fmt, value):
    if value is None:
        return {"pl": "", "en": ""}
    return {"pl": fmt(value, "pl"), "en": fmt(value, "en")}


def ticket_url(ticket: ServiceTicket) -> str:
    """The ticket's page in the portal (links in messages)."""
    return f"{current_app.config['BASE_URL']}/portal/service/tickets/{ticket.id}"


def ticket_context(ticket: ServiceTicket, status: ProcedureStatus, note: str | None) -> dict:
    """Plain values the templates may use."""
    unit = ticket.registered_product
    return {
        "number": ticket.number,
        "product": unit.product.name,
        "sku": unit.product.sku,
        "serial": unit.serial or "",
        "kind": ticket.kind.value,
        "kind_label": _KIND[ticket.kind.value],
        "status": {"pl": status.label("pl"), "en": status.label("en")},
        "status_code": status.code,
        "note": note or "",
        "quote": _both(lambda v, loc: format_currency(v, "PLN", locale=loc), ticket.quote_amount),
        "quote_notes": ticket.quote_notes or "",
        "diagnosis": ticket.diagnosis or "",
        "warranty_end": _both(
            lambda v, loc: format_date(v, "medium", locale=loc), unit.warranty_ends_on
        ),
        "outbound_waybill": ticket.outbound_waybill or "",
        "outbound_carrier": ticket.outbound_carrier or "",
        "customer_name": ticket.customer.name,
        "contact_name": ticket.contact_name or "",
        "url": ticket_url(ticket),
    }


def ticket_recipients(ticket: ServiceTicket) -> tuple[list[Recipient], list[str]]:
    """The ticket's contact and the channels they chose."""
    customer = ticket.customer
    email = (ticket.contact_email or customer.email) if ticket.notify_email else None
    phone = ticket.contact_phone if ticket.notify_sms else None
    channels = [c for c, on in ((Channel.EMAIL, email), (Channel.SMS, phone)) if on]
    if not channels:
        return [], []
    recipient = Recipient(
        email=email,
        phone=phone,
        name=ticket.contact_name or customer.name,
        customer_id=customer.id,
        locale=customer.locale if customer.locale in ("pl", "en") else "pl",
    )
    return [recipient], channels


def notify_ticket(
    actor: Actor,
    ticket: ServiceTicket,
    event: str,
    status: ProcedureStatus | None = None,
    note: str | None = None,
) -> list:
    """Queue the event's messages to the ticket's contact (none if they chose none)."""
    recipients, channels = ticket_recipients(ticket)
    if not recipients:
        return []
    return notify(
        actor,
        event,
        context=ticket_context(ticket, status or ticket.status, note),
        customer=ticket.customer,
        related=ticket,
        recipients=recipients,
        channels=channels,
    )
