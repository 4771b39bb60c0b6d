"""Demo data of the offers module: the admin dictionaries (extra services, condition templates)
when empty, and about eight offers in every common state, built through the real services
(``offer_editing.create_offer`` / ``save_draft``, ``offers.send_offer``, ``accept_offer``,
``reject_offer``) on top of the core demo data (``flask demo seed``).

Nothing is e-mailed: offers are sent with ``publish=True, email=None`` and the answers are
recorded by the rep (as if taken over the phone), so the rep gets no internal e-mail either.
Sending defers the document-render jobs as usual.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from backoffice.actors import Actor, actor_for
from backoffice.extensions import db
from backoffice.services import offer_editing, offers
from backoffice.services.audit import record
from backoffice.services.dictionary_defaults import add_if_empty
from models.customers import Customer
from models.offer_catalog import ExtraService, OfferConditionTemplate
from models.offers import Offer
from models.products import Product
from models.users import Role, User, UserRole

#: (name, description, unit, default price net, VAT rate)
EXTRA_SERVICES = (
    ("Transport", "Dostawa na adres klienta.", "kurs", Decimal("150.00"), Decimal("23")),
    ("Montaż", "Montaż i uruchomienie u klienta.", "godz.", Decimal("120.00"), Decimal("23")),
    ("Szkolenie", "Szkolenie z obsługi dla pracowników.", "usł.", Decimal("450.00"), Decimal("23")),
)

#: (title, default text, preselected on new offers)
CONDITION_TEMPLATES = (
    ("Warunki płatności", "Przelew 14 dni od daty wystawienia faktury.", True),
    ("Transport", "Dostawa na koszt sprzedawcy przy zamówieniu powyżej 1000 zł netto.", False),
    ("Ważność oferty", "Oferta ważna do daty podanej w nagłówku.", True),
    ("Uwagi", "Ceny nie obejmują kosztów montażu, o ile nie wskazano inaczej.", False),
)


@dataclass(frozen=True)
class DemoOffer:
    title: str
    lines: int
    valid_days: int
    outcome: str = "draft"  # draft, sent, accepted or rejected
    recipients: int = 1
    discount: bool = False
    services: tuple[str, ...] = ()
    extra_conditions: tuple[str, ...] = ()


OFFERS = (
    DemoOffer("Oferta na elektronarzędzia — sezon wiosenny", 5, 30),
    DemoOffer("Wyposażenie warsztatu — propozycja cenowa", 8, 30),
    DemoOffer("Materiały eksploatacyjne — oferta ramowa", 4, 21, "sent", discount=True),
    DemoOffer(
        "Narzędzia ogrodnicze z dostawą i montażem",
        6,
        21,
        "sent",
        services=("Transport", "Montaż"),
        extra_conditions=("Transport",),
    ),
    DemoOffer("Środki ochrony osobistej dla dwóch oddziałów", 7, 14, "sent", recipients=2),
    DemoOffer("Zamówienie uzupełniające — akcesoria i osprzęt", 3, 10, "accepted"),
    DemoOffer("Modernizacja magazynu — regały i wózki", 9, 10, "rejected"),
    DemoOffer("Zestawy narzędziowe dla ekip serwisowych", 12, 45, extra_conditions=("Uwagi",)),
)

REJECT_REASON = "Wybraliśmy tańszą ofertę konkurencji; wrócimy do tematu jesienią."
PRODUCT_POOL = 120


def seed_offers(actor: Actor) -> dict[str, int]:
    """Offer demo rows on top of the core demo data; returns counts. No commit."""
    added = _dictionaries(actor)
    reps = db.session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.SALES, User.active.is_(True))
        .order_by(User.id)
    ).all()
    customers = db.session.scalars(
        select(Customer).where(Customer.active.is_(True)).order_by(Customer.id).limit(10)
    ).all()
    products = db.session.scalars(
        select(Product).where(Product.active.is_(True)).order_by(Product.id).limit(PRODUCT_POOL)
    ).all()
    made = 0
    if reps and customers and products:
        for i, spec in enumerate(OFFERS):
            _offer(i, spec, reps[i % len(reps)], customers, products)
            made += 1
    db.session.flush()
    return {"offers": made, **added}


def _dictionaries(actor: Actor) -> dict[str, int]:
    """Add the default extra services and condition templates to each empty dictionary."""
    added = {
        "offer_extra_services": add_if_empty(
            ExtraService,
            ("name", "description", "unit", "default_price", "vat_rate"),
            EXTRA_SERVICES,
        ),
        "offer_conditions": add_if_empty(
            OfferConditionTemplate, ("title", "default_text", "preselected"), CONDITION_TEMPLATES
        ),
    }
    if any(added.values()):
        db.session.flush()
        record(actor, "offer.dictionaries_seed", object_type="ExtraService", changes=added)
    return added


def _offer(i: int, spec: DemoOffer, rep: User, customers, products) -> Offer:
    chosen = [customers[(i + k) % len(customers)] for k in range(spec.recipients)]
    chosen = list({c.id: c for c in chosen}.values())
    staff = actor_for(rep)
    offer = offer_editing.create_offer(staff, rep, customers=chosen, title=spec.title)
    offer_editing.save_draft(staff, offer, _payload(i, spec, offer, products))
    db.session.flush()
    if spec.outcome == "draft":
        return offer
    offers.send_offer(staff, offer, publish=True, email=None)
    db.session.flush()
    recipient = offer.active_recipients[0]
    if spec.outcome == "accepted":
        offers.accept_offer(staff, recipient, note="Akceptacja telefoniczna (demo).")
    elif spec.outcome == "rejected":
        offers.reject_offer(staff, recipient, reason=REJECT_REASON)
    db.session.flush()
    return offer


def _payload(i: int, spec: DemoOffer, offer: Offer, products) -> dict:
    """The editor's JSON, shaped as in ``tests/factories_offers.draft_payload``."""
    version = offer.current_version
    start = (i * 7) % len(products)
    count = min(spec.lines, len(products))
    lines = []
    for j in range(count):
        product = products[(start + j) % len(products)]
        line = {"product_id": product.id, "quantity": str(j % 4 + 1 + i), "unit_price": None}
        if spec.discount:
            line["discount_pct"] = "12.5" if j == 0 else "5"
        lines.append(line)
    services = []
    for name in spec.services:
        service = db.session.scalar(select(ExtraService).where(ExtraService.name == name))
        if service is not None:
            services.append(
                {
                    "extra_service_id": service.id,
                    "name": service.name,
                    "unit": service.unit,
                    "quantity": "1",
                    "unit_price": str(service.default_price),
                    "vat_rate": str(service.vat_rate),
                }
            )
    conditions = [
        {"template_id": c.template_id, "title": c.title, "body": c.body} for c in version.conditions
    ]
    for title in spec.extra_conditions:
        template = db.session.scalar(
            select(OfferConditionTemplate).where(OfferConditionTemplate.title == title)
        )
        if template is not None and all(c["template_id"] != template.id for c in conditions):
            conditions.append(
                {"template_id": template.id, "title": template.title, "body": template.default_text}
            )
    return {
        "revision": version.revision,
        "title": spec.title,
        "valid_until": (offer_editing.today() + dt.timedelta(days=spec.valid_days)).isoformat(),
        "currency": offer.currency,
        "intro": version.intro,
        "internal_notes": "Dane demonstracyjne.",
        "pricing_mode": "unit_prices",
        "recipients": [{"customer_id": r.customer_id} for r in offer.active_recipients],
        "lines": lines,
        "services": services,
        "conditions": conditions,
    }
