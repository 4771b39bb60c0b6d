"""Benchmark returns: what a customer can still return, for a customer with a large history.

``python -m bench returns [--notes N] [--lines N] [--returns N]`` — against ``DATABASE_URL``
(a scratch database is created on that PostgreSQL server and dropped afterwards; SQLite in a
temp dir otherwise).

Data: one customer with N delivery notes (default 3,000) of L lines (default 8; every tenth
product serial-tracked with its serial numbers), and R returns (default 1,500, two lines
each, some rejected or cancelled) holding part of the quantities.

Ours: every page of ``GET /api/v1/customers/<id>/returnable-lines?per_page=200`` through the
real app (bearer token, window, row locks not involved, returnable quantities and serials,
pydantic serialisation to JSON), in process with Flask's test client.
Reference, same run, same database: one hand-written SQL statement per page (notes in the
window, lines, products, the active-return sums) plus one for the returned serials, rows
turned into the same JSON — the least work that answers the same question.
``ratio`` = ours ÷ reference (goal ≤ 3), each the best of three turns. Also timed: filing
300 returns one by one through ``file_return`` (lock, checks, number, history, audit,
notices), reported as returns/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from backoffice.config import normalise_database_url

PER_PAGE = 200


class Scratch:
    """A database of its own on the configured server (dropped afterwards), else SQLite."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="bo-bench-returns-"))
        base = os.environ.get("DATABASE_URL")
        server = make_url(normalise_database_url(base)) if base else None
        self.admin, self.name = None, None
        if server is not None and server.get_backend_name() == "postgresql":
            self.name = f"bo_bench_returns_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            self.admin = create_engine(server, isolation_level="AUTOCOMMIT")
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.url = server.set(database=self.name).render_as_string(hide_password=False)
        else:
            self.url = f"sqlite:///{self.tmp / 'bench.sqlite'}"

    def drop(self) -> None:
        if self.admin is not None:
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


def _app(scratch: Scratch):
    os.environ.update(
        BACKOFFICE_ENV="production",
        DATABASE_URL=scratch.url,
        SECRET_KEY=secrets.token_hex(32),
        STORAGE_DIR=str(scratch.tmp / "files"),
        MAIL_URL=f"file://{scratch.tmp / 'outbox'}",
        SMS_URL=f"file://{scratch.tmp / 'outbox'}",
    )
    os.environ.pop("REDIS_URL", None)
    from backoffice import create_app

    return create_app({"QUEUE_MODE": "manual", "RATELIMIT_ENABLED": False})


# --- data ----------------------------------------------------------------------------------


def seed(conn, notes: int, lines: int, returns: int) -> dict:
    """Bulk-insert the customer's history with Core; returns ids the benchmark needs."""
    from models import Customer

    now = dt.datetime.now(dt.UTC)
    customer_id = conn.execute(
        insert(Customer)
        .values(external_id="K-BENCH", name="Hurtownia Źródło", created_at=now, updated_at=now)
        .returning(Customer.id)
    ).scalar_one()
    product_ids, tracked, reason, condition = _seed_catalogue(conn, now)
    note_ids, plain = _seed_notes(conn, now, customer_id, product_ids, tracked, notes, lines)
    _seed_returns(conn, now, customer_id, plain, reason, condition, returns)
    return {
        "customer_id": customer_id,
        "note_ids": note_ids,
        "reason": reason,
        "condition": condition,
    }


