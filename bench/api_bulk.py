"""Benchmark api_bulk: 100,000 products through ``PUT /api/v1/products`` (100 × 1,000).

``python -m bench api_bulk [--rows N] [--batch N] [--client test]`` — against
``DATABASE_URL``: a scratch database is created on that PostgreSQL server (SQLite in a temp
dir otherwise) and dropped afterwards.

Ours: a real server (gunicorn, one sync worker: the production code path end to end — HTTP,
bearer token, JSON, pydantic validation, group resolution, SKU checks, the set-based upsert
with packaging, audit, commit) receives 100 bulk requests of 1,000 products, one after
another from one client; request bodies are encoded before the clock starts.
Reference, same run, same database: a plain ``INSERT … ON CONFLICT (external_id) DO UPDATE``
of the same rows (and an INSERT of their packaging rows) in 100 transactions of 1,000 into
copies of the tables, run before and after ours; the faster run counts (shared machines are
noisy, and this errs against us). ``ratio`` = ours ÷ reference (goal ≤ 3). Also timed: sending every
request again (all unchanged: nothing may be written).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backoffice.config import normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("external_id", "sku", "ean", "name", "unit", "price_net", "vat_rate", "weight_kg")


def _ean(n: int) -> str:
    body = f"590{n:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def products(count: int, first: int = 0) -> list[dict]:
    """Deterministic products: 40 groups, packaging of one or two units each."""
    rows = []
    for n in range(first, first + count):
        packaging = [{"name": "karton", "quantity": "6"}]
        if n % 3 == 0:
            packaging.append({"name": "paleta", "quantity": "240"})
        rows.append(
            {
                "external_id": f"P-{n:06d}",
                "sku": f"SKU-{n:06d}",
                "ean": _ean(n),
                "name": f"Wiertarka udarowa Żubr {n}",
                "unit": "szt.",
                "price_net": f"{100 + n % 900}.99",
                "vat_rate": "23",
                "weight_kg": "1.250",
                "group": f"Elektronarzędzia {n % 40}",
                "packaging": packaging,
            }
        )
    return rows


# --- scratch database ------------------------------------------------------------------------


class Scratch:
    """A database of its own on the configured server, dropped at the end."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="bo-bench-"))
        base = os.environ.get("DATABASE_URL")
        self.server = make_url(normalise_database_url(base)) if base else None
        self.name = None
        if self.server is not None and self.server.get_backend_name() == "postgresql":
            self.name = f"bo_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = self.server.set(database=self.name).render_as_string(hide_password=False)
        else:
            self.url = f"sqlite:///{self.tmp / 'bench.sqlite'}"

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()

    def drop(self) -> None:
        if self.name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _env(scratch: Scratch) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BACKOFFICE_ENV="production",
        DATABASE_URL=scratch.url,
        SECRET_KEY=secrets.token_hex(32),
        STORAGE_DIR=str(scratch.tmp / "files"),
        MAIL_URL=f"file://{scratch.tmp / 'outbox'}",
        SMS_URL=f"file://{scratch.tmp / 'outbox'}",
        PYTHONPATH=str(ROOT),
    )
    return env


def _prepare(scratch: Scratch) -> str:
    """Create the schema and a token in the scratch database; returns the token."""
    os.environ.update({k: v for k, v in _env(scratch).items() if k != "PYTHONPATH"})
    from backoffice import create_app
    from backoffice.actors import SYSTEM
    from backoffice.extensions import db
    from backoffice.services.api_tokens import create_token

    app = create_app()
    with app.app_context():
        db.create_all()
        _token, secret = create_token(SYSTEM, "bench", ["erp"])
        db.session.commit()
        _create_reference_tables(db.engine)
        db.engine.dispose()
    return secret


# --- the reference: plain INSERT … ON CONFLICT -------------------------------------------------


def _create_reference_tables(engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("CREATE TABLE ref_products (LIKE products INCLUDING ALL)"))
            conn.execute(text("CREATE TABLE ref_packaging (LIKE packaging_units INCLUDING ALL)"))
        else:
            for table, source in (
                ("ref_products", "products"),
                ("ref_packaging", "packaging_units"),
            ):
                ddl = conn.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": source}
                ).scalar()
                conn.execute(text(ddl.replace(source, table, 1)))


