"""Races on real PostgreSQL connections: two runs at once write each stage once; without the
run lock the unique (receivable, stage) pair still refuses the second writer."""

import threading

import pytest
from sqlalchemy import func, select

from backoffice.actors import SYSTEM
from backoffice.errors import Conflict
from backoffice.extensions import db as _db
from backoffice.services import dunning_runs, dunning_selection
from backoffice.services.dunning_calendar import warsaw_today
from models.payment_reminders import NoticeItem, PaymentNotice
from tests.factories import make_customer
from tests.factories_payments import make_schedule, open_receivable, set_settings

pytestmark = [pytest.mark.postgres, pytest.mark.committed]
TODAY = warsaw_today()


def race(app, count: int = 2):
    """plan_run from ``count`` threads at once, each with its own session and connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                result = dunning_runs.plan_run(SYSTEM, TODAY)
                _db.session.commit()
                results[i] = len(result.notice_ids)
            except Exception as exc:  # noqa: BLE001 - the test reports what the thread met
                _db.session.rollback()
                results[i] = exc
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture
def due(db):
    set_settings(catch_up_days=0)
    make_schedule()
    for _ in range(20):
        open_receivable(make_customer(), due=TODAY - __import__("datetime").timedelta(days=3))
    db.session.commit()


def items(db) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(NoticeItem.id)))


def test_two_runs_at_once_write_each_stage_once(app, db, due):
    results = race(app)
    assert sorted(results) == [0, 20]
    assert items(db) == 20
    assert db.session.scalar(select(func.count(PaymentNotice.id))) == 20


def test_unique_pair_is_the_last_guard_without_the_lock(app, db, due, monkeypatch):
    original = dunning_selection.settings_row
    monkeypatch.setattr(dunning_runs, "settings_row", lambda lock=False: original(lock=False))
    results = race(app)
    assert 20 in results, results
    assert any(isinstance(r, Conflict) or r == 0 for r in results), results
    assert items(db) == 20