def _seed_catalogue(conn, now):
    from models import Product
    from models.returns import ReturnCondition, ReturnReason

    products = [
        {
            "external_id": f"P{n}",
            "sku": f"SKU-{n:05d}",
            "name": f"Wiertarka Łoś {n}",
            "serial_tracked": n % 10 == 0,
            "returnable": n % 50 != 1,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(500)
    ]
    ids = [
        r[0]
        for r in conn.execute(
            insert(Product).returning(Product.id, sort_by_parameter_order=True), products
        )
    ]
    tracked = {pid for pid, p in zip(ids, products, strict=True) if p["serial_tracked"]}
    reason = conn.execute(
        insert(ReturnReason).values(code="defect", name="Wada").returning(ReturnReason.id)
    ).scalar_one()
    condition = conn.execute(
        insert(ReturnCondition)
        .values(code="opened", name="Rozpakowany")
        .returning(ReturnCondition.id)
    ).scalar_one()
    return ids, tracked, reason, condition


def _seed_notes(conn, now, customer_id, product_ids, tracked, notes, lines):
    from models import DeliveredSerial, DeliveryNote, DeliveryNoteLine

    note_rows = [
        {
            "external_id": f"WZ{n}",
            "number": f"WZ/{n}/2026",
            "customer_id": customer_id,
            "issued_at": now - dt.timedelta(hours=2 * n + 1),
            "created_at": now,
            "updated_at": now,
        }
        for n in range(notes)
    ]
    note_ids = [
        r[0]
        for r in conn.execute(
            insert(DeliveryNote).returning(DeliveryNote.id, sort_by_parameter_order=True), note_rows
        )
    ]
    line_rows = [
        {
            "delivery_note_id": nid,
            "line_no": i + 1,
            "product_id": product_ids[(k * lines + i) % len(product_ids)],
            "quantity": Decimal(4),
        }
        for k, nid in enumerate(note_ids)
        for i in range(lines)
    ]
    conn.execute(insert(DeliveryNoteLine), line_rows)
    all_lines = conn.execute(
        select(DeliveryNoteLine.id, DeliveryNoteLine.product_id, DeliveryNoteLine.delivery_note_id)
    ).all()
    serials = [
        {"line_id": lid, "serial": f"SN{lid}-{s}"}
        for lid, pid, _nid in all_lines
        if pid in tracked
        for s in range(4)
    ]
    if serials:
        conn.execute(insert(DeliveredSerial), serials)
    return note_ids, [row for row in all_lines if row[1] not in tracked]


def _seed_returns(conn, now, customer_id, plain, reason, condition, returns):
    from models.returns import ReturnLine, ReturnRequest

    statuses = ("submitted", "accepted", "received", "rejected", "closed", "cancelled")
    for r in range(returns):
        first, second = plain[(2 * r) % len(plain)], plain[(2 * r + 1) % len(plain)]
        rid = conn.execute(
            insert(ReturnRequest)
            .values(
                number=f"RMA/BENCH/{r:06d}",
                customer_id=customer_id,
                delivery_note_id=first[2],
                status=statuses[r % len(statuses)],
                filed_by_label="bench",
                created_at=now,
                updated_at=now,
            )
            .returning(ReturnRequest.id)
        ).scalar_one()
        common = {"return_id": rid, "reason_id": reason, "condition_id": condition}
        conn.execute(
            insert(ReturnLine),
            [
                {
                    **common,
                    "line_no": 1,
                    "delivery_note_line_id": first[0],
                    "product_id": first[1],
                    "quantity": Decimal(1),
                    "decision": "accepted" if r % 7 else "rejected",
                },
                {
                    **common,
                    "line_no": 2,
                    "delivery_note_line_id": second[0],
                    "product_id": second[1],
                    "quantity": Decimal(2),
                    "decision": "pending",
                },
            ],
        )


# --- the reference --------------------------------------------------------------------------

REFERENCE_LINES = """
SELECT n.external_id, n.number, n.issued_at, l.id, l.line_no, p.external_id, p.sku, p.name,
       p.unit, l.quantity, COALESCE(h.held, 0), p.returnable, p.serial_tracked
FROM (SELECT id, external_id, number, issued_at FROM delivery_notes
      WHERE customer_id = :customer AND issued_at >= :since
      ORDER BY issued_at DESC, id DESC LIMIT :limit OFFSET :offset) n
JOIN delivery_note_lines l ON l.delivery_note_id = n.id
JOIN products p ON p.id = l.product_id
LEFT JOIN (SELECT rl.delivery_note_line_id AS line_id, SUM(rl.quantity) AS held
           FROM return_lines rl JOIN return_requests rr ON rr.id = rl.return_id
           WHERE rl.decision <> 'rejected' AND rr.status NOT IN ('rejected', 'cancelled')
           GROUP BY rl.delivery_note_line_id) h ON h.line_id = l.id
ORDER BY n.issued_at DESC, n.id DESC, l.line_no
"""
REFERENCE_SERIALS = """
SELECT s.line_id, s.serial FROM delivered_serials s
WHERE s.line_id IN :ids AND s.serial NOT IN (
  SELECT rl.serial_number FROM return_lines rl JOIN return_requests rr ON rr.id = rl.return_id
  WHERE rl.delivery_note_line_id = s.line_id AND rl.serial_number IS NOT NULL
    AND rl.decision <> 'rejected' AND rr.status NOT IN ('rejected', 'cancelled'))
ORDER BY s.id
"""


def reference(engine, customer_id: int, pages: int) -> tuple[float, int]:
    """Seconds and lines for every page by hand-written SQL, serialised to JSON."""
    from sqlalchemy import bindparam

    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=366)
    serial_sql = text(REFERENCE_SERIALS).bindparams(bindparam("ids", expanding=True))
    started, count = time.perf_counter(), 0
    with engine.connect() as conn:
        for page in range(pages):
            rows = conn.execute(
                text(REFERENCE_LINES),
                {
                    "customer": customer_id,
                    "since": since,
                    "limit": PER_PAGE,
                    "offset": page * PER_PAGE,
                },
            ).all()
            tracked = [r[3] for r in rows if r[12]]
            serials: dict[int, list[str]] = {}
            if tracked:
                for line_id, serial in conn.execute(serial_sql, {"ids": tracked}):
                    serials.setdefault(line_id, []).append(serial)
            items = [
                {
                    "delivery_note_external_id": r[0],
                    "delivery_note_number": r[1],
                    "issued_at": r[2].isoformat() if hasattr(r[2], "isoformat") else r[2],
                    "line_no": r[4],
                    "product_external_id": r[5],
                    "sku": r[6],
                    "product_name": r[7],
                    "unit": r[8],
                    "delivered": str(r[9]),
                    "in_returns": str(r[10]),
                    "returnable": str(max(Decimal(r[9]) - Decimal(r[10]), 0) if r[11] else 0),
                    "serial_numbers": serials.get(r[3], []),
                }
                for r in rows
            ]
            json.dumps({"items": items}, ensure_ascii=False)
            count += len(items)
    return time.perf_counter() - started, count


