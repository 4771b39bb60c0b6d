"""API for the shop (scope ``shop``): file a service ticket, read its status and history.

``POST /api/v1/service-tickets`` registers the unit when it is new (verified at once when
the serial is on one of the customer's delivery notes, else "to verify" for staff) and
files the ticket; a repeated ``external_id`` answers 200 with the ticket filed before.
``GET /api/v1/service-tickets/<number>`` answers its status, dates, costs and history.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from flask import current_app
from flask_babel import gettext as _
from pydantic import model_validator
from sqlalchemy import and_, or_, select

from backoffice.actors import current_actor
from backoffice.errors import DomainError, NotFound, ValidationFailed
from backoffice.extensions import db
from backoffice.services.service_products import find_or_register
from backoffice.services.service_tickets import TicketInput, create_ticket
from models.customers import Customer
from models.products import Product
from models.service_tickets import ServiceTicket, TicketSource
from views.api.base import api_route
from views.api.resources import decode_cursor, encode_cursor
from views.api.schemas_common import (
    Date,
    Email,
    ExternalId,
    InputModel,
    ListQuery,
    Money,
    Optional,
    OutputModel,
    Phone,
    Text,
    page_model,
)

#: Service field names → the request's field paths.
FIELD_PATHS = {
    "serial": "serial_number",
    "contact_email": "contact.email",
    "contact_phone": "contact.phone",
    "contact_name": "contact.name",
    "registered_product": "serial_number",
    "attachments": "_",
}


class ServiceContactIn(InputModel):
    name: Optional(Text(200)) = None
    email: Optional(Email) = None
    phone: Optional(Phone) = None


class ServiceTicketIn(InputModel):
    """A fault report from the shop's customer panel."""

    external_id: Optional(ExternalId) = None
    customer_external_id: ExternalId
    product_sku: Optional(Text(64)) = None
    product_external_id: Optional(ExternalId) = None
    serial_number: Optional(Text(100)) = None
    purchase_date: Optional(Date) = None
    fault_description: Text(5000)
    accessories: Optional(Text(500)) = None
    contact: ServiceContactIn | None = None
    notify_email: bool = True
    notify_sms: bool = False
    inbound_carrier: Optional(Text(64)) = None
    inbound_waybill: Optional(Text(64)) = None

    @model_validator(mode="after")
    def _product_given(self):
        if not (self.product_sku or self.product_external_id):
            raise ValueError("product_sku or product_external_id is required")
        return self


class ServiceStatusOut(OutputModel):
    code: str
    name: str


class ServiceEventOut(OutputModel):
    at: dt.datetime
    status: ServiceStatusOut | None = None
    note: str | None = None


class ServiceTicketOut(OutputModel):
    number: str
    external_id: str | None
    status: ServiceStatusOut
    is_open: bool
    kind: Literal["warranty", "post_warranty"]
    kind_overridden: bool
    customer_external_id: str | None
    product_sku: str
    product_name: str
    serial_number: str | None
    registration_status: Literal["verified", "to_verify", "rejected"]
    filed_on: dt.date
    goods_received_on: dt.date | None
    returned_on: dt.date | None
    warranty_ends_on: dt.date
    quote_amount: Money | None
    cost_net: Money
    cost_gross: Money
    inbound_waybill: str | None
    outbound_carrier: str | None
    outbound_waybill: str | None
    portal_url: str
    history: list[ServiceEventOut]


def _status(status, locale: str) -> ServiceStatusOut:
    return ServiceStatusOut(code=status.code, name=status.label(locale))


def ticket_out(ticket: ServiceTicket, locale: str = "pl") -> ServiceTicketOut:
    unit = ticket.registered_product
    return ServiceTicketOut(
        number=ticket.number,
        external_id=ticket.external_id,
        status=_status(ticket.status, locale),
        is_open=ticket.is_open,
        kind=ticket.kind.value,
        kind_overridden=ticket.kind_overridden,
        customer_external_id=ticket.customer.external_id,
        product_sku=unit.product.sku,
        product_name=unit.product.name,
        serial_number=unit.serial,
        registration_status=unit.status.value,
        filed_on=ticket.filed_on,
        goods_received_on=ticket.goods_received_on,
        returned_on=ticket.returned_on,
        warranty_ends_on=unit.warranty_ends_on,
        quote_amount=ticket.quote_amount,
        cost_net=ticket.cost_net or Decimal("0.00"),
        cost_gross=ticket.cost_gross or Decimal("0.00"),
        inbound_waybill=ticket.inbound_waybill,
        outbound_carrier=ticket.outbound_carrier,
        outbound_waybill=ticket.outbound_waybill,
        portal_url=f"{current_app.config['BASE_URL']}/portal/service/tickets/{ticket.id}",
        history=[
            ServiceEventOut(
                at=e.at, status=_status(e.to_status, locale) if e.to_status else None, note=e.note
            )
            for e in ticket.events
            if e.public
        ],
    )


