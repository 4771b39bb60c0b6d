"""Races on real PostgreSQL connections: parallel imports and the company profile row."""

import threading

import pytest
from sqlalchemy import func, select

from backoffice.actors import SYSTEM
from backoffice.services.company import get_profile
from backoffice.services.imports import run_import
from models import CompanyProfile, PackagingUnit, Product, ProductGroup
from tests.factories_masterdata import PRODUCT_HEADERS, csv_bytes, product_rows

pytestmark = [pytest.mark.postgres, pytest.mark.committed]


def race(app, work, threads: int = 2) -> list:
    """Run ``work()`` in threads, each in its own app context (own session and connection)."""
    barrier = threading.Barrier(threads)
    results: list = []

    def run():
        with app.app_context():
            from backoffice.extensions import db

            barrier.wait()
            try:
                results.append(work())
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                db.session.rollback()
                results.append(exc)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return results


def test_parallel_imports_of_one_file_neither_fail_nor_duplicate(app, db):
    data = csv_bytes(PRODUCT_HEADERS, product_rows(300))
    results = race(app, lambda: run_import(SYSTEM, "products", "p.csv", data), threads=3)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.created for r in results) == [0, 0, 300]
    assert db.session.scalar(select(func.count(Product.id))) == 300
    assert db.session.scalar(select(func.count(ProductGroup.id))) == 2
    assert db.session.scalar(select(func.count(PackagingUnit.id))) == 600


def test_company_profile_is_created_once(app, db):
    results = race(app, lambda: get_profile().id, threads=4)
    assert results == [1, 1, 1, 1]
    assert db.session.scalar(select(func.count(CompanyProfile.id))) == 1