def ours(client, token: str, pages: int) -> tuple[float, int]:
    """Seconds and lines for every page of the API (only_returnable=false: the same rows)."""
    started, count = time.perf_counter(), 0
    for page in range(1, pages + 1):
        resp = client.get(
            "/api/v1/customers/K-BENCH/returnable-lines",
            query_string={"per_page": PER_PAGE, "page": page, "only_returnable": "false"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
        count += resp.data.count(b'"line_no":')  # the client's parsing is not ours to time
    return time.perf_counter() - started, count


def filing_rate(app, ids: dict, count: int) -> float:
    """Returns filed per second through ``file_return`` (one transaction each)."""
    from backoffice.actors import Actor
    from backoffice.extensions import db
    from backoffice.services.returns import LineRequest, ReturnDraft, file_return
    from models import Customer, DeliveryNote

    actor = Actor("staff", None, "bench")
    started = time.perf_counter()
    with app.app_context():
        customer = db.session.get(Customer, ids["customer_id"])
        for k in range(count):
            note = db.session.get(DeliveryNote, ids["note_ids"][-1 - k])
            line = next(
                ln for ln in note.lines if ln.product.returnable and not ln.product.serial_tracked
            )
            draft = ReturnDraft(
                lines=[LineRequest(line.id, Decimal(1), (), ids["reason"], ids["condition"])]
            )
            file_return(actor, customer, note, draft, channel="staff")
            db.session.commit()
        db.session.remove()
    return count / (time.perf_counter() - started)


def _prepare(app, args) -> tuple[dict, str, float]:
    """Schema, the customer's history and a shop token; (ids, token, seconds to seed)."""
    from backoffice.actors import SYSTEM
    from backoffice.extensions import db
    from backoffice.services.api_tokens import create_token

    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        with db.engine.begin() as conn:
            ids = seed(conn, args.notes, args.lines, args.returns)
        seeded = time.perf_counter() - started
        _token, secret = create_token(SYSTEM, "bench", ["shop"])
        db.session.commit()
        ids["engine"] = db.engine
    return ids, secret, seeded


#: Turns of ours and the reference; each side's best counts (these machines are shared and
#: a slow second hits whichever side runs in it).
TURNS = 3


def _measure(app, ids: dict, secret: str, pages: int) -> dict:
    """Ours and the reference in turns; the best time of each counts."""
    # Requests run outside any app context, as in production: each gets its own session.
    client = app.test_client()
    ours(client, secret, 1)  # warm-up: imports, caches
    reference(ids["engine"], ids["customer_id"], 1)
    best_ours = best_ref = float("inf")
    for _ in range(TURNS):
        ref_s, ref_lines = reference(ids["engine"], ids["customer_id"], pages)
        our_s, our_lines = ours(client, secret, pages)
        assert our_lines == ref_lines, (our_lines, ref_lines)
        best_ours, best_ref = min(best_ours, our_s), min(best_ref, ref_s)
    return {"ours_s": best_ours, "reference_s": best_ref, "lines": our_lines}


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench returns")
    parser.add_argument("--notes", type=int, default=3000)
    parser.add_argument("--lines", type=int, default=8)
    parser.add_argument("--returns", type=int, default=1500)
    parser.add_argument("--filings", type=int, default=300)
    args = parser.parse_args(argv)
    scratch = Scratch()
    pages = -(-args.notes // PER_PAGE)
    try:
        app = _app(scratch)
        ids, secret, seeded = _prepare(app, args)
        got = _measure(app, ids, secret, pages)
        rate = filing_rate(app, ids, args.filings)
        dialect = make_url(scratch.url).get_backend_name()
    finally:
        scratch.drop()
    ratio = got["ours_s"] / got["reference_s"]
    print(f"database           {dialect}")
    print(f"history            {args.notes} notes × {args.lines} lines, {args.returns} returns")
    print(f"seeded in          {seeded:8.1f} s")
    print(f"returnable lines   {got['lines']} in {pages} pages of {PER_PAGE} notes")
    print(f"ours (API)         {got['ours_s']:8.3f} s")
    print(f"reference (SQL)    {got['reference_s']:8.3f} s")
    print(f"ratio              {ratio:8.2f}   (goal ≤ 3)")
    print(f"filing             {rate:8.1f} returns/s through file_return")
    return {
        "ratio": round(ratio, 3),
        "ours_s": round(got["ours_s"], 3),
        "reference_s": round(got["reference_s"], 3),
        "lines": got["lines"],
        "pages": pages,
        "filings_per_s": round(rate, 1),
        "database": dialect,
    }
