"""Demo data for trying the console: reproducible (Faker pl_PL with a fixed seed), Polish.

``seed()`` fills an empty database with staff accounts (one per role, ``<role>@demo.local``,
password ``demo``), two portal users, the company profile, customers with addresses and
contacts, a product group tree with products and packaging, suppliers, and orders, delivery
notes and receivables for the other modules. It refuses outside development and test.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import asdict, dataclass
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from backoffice.actors import Actor
from backoffice.errors import Conflict, Forbidden
from backoffice.extensions import db
from backoffice.security import hash_password, role_label
from backoffice.services import company, demo_orders
from backoffice.services.audit import record
from backoffice.services.demo_catalog import BRANDS, CATALOGUE, CUSTOMER_GROUPS, PACKAGING
from backoffice.validators import NIP_WEIGHTS
from models import (
    Address,
    AddressKind,
    Contact,
    Customer,
    CustomerGroup,
    DeliveryNote,
    PackagingUnit,
    PortalUser,
    Product,
    ProductGroup,
    Role,
    Supplier,
    User,
)

DOMAIN = "demo.local"
PASSWORD = "demo"
ALLOWED_ENVS = ("development", "test")
MOBILE_PREFIXES = ("50", "51", "53", "60", "66", "69", "72", "73", "78", "79", "88")


@dataclass(frozen=True)
class Counts:
    """How much to generate (tests pass small numbers)."""

    customers: int = 200
    products: int = 2000
    suppliers: int = 12
    orders: int = 300


def ensure_allowed() -> None:
    """Forbidden unless BACKOFFICE_ENV is development or test (never production data)."""
    env = current_app.config.get("BACKOFFICE_ENV")
    if env not in ALLOWED_ENVS:
        raise Forbidden(
            _("Demo data may be loaded only in development (BACKOFFICE_ENV is %(env)s).", env=env)
        )


def has_data() -> bool:
    """True when customers exist (the database is in use)."""
    return bool(db.session.scalar(select(func.count(Customer.id))))


def seed(actor: Actor, counts: Counts = Counts(), seed_value: int = 2024) -> dict[str, int]:
    """Fill an empty database; raises Forbidden (environment) or Conflict (not empty). No commit."""
    ensure_allowed()
    if has_data():
        raise Conflict(
            _("The database already has customers; demo data goes only into an empty database.")
        )
    gen = _Generator(seed_value)
    staff = gen.staff()
    sales = [u for u in staff if Role.SALES in u.roles]
    gen.company_profile(actor)
    products = gen.products(counts.products)
    customers = gen.customers(counts.customers, sales)
    suppliers = gen.suppliers(counts.suppliers)
    gen.portal_users(customers[0], suppliers[0])
    db.session.flush()
    notes = gen.orders_and_notes(counts.orders, customers, products)
    receivables = gen.receivables(notes)
    from backoffice.services.service_demo import seed_service  # the service module's part

    service_tickets = seed_service(actor, notes)
    from backoffice.services.loyalty_demo import seed_loyalty  # the loyalty module's part

    loyalty_counts = seed_loyalty(actor)
    from backoffice.services.return_dictionaries import seed_dictionaries  # returns module

    return_dictionaries = seed_dictionaries(actor)
    from backoffice.services.returns_demo import seed_returns  # returns module

    return_counts = seed_returns(actor)
    from backoffice.services.newsletters_demo import seed_newsletters  # newsletters module

    newsletter_counts = seed_newsletters(actor)
    from backoffice.services.offers_demo import seed_offers  # offers module

    offer_counts = seed_offers(actor)
    summary = {
        "staff": len(staff),
        "customers": len(customers),
        "products": len(products),
        "suppliers": len(suppliers),
        "orders": counts.orders,
        "delivery_notes": len(notes),
        "receivables": receivables,
        "service_tickets": service_tickets,
        **loyalty_counts,
        **newsletter_counts,
        **offer_counts,
        **return_counts,
        **{f"return_{k}": v for k, v in return_dictionaries.items()},
        **{f"requested_{k}": v for k, v in asdict(counts).items()},
    }
    record(actor, "demo.seed", object_type="Demo", changes=summary)
    return summary


def accounts() -> list[tuple[str, str]]:
    """(e-mail, who) of every demo account present, staff first."""
    rows = []
    for user in db.session.scalars(
        select(User).where(User.email.like(f"%@{DOMAIN}")).order_by(User.id)
    ):
        rows.append((user.email, ", ".join(str(role_label(r)) for r in sorted(user.roles))))
    for user in db.session.scalars(
        select(PortalUser).where(PortalUser.email.like(f"%@{DOMAIN}")).order_by(PortalUser.id)
    ):
        rows.append((user.email, _("portal: %(company)s", company=user.company)))
    return rows


def valid_nip(rng: random.Random) -> str:
    """A random NIP with a correct check digit."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
        check = sum(d * w for d, w in zip(digits, NIP_WEIGHTS, strict=True)) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def ean13(number: int) -> str:
    """EAN-13 in the Polish 590 range with a correct check digit."""
    body = f"590{number:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def polish_iban(rng: random.Random) -> str:
    """A PL IBAN with correct check digits."""
    bban = "".join(str(rng.randint(0, 9)) for _ in range(24))
    check = 98 - int(bban + "252100") % 97  # "PL00" moved to the end: P=25, L=21
    return f"PL{check:02d}{bban}"


