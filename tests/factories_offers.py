"""Factories for offers: ``make_offer(...)`` builds a draft through the real services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from backoffice.actors import actor_for
from backoffice.extensions import db
from backoffice.services import offer_editing, offers
from backoffice.services.offer_sending import EmailChoice, address_options
from models.offer_catalog import ExtraService, OfferConditionTemplate
from models.offers import Offer
from tests.factories import make_customer, make_product, make_user, seq


def draft_payload(offer: Offer, lines=(), services=(), conditions=None, **header) -> dict:
    """The editor's JSON for ``offer`` with the given lines ((product, qty, price[, extra]))."""
    version = offer.current_version
    payload = {
        "revision": version.revision,
        "title": offer.title,
        "valid_until": offer.valid_until.isoformat(),
        "currency": offer.currency,
        "intro": version.intro,
        "pricing_mode": "unit_prices",
        "recipients": [{"customer_id": r.customer_id} for r in offer.active_recipients],
        "lines": [],
        "services": [dict(s) for s in services],
        "conditions": conditions
        if conditions is not None
        else [{"title": c.title, "body": c.body} for c in version.conditions],
    }
    for item in lines:
        product, qty, price, *extra = item
        line = {
            "product_id": product.id if product is not None else None,
            "quantity": str(qty),
            "unit_price": None if price is None else str(price),
        }
        if product is None:
            line.update(name="Pozycja dowolna", vat_rate="23")
        line.update(extra[0] if extra else {})
        payload["lines"].append(line)
    payload.update(header)
    return payload


def make_offer(customers=None, lines=None, rep=None, services=(), **header) -> Offer:
    """A saved draft offer (through create_offer + save_draft)."""
    rep = rep or make_user(roles=("sales",))
    customers = customers if customers is not None else [make_customer()]
    offer = offer_editing.create_offer(actor_for(rep), rep, customers=customers)
    if lines is None:
        lines = [(make_product(price_net=Decimal("100.00")), 2, None)]
    offer_editing.save_draft(actor_for(rep), offer, draft_payload(offer, lines, services, **header))
    db.session.flush()
    return offer


def send(offer: Offer, email: bool = False, publish: bool = True, attach_xlsx: bool = False):
    """Send through the service as the offer's rep (optionally e-mailing every address)."""
    choice = None
    if email:
        choice = EmailChoice(
            to={r.id: [o.email for o in address_options(r)] for r in offer.active_recipients},
            attach_pdf=True,
            attach_xlsx=attach_xlsx,
        )
    offers.send_offer(actor_for(offer.rep), offer, publish=publish, email=choice)
    db.session.flush()
    return offer


def make_extra_service(**overrides) -> ExtraService:
    n = seq()
    service = ExtraService(
        name=overrides.pop("name", f"Transport {n}"),
        default_price=overrides.pop("default_price", Decimal("150.00")),
        vat_rate=overrides.pop("vat_rate", Decimal("23")),
        **overrides,
    )
    db.session.add(service)
    db.session.flush()
    return service


def make_condition_template(**overrides) -> OfferConditionTemplate:
    n = seq()
    template = OfferConditionTemplate(
        title=overrides.pop("title", f"Warunki płatności {n}"),
        default_text=overrides.pop("default_text", "Przelew 14 dni od daty faktury."),
        **overrides,
    )
    db.session.add(template)
    db.session.flush()
    return template


def tomorrow() -> dt.date:
    return offer_editing.today() + dt.timedelta(days=1)


def run_offer_jobs() -> int:
    """Run the pending offer jobs only (documents), leaving e-mail sending to its own tests."""
    from sqlalchemy import select

    from backoffice.queue import execute
    from models.jobs import Job, JobStatus

    ids = db.session.scalars(
        select(Job.id)
        .where(Job.status == JobStatus.PENDING, Job.func.like("tasks.offers.%"))
        .order_by(Job.id)
    ).all()
    for job_id in ids:
        execute(job_id)
    return len(ids)
