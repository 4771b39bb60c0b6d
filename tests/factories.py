"""Small factory functions: ``make_customer(**overrides)`` adds and flushes one row."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal

from backoffice.extensions import db
from backoffice.security import hash_password
from models import (
    Address,
    AddressKind,
    Contact,
    Customer,
    CustomerGroup,
    DeliveryNote,
    DeliveryNoteLine,
    Order,
    OrderLine,
    PackagingUnit,
    PortalUser,
    Product,
    ProductGroup,
    Receivable,
    Supplier,
    User,
)
from models.delivery_notes import DeliveredSerial

_seq = itertools.count(1)


def seq() -> int:
    return next(_seq)


def valid_nip(rng: random.Random | None = None) -> str:
    """A random NIP with a correct check digit."""
    rng = rng or random
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
        check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def valid_ean13(body: int | None = None) -> str:
    """An EAN-13 with a correct check digit (Polish prefix 590)."""
    body12 = f"590{(body if body is not None else random.randint(0, 10**9 - 1)):09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def make_user(roles=("admin",), password: str = "secret-password", **overrides) -> User:
    n = seq()
    user = User(
        email=overrides.pop("email", f"user{n}@example.com"),
        name=overrides.pop("name", f"Użytkownik {n}"),
        password_hash=hash_password(password),
        **overrides,
    )
    user.roles = roles
    db.session.add(user)
    db.session.flush()
    return user


def make_group(**overrides) -> CustomerGroup:
    n = seq()
    group = CustomerGroup(name=overrides.pop("name", f"Grupa {n}"), **overrides)
    db.session.add(group)
    db.session.flush()
    return group


def make_customer(**overrides) -> Customer:
    n = seq()
    customer = Customer(
        external_id=overrides.pop("external_id", f"C{n:05d}"),
        name=overrides.pop("name", f"Przedsiębiorstwo Łódź {n} sp. z o.o."),
        nip=overrides.pop("nip", valid_nip()),
        email=overrides.pop("email", f"biuro{n}@klient.example.com"),
        **overrides,
    )
    if not customer.addresses:
        customer.addresses.append(
            Address(
                kind=AddressKind.BILLING,
                street=f"ul. Żółkiewskiego {n}",
                postal_code="90-001",
                city="Łódź",
                is_default=True,
            )
        )
    db.session.add(customer)
    db.session.flush()
    return customer


def make_contact(customer: Customer, **overrides) -> Contact:
    n = seq()
    contact = Contact(
        customer=customer,
        name=overrides.pop("name", f"Zofia Kowalska {n}"),
        email=overrides.pop("email", f"kontakt{n}@klient.example.com"),
        **overrides,
    )
    db.session.add(contact)
    db.session.flush()
    return contact


def make_supplier(**overrides) -> Supplier:
    n = seq()
    supplier = Supplier(
        name=overrides.pop("name", f"Dostawca {n}"),
        email=overrides.pop("email", f"dostawca{n}@example.com"),
        **overrides,
    )
    db.session.add(supplier)
    db.session.flush()
    return supplier


def make_portal_user(password: str = "secret-password", **overrides) -> PortalUser:
    n = seq()
    if "customer" not in overrides and "supplier" not in overrides:
        overrides["customer"] = make_customer()
    user = PortalUser(
        email=overrides.pop("email", f"portal{n}@klient.example.com"),
        name=overrides.pop("name", f"Jan Nowak {n}"),
        password_hash=hash_password(password),
        **overrides,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_product_group(**overrides) -> ProductGroup:
    n = seq()
    group = ProductGroup(
        name=overrides.pop("name", f"Grupa produktów {n}"),
        code=overrides.pop("code", f"G{n}"),
        **overrides,
    )
    db.session.add(group)
    db.session.flush()
    return group


def make_product(**overrides) -> Product:
    n = seq()
    packaging = overrides.pop("packaging", None)
    product = Product(
        external_id=overrides.pop("external_id", f"P{n:06d}"),
        sku=overrides.pop("sku", f"SKU-{n:06d}"),
        ean=overrides.pop("ean", valid_ean13(n)),
        name=overrides.pop("name", f"Wiertarka udarowa {n}"),
        price_net=overrides.pop("price_net", Decimal("100.00")),
        vat_rate=overrides.pop("vat_rate", Decimal("23")),
        **overrides,
    )
    for name, qty in packaging or []:
        product.packaging.append(PackagingUnit(name=name, quantity=Decimal(qty)))
    db.session.add(product)
    db.session.flush()
    return product


def make_order(customer: Customer | None = None, lines=None, **overrides) -> Order:
    """``lines``: [(product, quantity, unit_price_net), …]."""
    n = seq()
    customer = customer or make_customer()
    order = Order(
        external_id=overrides.pop("external_id", f"O{n:06d}"),
        number=overrides.pop("number", f"ZAM/{n}/2026"),
        customer=customer,
        placed_at=overrides.pop("placed_at", dt.datetime.now(dt.UTC)),
        **overrides,
    )
    for i, (product, qty, price) in enumerate(lines or [], start=1):
        order.lines.append(
            OrderLine(
                line_no=i,
                product=product,
                quantity=Decimal(qty),
                unit_price_net=Decimal(price),
                vat_rate=product.vat_rate,
            )
        )
    db.session.add(order)
    db.session.flush()
    return order


def make_delivery_note(customer: Customer | None = None, lines=None, **overrides) -> DeliveryNote:
    """``lines``: [(product, quantity, [serials…]), …]."""
    n = seq()
    customer = customer or make_customer()
    note = DeliveryNote(
        external_id=overrides.pop("external_id", f"WZ{n:06d}"),
        number=overrides.pop("number", f"WZ/{n}/2026"),
        customer=customer,
        issued_at=overrides.pop("issued_at", dt.datetime.now(dt.UTC)),
        **overrides,
    )
    for i, (product, qty, *rest) in enumerate(lines or [], start=1):
        line = DeliveryNoteLine(line_no=i, product=product, quantity=Decimal(qty))
        line.serials = [DeliveredSerial(serial=s) for s in (rest[0] if rest else [])]
        note.lines.append(line)
    db.session.add(note)
    db.session.flush()
    return note


def make_receivable(customer: Customer | None = None, **overrides) -> Receivable:
    n = seq()
    customer = customer or make_customer()
    amount = Decimal(overrides.pop("amount", "1230.00"))
    receivable = Receivable(
        external_id=overrides.pop("external_id", f"R{n:06d}"),
        customer=customer,
        document_number=overrides.pop("document_number", f"FV/{n}/2026"),
        issued_at=overrides.pop("issued_at", dt.date.today() - dt.timedelta(days=14)),
        due_date=overrides.pop("due_date", dt.date.today()),
        amount=amount,
        **overrides,
    )
    db.session.add(receivable)
    db.session.flush()
    return receivable