def _remapped(exc: DomainError) -> DomainError:
    errors = {}
    for field, messages in (exc.errors or {}).items():
        errors.setdefault(FIELD_PATHS.get(field, field), []).extend(messages)
    return type(exc)(exc.message, errors=errors or None)


def _lookup(body: ServiceTicketIn) -> tuple[Customer, Product]:
    customer = db.session.scalar(
        select(Customer).where(Customer.external_id == body.customer_external_id)
    )
    if customer is None:
        raise ValidationFailed(_("No customer has this external id."), field="customer_external_id")
    if body.product_external_id:
        product = db.session.scalar(
            select(Product).where(Product.external_id == body.product_external_id)
        )
        field = "product_external_id"
    else:
        product = db.session.scalar(select(Product).where(Product.sku == body.product_sku))
        field = "product_sku"
    if product is None:
        raise ValidationFailed(_("No product has this SKU or external id."), field=field)
    return customer, product


def _ticket_input(body: ServiceTicketIn) -> TicketInput:
    contact = body.contact or ServiceContactIn()
    return TicketInput(
        fault_description=body.fault_description,
        contact_name=contact.name,
        contact_email=contact.email,
        contact_phone=contact.phone,
        notify_email=body.notify_email,
        notify_sms=body.notify_sms,
        accessories=body.accessories,
        inbound_carrier=body.inbound_carrier,
        inbound_waybill=body.inbound_waybill,
        external_id=body.external_id,
    )


@api_route(
    "/service-tickets",
    methods=["POST"],
    scopes=["shop"],
    body=ServiceTicketIn,
    response=ServiceTicketOut,
    status=201,
    tag="service",
    responses={200: "The ticket with this external_id was filed before.", 409: "Conflict"},
)
def create_service_ticket(body: ServiceTicketIn):
    """File a service ticket for a customer's unit (registering the unit when new).

    The ticket type (warranty / post-warranty) is decided from the unit's warranty end.
    """
    if body.external_id:
        earlier = db.session.scalar(
            select(ServiceTicket).where(ServiceTicket.external_id == body.external_id)
        )
        if earlier is not None and earlier.customer.external_id == body.customer_external_id:
            return ticket_out(earlier), 200
    actor = current_actor()
    try:
        customer, product = _lookup(body)
        unit = find_or_register(
            actor,
            customer=customer,
            product=product,
            serial=body.serial_number,
            purchase_date=body.purchase_date,
            source="api",
            by_customer=True,
        )
        ticket = create_ticket(actor, unit, _ticket_input(body), source=TicketSource.API)
    except DomainError as exc:
        raise _remapped(exc) from exc
    db.session.commit()
    return ticket_out(ticket), 201


@api_route(
    "/service-tickets/<path:number>",
    scopes=["shop"],
    response=ServiceTicketOut,
    tag="service",
    responses={404: "No such ticket"},
)
def get_service_ticket(number: str):
    """A service ticket's status, dates, costs and public history."""
    ticket = db.session.scalar(select(ServiceTicket).where(ServiceTicket.number == number))
    if ticket is None:
        raise NotFound(_("No service ticket has this number."))
    return ticket_out(ticket)


ServiceTicketPage = page_model(ServiceTicketOut)


@api_route(
    "/customers/<external_id>/service-tickets",
    scopes=["shop"],
    query=ListQuery,
    response=ServiceTicketPage,
    tag="service",
    responses={404: "No such customer"},
)
def list_customer_service_tickets(external_id: str, query: ListQuery):
    """The customer's service tickets in the order they last changed (cursor pagination).

    Pass `next_cursor` back as `cursor` until it is null; `updated_since` limits the list to
    tickets changed at or after a moment (to follow status changes).
    """
    customer = db.session.scalar(select(Customer).where(Customer.external_id == external_id))
    if customer is None:
        raise NotFound(_("No customer has this external id."))
    stmt = select(ServiceTicket).where(ServiceTicket.customer_id == customer.id)
    if query.updated_since is not None:
        stmt = stmt.where(ServiceTicket.updated_at >= query.updated_since)
    if query.cursor:
        moment, last_id = decode_cursor(query.cursor)
        stmt = stmt.where(
            or_(
                ServiceTicket.updated_at > moment,
                and_(ServiceTicket.updated_at == moment, ServiceTicket.id > last_id),
            )
        )
    rows = db.session.scalars(
        stmt.order_by(ServiceTicket.updated_at, ServiceTicket.id).limit(query.limit + 1)
    ).all()
    page = rows[: query.limit]
    after = (page[-1].updated_at, page[-1].id) if len(rows) > query.limit else None
    return ServiceTicketPage(items=[ticket_out(t) for t in page], next_cursor=encode_cursor(after))
