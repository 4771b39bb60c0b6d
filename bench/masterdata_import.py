"""Benchmark: importing 10,000 products and 10,000 customers from CSV through the real service.

``python -m bench masterdata_import [ROWS]`` — against ``DATABASE_URL`` (a temporary database
is created on that PostgreSQL server and dropped afterwards; SQLite in a temp dir otherwise).

Reference, measured in the same run: a plain bulk INSERT of the same, already parsed rows.
Ours: ``run_import`` on the CSV bytes (decode, parse and check every cell, match against the
database, bulk insert/update, packaging, audit) plus the commit. Also timed: importing the
same file again (everything unchanged), a file changing every price, and 10,000 customers
with billing addresses (new, then unchanged). Goal: seconds for
10,000 rows (``ratio`` = our first import ÷ the plain INSERT).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import time
import uuid
from decimal import Decimal

from sqlalchemy import create_engine, delete, insert, text
from sqlalchemy.engine import make_url

from backoffice.config import normalise_database_url

HEADERS = ["Indeks", "Nazwa", "EAN", "Cena netto", "Stawka VAT", "Grupa", "Opakowania"]


def _ean(n: int) -> str:
    body = f"590{n:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _rows(count: int, price_shift: int = 0) -> list[list[str]]:
    return [
        [
            f"B-{n:06d}",
            f"Wiertarka udarowa Żubr {n}",
            _ean(n),
            f"{100 + n % 900 + price_shift},99",
            "23",
            f"Elektronarzędzia / Grupa {n % 40}",
            "karton:6|paleta:240",
        ]
        for n in range(count)
    ]


CUSTOMER_HEADERS = [
    "Identyfikator zewnętrzny",
    "Nazwa",
    "NIP",
    "E-mail",
    "Grupa",
    "Ulica",
    "Kod pocztowy",
    "Miasto",
]


def _nip(n: int) -> str:
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    while True:
        digits = [int(d) for d in f"{100_000_000 + n * 7:09d}"]
        check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check)
        n += 1_000_003


def _customer_rows(count: int) -> list[list[str]]:
    return [
        [
            f"K-{n:06d}",
            f"Hurtownia Świętokrzyska {n}",
            _nip(n),
            f"biuro{n}@example.com",
            f"Grupa {n % 5}",
            f"ul. Źródlana {n}",
            "25-001",
            "Kielce",
        ]
        for n in range(count)
    ]


def _csv(rows, headers=HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


class _Database:
    """A throw-away database on the configured server."""

    def __init__(self):
        self.server = os.environ.get("DATABASE_URL")
        self.tmp = tempfile.mkdtemp(prefix="bench-md-")
        self.name = None
        if self.server and self.server.startswith("postgres"):
            url = make_url(normalise_database_url(self.server))
            self.name = f"bench_md_{uuid.uuid4().hex[:8]}"
            with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.url = url.set(database=self.name).render_as_string(hide_password=False)
        else:
            self.url = f"sqlite:///{self.tmp}/bench.sqlite"

    def drop(self):
        if self.name:
            url = make_url(normalise_database_url(self.server))
            with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def _timed(func) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def main(argv: list[str]) -> dict:
    count = int(argv[0]) if argv else 10_000
    database = _Database()
    try:
        return _run(database, count)
    finally:
        database.drop()


def _run(database: _Database, count: int) -> dict:
    from backoffice import create_app
    from backoffice.extensions import db

    config = {
        "SQLALCHEMY_DATABASE_URI": database.url,
        "STORAGE_DIR": database.tmp,
        "QUEUE_MODE": "manual",
        "REDIS_URL": None,
    }
    with create_app(config).app_context():
        db.create_all()
        seconds = {"reference_insert_s": _timed(lambda: _reference_insert(count))}
        _empty_catalogue()
        first = _csv(_rows(count))
        seconds["import_new_s"] = _timed(lambda: _import("products", first))
        seconds["import_unchanged_s"] = _timed(lambda: _import("products", first))
        changed = _csv(_rows(count, price_shift=1))
        seconds["import_prices_changed_s"] = _timed(lambda: _import("products", changed))
        customers = _csv(_customer_rows(count), CUSTOMER_HEADERS)
        seconds["customers_new_s"] = _timed(lambda: _import("customers", customers))
        seconds["customers_unchanged_s"] = _timed(lambda: _import("customers", customers))
        dialect = db.engine.dialect.name
    return _report(dialect, count, seconds)


def _reference_insert(count: int) -> None:
    """The same products, already parsed, in one plain bulk INSERT."""
    from backoffice.extensions import db
    from models import Product

    plain = [
        {
            "sku": r[0],
            "name": r[1],
            "ean": r[2],
            "price_net": Decimal(r[3].replace(",", ".")),
            "vat_rate": Decimal("23"),
        }
        for r in _rows(count)
    ]
    db.session.execute(insert(Product), plain)
    db.session.commit()


def _empty_catalogue() -> None:
    from backoffice.extensions import db
    from models import AuditEntry, PackagingUnit, Product, ProductGroup

    for model in (PackagingUnit, Product, ProductGroup, AuditEntry):
        db.session.execute(delete(model))
    db.session.commit()


def _import(kind: str, data: bytes) -> None:
    """What the console and the CLI do: the service, then one commit."""
    from backoffice.actors import SYSTEM
    from backoffice.extensions import db
    from backoffice.services.imports import run_import

    run_import(SYSTEM, kind, "bench.csv", data)
    db.session.commit()


def _report(dialect: str, count: int, seconds: dict[str, float]) -> dict:
    figures = {
        "database": dialect,
        "rows": count,
        **{key: round(value, 3) for key, value in seconds.items()},
        "rows_per_s": round(count / seconds["import_new_s"]),
        "ratio": round(seconds["import_new_s"] / seconds["reference_insert_s"], 2),
    }
    print(f"{'step':<32}{'seconds':>10}")
    for key, value in seconds.items():
        print(f"{key:<32}{value:>10.3f}")
    print(
        f"{count} products on {dialect}: {figures['rows_per_s']} rows/s, "
        f"ratio {figures['ratio']} (import ÷ plain INSERT)"
    )
    return figures
