"""Finding things for the service screens: a scanned code, customers and products by text."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services.service_products import normalise_serial
from models.customers import Customer
from models.delivery_notes import DeliveryNote, DeliveryNoteLine
from models.products import Product
from models.service_products import RegisteredProduct
from models.service_tickets import ServiceTicket

_ID_TAG = re.compile(r"\[#(\d+)\]\s*$")


def find_by_code(code: str):
    """What a scanned or typed code means: ("ticket", t) for a ticket number or waybill,
    ("unit", u) for a registered serial number, else None."""
    code = (code or "").strip()
    if not code:
        return None
    upper = code.upper()
    ticket = db.session.scalar(
        select(ServiceTicket).where(func.upper(ServiceTicket.number) == upper).limit(1)
    ) or db.session.scalar(
        select(ServiceTicket)
        .where(or_(ServiceTicket.inbound_waybill == code, ServiceTicket.outbound_waybill == code))
        .order_by(ServiceTicket.id.desc())
        .limit(1)
    )
    if ticket is not None:
        return "ticket", ticket
    units = db.session.scalars(
        select(RegisteredProduct).where(RegisteredProduct.serial == normalise_serial(code))
    ).all()
    if len(units) == 1:
        return "unit", units[0]
    return None


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def customer_label(customer: Customer) -> str:
    nip = f" — NIP {customer.nip}" if customer.nip else ""
    return f"{customer.name}{nip} [#{customer.id}]"


def product_label(product: Product) -> str:
    return f"{product.sku} — {product.name} [#{product.id}]"


def customer_options(text: str, limit: int = 20) -> list[str]:
    """Labels of customers whose name or NIP contains ``text``."""
    text = (text or "").strip()
    if len(text) < 2:
        return []
    digits = re.sub(r"\D", "", text)
    cond = func.lower(Customer.name).like(_like(text.lower()), escape="\\")
    if len(digits) >= 3:
        cond = or_(cond, Customer.nip.like(f"%{digits}%"))
    rows = db.session.scalars(select(Customer).where(cond).order_by(Customer.name).limit(limit))
    return [customer_label(c) for c in rows]


def product_options(text: str, limit: int = 20) -> list[str]:
    """Labels of products whose SKU, EAN or name contains ``text``."""
    text = (text or "").strip()
    if len(text) < 2:
        return []
    pattern = _like(text.lower())
    rows = db.session.scalars(
        select(Product)
        .where(
            or_(
                func.lower(Product.sku).like(pattern, escape="\\"),
                Product.ean.like(_like(text), escape="\\"),
                func.lower(Product.name).like(pattern, escape="\\"),
            )
        )
        .order_by(Product.sku)
        .limit(limit)
    )
    return [product_label(p) for p in rows]


def resolve_customer(text: str, field: str = "customer") -> Customer:
    """The customer a picked label, a NIP or an exact name points at."""
    text = (text or "").strip()
    tag = _ID_TAG.search(text)
    found = db.session.get(Customer, int(tag.group(1))) if tag else None
    if found is None and text:
        digits = re.sub(r"\D", "", text)
        matches = db.session.scalars(
            select(Customer)
            .where(or_(Customer.nip == digits, func.lower(Customer.name) == text.lower()))
            .limit(2)
        ).all()
        found = matches[0] if len(matches) == 1 else None
    if found is None:
        raise ValidationFailed(_("Pick the customer from the list."), field=field)
    return found


def resolve_product(text: str, field: str = "product") -> Product:
    """The product a picked label, a SKU or an EAN points at."""
    text = (text or "").strip()
    tag = _ID_TAG.search(text)
    found = db.session.get(Product, int(tag.group(1))) if tag else None
    if found is None and text:
        found = db.session.scalar(
            select(Product).where(or_(Product.sku == text, Product.ean == text)).limit(1)
        )
    if found is None:
        raise ValidationFailed(_("No product has this SKU or EAN."), field=field)
    return found


def delivered_products(customer_id: int) -> list[Product]:
    """Products that were delivered to the customer, by name (for the portal's list)."""
    ids = (
        select(DeliveryNoteLine.product_id)
        .join(DeliveryNote, DeliveryNote.id == DeliveryNoteLine.delivery_note_id)
        .where(DeliveryNote.customer_id == customer_id)
        .distinct()
    )
    return list(
        db.session.scalars(select(Product).where(Product.id.in_(ids)).order_by(Product.name))
    )
