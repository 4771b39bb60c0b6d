"""E-mail / SMS to the customer about a service ticket, through the communication module.

The ticket carries the contact's choice (e-mail and/or SMS); the message goes to the
ticket's contact, falling back to the customer's own address. Templates:
``templates/emails/service.<event>.<locale>.html``; the context holds plain values, with
language-dependent ones as ``{"pl": …, "en": …}``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.services.message_events import register_event
from backoffice.services.messaging import Recipient, notify
from models.messaging import Channel
from models.service_procedures import ProcedureStatus
from models.service_tickets import ServiceTicket

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


# --- the event catalogue (console: templates, matrix, previews) ---------------------------

VARIABLES = {
    "number": _l("ticket number"),
    "product, sku, serial": _l("the unit: product name, SKU, serial number"),
    "kind, kind_label": _l("warranty or post_warranty; kind_label.pl / kind_label.en"),
    "status, status_code": _l("the new status: status.pl / status.en, and its code"),
    "note": _l("the service's note to the customer"),
    "quote, quote_notes": _l("the quoted repair cost (quote.pl / quote.en) and notes"),
    "diagnosis": _l("the diagnosis"),
    "warranty_end": _l("warranty valid until (warranty_end.pl / warranty_end.en)"),
    "outbound_waybill, outbound_carrier": _l("the return shipment"),
    "customer_name, contact_name, url": _l("customer, contact person, ticket page in the portal"),
}


def sample_context(ref: str | None) -> dict:
    """Template context for previews: the ticket numbered ``ref``, else made-up values."""
    ticket = None
    if ref:
        ticket = db.session.scalar(select(ServiceTicket).where(ServiceTicket.number == ref))
    if ticket is not None:
        return ticket_context(ticket, ticket.status, None)
    return {
        "number": "SRV/2026/00042",
        "product": "Wiertarka udarowa Żubr 800",
        "sku": "WU-800",
        "serial": "ZB-2026-0001",
        "kind": "warranty",
        "kind_label": _KIND["warranty"],
        "status": {"pl": "Diagnoza", "en": "Diagnosis"},
        "status_code": "diagnosis",
        "note": "Wymieniono szczotki silnika.",
        "diagnosis": "Zużyte szczotki silnika.",
        "quote": _both(lambda v, loc: format_currency(v, "PLN", locale=loc), Decimal("249.00")),
        "quote_notes": "",
        "outbound_waybill": "",
        "outbound_carrier": "",
        "warranty_end": _both(
            lambda v, loc: format_date(v, "medium", locale=loc), dt.date(2027, 3, 30)
        ),
        "customer_name": "Przedsiębiorstwo Łódź sp. z o.o.",
        "contact_name": "Zofia Kowalska",
        "url": "http://127.0.0.1:5000/portal/service/tickets/1",
    }


for _name, _description in (
    ("service.ticket_submitted", _l("Service ticket received (to the customer)")),
    ("service.status_changed", _l("Service ticket status changed (to the customer)")),
    ("service.quote_sent", _l("Post-warranty repair quote (to the customer)")),
):
    register_event(
        _name,
        _description,
        variables=VARIABLES,
        channels=("email", "sms"),
        sample=sample_context,
        sample_label=_l("Ticket number"),
    )