def reference(url: str, batches: list[list[dict]]) -> float:
    """Seconds for the plain upsert of every batch (one transaction each).

    The same driver and SQLAlchemy Core multi-row INSERT our code uses, with nothing else:
    no validation, no lookups, no comparison, no audit.
    """
    import datetime as dt

    from sqlalchemy import MetaData, Table
    from sqlalchemy.dialects import postgresql, sqlite

    engine = create_engine(url)
    meta = MetaData()
    products_t = Table("ref_products", meta, autoload_with=engine)
    packaging_t = Table("ref_packaging", meta, autoload_with=engine)
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(products_t)
    stmt = stmt.on_conflict_do_update(
        index_elements=[products_t.c.external_id],
        set_={c: stmt.excluded[c] for c in (*COLUMNS[1:], "updated_at")},
    ).returning(products_t.c.id, products_t.c.external_id)
    now = dt.datetime.now(dt.UTC)
    fixed = {"warranty_months": 24, "serial_tracked": False, "returnable": True,
             "active": True, "created_at": now, "updated_at": now}  # fmt: skip
    started = time.perf_counter()
    for batch in batches:
        with engine.begin() as conn:
            params = [{**{c: row[c] for c in COLUMNS}, **fixed} for row in batch]
            ids = {ext: pid for pid, ext in conn.execute(stmt, params)}
            units = [
                {
                    "product_id": ids[row["external_id"]],
                    "name": p["name"],
                    "quantity": p["quantity"],
                }
                for row in batch
                for p in row["packaging"]
            ]
            conn.execute(packaging_t.insert(), units)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


# --- ours: the HTTP endpoint ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving wsgi:app on a free loopback port (or the Flask test client)."""

    def __init__(self, scratch: Scratch, kind: str) -> None:
        self.kind = kind
        if kind == "test":
            from backoffice import create_app

            self.client = create_app().test_client()
            return
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(scratch.tmp / "gunicorn.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
             "--timeout", "600", "wsgi:app"],
            cwd=ROOT, env=_env(scratch), stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.session = requests.Session()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.session.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def put(self, body: bytes, headers: dict) -> tuple[int, bytes]:
        if self.kind == "test":
            resp = self.client.put("/api/v1/products", data=body, headers=headers)
            return resp.status_code, resp.data
        resp = self.session.put(f"{self.url}/api/v1/products", data=body, headers=headers)
        return resp.status_code, resp.content

    def stop(self) -> None:
        if self.kind != "test":
            self.proc.terminate()
            self.proc.wait(30)
            self.log.close()


def ours(server: Server, bodies: list[bytes], secret: str) -> tuple[float, dict]:
    """Seconds to send every body; the summed created/updated/unchanged counts."""
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    started = time.perf_counter()
    for body in bodies:
        status, data = server.put(body, headers)
        if status != 200:
            raise RuntimeError(f"bulk PUT answered {status}: {data[:500]!r}")
        result = json.loads(data)
        for key in totals:
            totals[key] += result[key]
    return time.perf_counter() - started, totals


def _truncate_reference(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ref_packaging"))
        conn.execute(text("DELETE FROM ref_products"))
    engine.dispose()


def _check(url: str, rows: int, packaging: int) -> None:
    engine = create_engine(url)
    with engine.connect() as conn:
        got = conn.execute(text("SELECT count(*) FROM products")).scalar()
        units = conn.execute(text("SELECT count(*) FROM packaging_units")).scalar()
    engine.dispose()
    if (got, units) != (rows, packaging):
        raise RuntimeError(f"expected {rows} products / {packaging} units, got {got} / {units}")


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench api_bulk")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--client", choices=("server", "test"), default="server")
    args = parser.parse_args(argv)
    rows = products(args.rows)
    batches = [rows[i : i + args.batch] for i in range(0, len(rows), args.batch)]
    bodies = [json.dumps(batch).encode() for batch in batches]
    packaging = sum(len(r["packaging"]) for r in rows)
    scratch = Scratch()
    server = None
    try:
        secret = _prepare(scratch)
        ref_first = reference(scratch.url, batches)
        server = Server(scratch, args.client)
        warm = products(args.batch, first=args.rows)  # other ids: imports, connection, groups
        ours(server, [json.dumps(warm).encode()], secret)
        our_s, counts = ours(server, bodies, secret)
        again_s, again = ours(server, bodies, secret)
        _truncate_reference(scratch.url)
        ref_s = min(ref_first, reference(scratch.url, batches))  # the faster of two runs
        _check(
            scratch.url, len(rows) + len(warm), packaging + sum(len(r["packaging"]) for r in warm)
        )
    finally:
        if server is not None:
            server.stop()
        scratch.drop()
    if again["unchanged"] != len(rows):
        raise RuntimeError(f"identical bodies changed rows: {again}")
    result = {
        "ratio": round(our_s / ref_s, 2),
        "ours_s": round(our_s, 2),
        "reference_s": round(ref_s, 2),
        "unchanged_again_s": round(again_s, 2),
        "rows": len(rows),
        "requests": len(bodies),
        "packaging_rows": packaging,
        "rows_per_s": round(len(rows) / our_s),
        "database": make_url(scratch.url).get_backend_name(),
        "client": args.client,
        "created": counts["created"],
        "updated": counts["updated"],
    }
    print(f"{'':34}{'seconds':>10}")
    print(f"{'plain INSERT … ON CONFLICT':34}{ref_s:>10.2f}")
    print(f"{'PUT /api/v1/products (new)':34}{our_s:>10.2f}   ratio {result['ratio']} (goal ≤ 3)")
    print(f"{'PUT /api/v1/products (unchanged)':34}{again_s:>10.2f}")
    return result
