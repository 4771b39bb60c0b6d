"""Races on real PostgreSQL connections: gapless numbers, one answer, one order."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.actors import SYSTEM
from backoffice.errors import DomainError
from backoffice.services import offer_editing, offer_orders, offers
from models.offers import Offer, OfferRecipient, OfferStatus
from models.orders import Order
from models.users import User
from tests.factories import make_user
from tests.factories_offers import make_offer, send

pytestmark = [pytest.mark.postgres, pytest.mark.committed]


def race(app, count: int, work) -> Counter:
    """``work(i)`` in ``count`` threads released together, each with its own connection."""
    from backoffice.extensions import db

    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                work(i)
                db.session.commit()
                outcome = "ok"
            except DomainError as exc:
                db.session.rollback()
                outcome = type(exc).__name__
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == count, "a racing thread did not finish"
    return Counter(outcomes)


def test_fifty_parallel_offers_get_fifty_consecutive_numbers(db, app):
    from backoffice.extensions import db as _db

    rep_id = make_user(roles=("sales",)).id
    db.session.commit()

    def create(i):
        offer_editing.create_offer(SYSTEM, _db.session.get(User, rep_id), title=f"race {i}")

    assert race(app, 50, create) == Counter(ok=50)
    rows = db.session.execute(select(Offer.year, Offer.sequence, Offer.number)).all()
    sequences = sorted(r.sequence for r in rows)
    assert sequences == list(range(1, 51))
    assert len({r.number for r in rows}) == 50


def test_two_simultaneous_answers_one_wins(db, app):
    offer = send(make_offer())
    db.session.commit()
    recipient_id = offer.recipients[0].id
    from backoffice.extensions import db as _db

    def answer(i):
        recipient = _db.session.get(OfferRecipient, recipient_id)
        if i % 2:
            offers.accept_offer(SYSTEM, recipient)
        else:
            offers.reject_offer(SYSTEM, recipient, reason="za drogo")

    outcome = race(app, 6, answer)
    assert outcome["ok"] == 1 and outcome["InvalidTransition"] == 5
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).status in (OfferStatus.ACCEPTED, OfferStatus.REJECTED)


def test_simultaneous_conversions_make_one_order(db, app):
    offer = send(make_offer())
    offers.accept_offer(SYSTEM, offer.recipients[0])
    db.session.commit()
    recipient_id = offer.recipients[0].id
    from backoffice.extensions import db as _db

    def convert(i):
        offer_orders.convert_to_order(SYSTEM, _db.session.get(OfferRecipient, recipient_id))

    outcome = race(app, 8, convert)
    assert outcome == Counter(ok=1, Conflict=7)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    order = db.session.scalars(select(Order)).one()
    assert order.total_net == Decimal("200.00")
