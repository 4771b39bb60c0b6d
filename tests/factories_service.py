"""Factories for the service module: registered units, tickets walked through procedures."""

from __future__ import annotations

import datetime as dt
import io

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.services.service_products import register_product
from backoffice.services.service_tickets import TicketInput, create_ticket
from backoffice.services.service_workflow import change_ticket_status
from models.service_tickets import TicketSource
from tests.factories import make_customer, make_product, seq

STAFF = Actor("staff", None, "Serwisant Testowy")
WARRANTY_PATH = ["accepted", "goods_received", "diagnosis", "repair", "ready", "returned"]


def png_bytes() -> bytes:
    """A real 2×2 PNG image."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    """A real one-page PDF (a proof of purchase)."""
    from reports.pdf import html_to_pdf

    return html_to_pdf("<p>Faktura VAT — dowód zakupu</p>")


def make_unit(customer=None, product=None, purchase_date=dt.date(2025, 3, 10), **overrides):
    """A verified registered unit (staff registration) with its computed warranty."""
    customer = customer or make_customer()
    product = product or make_product(warranty_months=overrides.pop("months", 24))
    serial = overrides.pop("serial", f"SN-{seq():06d}")
    unit = register_product(
        overrides.pop("actor", STAFF),
        customer=customer,
        product=product,
        serial=serial,
        purchase_date=purchase_date,
        **overrides,
    )
    db.session.flush()
    return unit


def make_ticket(unit=None, *, source=TicketSource.STAFF, filed_on=None, **fields):
    """A ticket filed by staff for ``unit`` (a new unit when omitted)."""
    unit = unit or make_unit()
    kind = fields.pop("kind", None)
    kind_reason = fields.pop("kind_reason", None)
    attachments = fields.pop("attachments", ())
    data = TicketInput(
        fault_description=fields.pop(
            "fault_description", "Urządzenie nie włącza się, słychać trzask."
        ),
        contact_name=fields.pop("contact_name", "Łukasz Żółć"),
        contact_email=fields.pop("contact_email", "lukasz@klient.example.com"),
        **fields,
    )
    ticket = create_ticket(
        STAFF,
        unit,
        data,
        source=source,
        filed_on=filed_on,
        kind=kind,
        kind_reason=kind_reason,
        attachments=attachments,
    )
    db.session.flush()
    return ticket


def walk(ticket, codes, dates=None, actor=STAFF):
    """Move a ticket through ``codes``; ``dates`` maps a code to its effective date."""
    for code in codes:
        change_ticket_status(actor, ticket, code, effective_on=(dates or {}).get(code))
    db.session.flush()
    return ticket


def make_api_token(scopes: str = "shop") -> str:
    """A new API token with ``scopes``; returns the secret to send as a bearer token."""
    import secrets

    from models.api_tokens import ApiToken
    from views.api.base import hash_token

    raw = f"svc_{secrets.token_urlsafe(24)}"
    db.session.add(
        ApiToken(name=f"test {scopes}", token_hash=hash_token(raw), prefix=raw[:8], scopes=scopes)
    )
    db.session.flush()
    return raw


def delivered_unit_setup(customer=None, serial="SN-PORTAL-1", months=24, issued_at=None):
    """A serial-tracked product delivered to ``customer`` with ``serial`` on a delivery note."""
    from tests.factories import make_delivery_note

    customer = customer or make_customer()
    product = make_product(serial_tracked=True, warranty_months=months, name="Wiertarka Żubr")
    note = make_delivery_note(
        customer,
        [(product, 1, [serial])],
        issued_at=issued_at or dt.datetime(2025, 3, 9, 23, 30, tzinfo=dt.UTC),
    )
    return customer, product, note