class _Generator:
    """Builds the rows; one instance per seed so the output is reproducible."""

    def __init__(self, seed_value: int):
        self.rng = random.Random(seed_value)
        self.fake = _faker()
        self.fake.seed_instance(seed_value)  # reseeding makes a cached instance reproducible
        self.password_hash = hash_password(PASSWORD)  # one hash: every account has "demo"
        self.today = dt.datetime.now(dt.UTC).replace(hour=10, minute=0, second=0, microsecond=0)

    def phone(self) -> str:
        prefix = self.rng.choice(MOBILE_PREFIXES)
        return f"+48{prefix}{self.rng.randint(0, 9_999_999):07d}"

    def staff(self) -> list[User]:
        users = []
        for role in Role:
            user = User(
                email=f"{role.value}@{DOMAIN}",
                name=self.fake.name(),
                password_hash=self.password_hash,
                phone=self.phone(),
            )
            user.roles = [role]
            users.append(user)
        db.session.add_all(users)
        return users

    def company_profile(self, actor: Actor) -> None:
        company.update_profile(
            actor,
            name="Hurtownia Demo Żółw sp. z o.o.",
            street="ul. Świętokrzyska 12",
            postal_code="00-916",
            city="Warszawa",
            country="PL",
            nip=valid_nip(self.rng),
            email="biuro@hurtownia-demo.pl",
            phone="+48221234567",
            website="https://hurtownia-demo.pl",
            bank_name="Bank Demo S.A.",
            bank_account=polish_iban(self.rng),
        )

    def products(self, count: int) -> list[Product]:
        leaves = []
        for root_name, children in CATALOGUE.items():
            root = ProductGroup(name=root_name, code=_code(root_name))
            for leaf_name, spec in children.items():
                leaves.append(
                    (ProductGroup(name=leaf_name, code=_code(leaf_name), parent=root), spec)
                )
        products = [self._product(n, *leaves[n % len(leaves)]) for n in range(count)]
        db.session.add_all(products)
        return products

    def _product(self, n: int, group: ProductGroup, spec: dict) -> Product:
        rng = self.rng
        size = spec["sizes"][(n // len(CATALOGUE)) % len(spec["sizes"])]
        name = f"{rng.choice(spec['names'])} {rng.choice(BRANDS)} {spec['variant'].format(n=size)}"
        low, high = spec["price"]
        price = Decimal(rng.randint(low * 100, high * 100)) / 100
        product = Product(
            sku=f"DEMO-{n + 1:05d}",
            external_id=f"ERP-P{n + 1:05d}",
            name=name,
            group=group,
            ean=ean13(100_000 + n) if n % 25 else None,  # a few without EAN, for the dashboard
            price_net=price if n % 40 else Decimal("0.00"),
            purchase_price=(price * Decimal("0.72")).quantize(Decimal("0.01")),
            vat_rate=Decimal("23"),
            weight_kg=Decimal(rng.randint(50, 25_000)) / 1000,
            warranty_months=36 if spec.get("serial") else 24,
            serial_tracked=bool(spec.get("serial")),
            returnable=n % 17 != 0,
        )
        carton = rng.choice(PACKAGING[0][1])
        product.packaging.append(PackagingUnit(name="karton", quantity=Decimal(carton)))
        if n % 3 == 0:
            pallet = carton * rng.choice(PACKAGING[1][1])
            product.packaging.append(PackagingUnit(name="paleta", quantity=Decimal(pallet)))
        return product

    def customers(self, count: int, sales: list[User]) -> list[Customer]:
        groups = [CustomerGroup(name=name, code=_code(name)) for name in CUSTOMER_GROUPS]
        nips: set[str] = set()
        customers = []
        for n in range(count):
            nip = valid_nip(self.rng)
            while nip in nips:
                nip = valid_nip(self.rng)
            nips.add(nip)
            customers.append(self._customer(n, nip, groups, sales))
        db.session.add_all(customers)
        return customers

    def _customer(self, n: int, nip: str, groups, sales) -> Customer:
        rng, fake = self.rng, self.fake
        customer = Customer(
            external_id=f"ERP-K{n + 1:05d}",
            name=fake.company(),
            nip=nip,
            email=f"biuro{n + 1}@klient{n + 1}.demo.pl",
            phone=self.phone(),
            group=groups[n % len(groups)],
            account_manager=rng.choice(sales) if sales else None,
            return_window_months=rng.choice((None, None, 6, 12, 24)),
            active=n % 23 != 22,
        )
        customer.addresses.append(self._address(AddressKind.BILLING, True))
        for i in range(rng.choice((0, 1, 1, 2))):
            customer.addresses.append(self._address(AddressKind.SHIPPING, i == 0))
        for c in range(rng.randint(1, 3)):
            customer.contacts.append(
                Contact(
                    name=fake.name(),
                    email=f"osoba{c + 1}@klient{n + 1}.demo.pl",
                    phone=self.phone(),
                    position=fake.job()[:120],
                    receives_order_notices=c == 0,
                    receives_return_notices=rng.random() < 0.6,
                    receives_payment_reminders=c == 0 or rng.random() < 0.3,
                    receives_offers=rng.random() < 0.7,
                    may_file_returns=rng.random() < 0.5,
                )
            )
        return customer

    def _address(self, kind: AddressKind, default: bool) -> Address:
        fake = self.fake
        return Address(
            kind=kind,
            street=fake.street_address(),
            postal_code=fake.postcode(),
            city=fake.city(),
            country="PL",
            region=fake.region(),
            is_default=default,
        )

    def suppliers(self, count: int) -> list[Supplier]:
        suppliers = [
            Supplier(
                external_id=f"ERP-D{n + 1:03d}",
                name=self.fake.company(),
                nip=valid_nip(self.rng),
                email=f"zamowienia@dostawca{n + 1}.demo.pl",
                phone=self.phone(),
                street=self.fake.street_address(),
                postal_code=self.fake.postcode(),
                city=self.fake.city(),
            )
            for n in range(count)
        ]
        db.session.add_all(suppliers)
        return suppliers

    def portal_users(self, customer: Customer, supplier: Supplier) -> None:
        db.session.add_all(
            [
                PortalUser(
                    email=f"klient@{DOMAIN}",
                    name=self.fake.name(),
                    customer=customer,
                    password_hash=self.password_hash,
                    is_company_admin=True,
                    can_file_returns=True,
                ),
                PortalUser(
                    email=f"dostawca@{DOMAIN}",
                    name=self.fake.name(),
                    supplier=supplier,
                    password_hash=self.password_hash,
                    is_company_admin=True,
                ),
            ]
        )

    def orders_and_notes(self, count, customers, products) -> list[DeliveryNote]:
        return demo_orders.build_orders(self.rng, self.today, count, customers, products)

    def receivables(self, notes: list[DeliveryNote]) -> int:
        return demo_orders.build_receivables(self.rng, self.today, notes)


@functools.cache
def _faker():
    """One Faker pl_PL per process (building it loads every provider: about a second)."""
    from faker import Faker

    return Faker("pl_PL")


def _code(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in ascii_name if c.isalnum()).upper()[:20]
