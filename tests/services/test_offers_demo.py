"""The offers demo data: built through the real services, a mix of states, dictionaries once."""

from collections import Counter

from sqlalchemy import func, select

from backoffice.actors import SYSTEM
from backoffice.services import demo
from backoffice.services.offers_demo import seed_offers
from models.jobs import Job, JobStatus
from models.offer_catalog import ExtraService, OfferConditionTemplate
from models.offers import Offer, OfferStatus
from models.users import User
from tests.factories import make_customer, make_product, make_user
from tests.factories_offers import run_offer_jobs


def test_seed_offers_builds_a_populated_register(db):
    rep = make_user(roles=("sales",))
    make_user(roles=("logistics",))  # not a rep
    customers = [make_customer() for _ in range(3)]
    for _ in range(15):
        make_product()

    counts = seed_offers(SYSTEM)

    assert counts == {"offers": 8, "offer_extra_services": 3, "offer_conditions": 4}
    rows = db.session.scalars(select(Offer).order_by(Offer.id)).all()
    assert len(rows) == 8
    assert Counter(o.status for o in rows) == {
        OfferStatus.DRAFT: 3,
        OfferStatus.SENT: 3,
        OfferStatus.ACCEPTED: 1,
        OfferStatus.REJECTED: 1,
    }
    numbers = [o.number for o in rows]
    assert all(numbers) and len(set(numbers)) == 8
    assert all(o.rep_id == rep.id for o in rows)
    assert {r.customer_id for o in rows for r in o.recipients} <= {c.id for c in customers}
    assert all(o.title and any(ch in o.title for ch in "ąćęłńóśźż—") for o in rows)
    assert all(3 <= len(o.current_version.lines) <= 12 for o in rows)
    assert max(len(o.active_recipients) for o in rows) == 2
    lines = [ln for o in rows for ln in o.current_version.lines]
    assert any(ln.discount_pct > 0 for ln in lines)
    assert any(s.extra_service_id for o in rows for s in o.current_version.services)
    assert all(o.valid_until >= o.created_at.date() for o in rows)
    sent = [o for o in rows if o.status != OfferStatus.DRAFT]
    assert all(o.sent_at and o.published_at for o in sent)
    conditions = {c.title for o in rows for c in o.current_version.conditions}
    assert {"Warunki płatności", "Ważność oferty", "Transport", "Uwagi"} <= conditions


def test_seed_offers_does_not_duplicate_dictionaries(db):
    make_user(roles=("sales",))
    make_customer()
    make_product()

    first = seed_offers(SYSTEM)
    second = seed_offers(SYSTEM)

    assert first["offers"] == second["offers"] == 8
    assert (second["offer_extra_services"], second["offer_conditions"]) == (0, 0)
    assert db.session.scalar(select(func.count()).select_from(ExtraService)) == 3
    assert db.session.scalar(select(func.count()).select_from(OfferConditionTemplate)) == 4
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 16


def test_seed_offers_without_sales_staff_adds_only_dictionaries(db):
    make_customer()
    make_product()

    counts = seed_offers(SYSTEM)

    assert counts == {"offers": 0, "offer_extra_services": 3, "offer_conditions": 4}
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 0


def test_seed_offers_on_top_of_the_demo_data_renders_documents(db):
    demo.seed(SYSTEM, demo.Counts(customers=8, products=30, suppliers=2, orders=12), 3)

    counts = seed_offers(SYSTEM)

    assert counts["offers"] == 8
    rep = db.session.scalars(select(User).where(User.email == "sales@demo.local")).one()
    assert {o.rep_id for o in db.session.scalars(select(Offer))} == {rep.id}
    assert run_offer_jobs() > 0
    statuses = db.session.scalars(select(Job.status).where(Job.func.like("tasks.offers.%"))).all()
    assert statuses and set(statuses) == {JobStatus.DONE}
