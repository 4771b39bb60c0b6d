"""Demo data of the newsletter module (``flask demo seed``): two lists, members with marketing
consent, a segment of customers with points, and a draft campaign ready to preview."""

from __future__ import annotations

from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.extensions import db
from backoffice.services import consents
from backoffice.services.newsletter_lists import join_list
from models.consents import ConsentSource
from models.customers import Contact, Customer
from models.discount_codes import DiscountCode
from models.messaging import Channel, Purpose
from models.newsletters import Campaign, NewsletterList, Segment

INTRO = (
    "<p>Dzień dobry {% if recipient.first_name %}{{ recipient.first_name }}{% else %}"
    "Państwu{% endif %},</p><p>w tym miesiącu przygotowaliśmy dla firmy "
    "<strong>{{ recipient.company }}</strong> nowości z naszej oferty.</p>"
)


def seed_newsletters(actor: Actor) -> dict[str, int]:
    """Newsletter demo rows on top of the core demo data; returns counts. No commit."""
    main = NewsletterList(
        name="Newsletter",
        public=True,
        is_default=True,
        description="Nowości, promocje i kody rabatowe",
    )
    wholesale = NewsletterList(name="Promocje dla hurtu", public=True)
    db.session.add_all([main, wholesale])
    db.session.flush()
    members = 0
    for customer in db.session.scalars(select(Customer).order_by(Customer.id).limit(8)):
        for person in [customer, *customer.contacts]:
            if not person.email:
                continue
            consents.set_consent(
                actor,
                person.email,
                Channel.EMAIL,
                Purpose.MARKETING,
                True,
                source=ConsentSource.CONSOLE,
                customer_id=customer.id,
                note="dane demonstracyjne",
            )
            name = person.name if isinstance(person, Contact) else None
            join_list(actor, main, person.email, source="console", name=name, company=customer.name)
            members += 1
    segment = Segment(name="Klienci z punktami", criteria={"points_min": 100, "contacts": "all"})
    db.session.add(segment)
    db.session.add(_draft(main))
    return {"newsletter_members": members, "newsletter_campaigns": 1}


def _draft(newsletter_list: NewsletterList) -> Campaign:
    blocks = [
        {
            "type": "text",
            "title": "Nowości miesiąca",
            "html": INTRO,
            "button_label": "Przejdź do sklepu",
            "button_url": "https://hurtownia-demo.pl/",
        },
        {
            "type": "products",
            "title": "Nowe w ofercie",
            "mode": "new",
            "product_ids": [],
            "days": 90,
            "limit": 4,
        },
    ]
    code = db.session.scalar(select(DiscountCode.code).order_by(DiscountCode.id).limit(1))
    if code:
        blocks.append(
            {
                "type": "code",
                "title": "Rabat dla Ciebie",
                "text": "Wpisz kod przy zamówieniu:",
                "mode": "shared",
                "code": code,
                "batch_id": None,
            }
        )
    return Campaign(
        name="Nowości miesiąca (demo)",
        subject="{{ recipient.company }}: nowości i rabat w hurtowni",
        preheader="Nowe produkty i kod rabatowy tylko dla stałych klientów",
        list_id=newsletter_list.id,
        blocks=blocks,
        created_by="demo",
    )
