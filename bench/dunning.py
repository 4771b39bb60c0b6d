"""Benchmark: the daily payment-reminder run over 1,000,000 open receivables.

``python -m bench dunning [--receivables N] [--customers M] [--no-delivery]`` with
``DATABASE_URL`` pointing at PostgreSQL (a database is created there and dropped afterwards).

Setup (not timed): M customers (each with an e-mail address), N open receivables with due
dates spread evenly from 90 days ago to 30 days ahead, three of a customer's on the same day
(so notices group several documents), one in ten partly paid, the default
schedule (-7, -1, +3, +14, +30), 1 % of the customers excluded; the runs of the three days
before (catch-up 3 days) are planned first, so the register holds what a steady state holds;
VACUUM ANALYZE.

1. reference: one hand-written SQL query selecting the same due set — open receivables whose
   customer takes part, at a stage today (the same due-date ranges from the calendar, as a
   VALUES list, index-friendly range filter), not yet noticed — fetched completely; the best
   of ``REPEATS`` runs;
2. ours (``ratio``): ``dunning_runs.plan_run`` as the daily job calls it — the set-based
   selection, one notice per customer and stage (holds, minimum amounts) and their items
   written by one INSERT … SELECT with the due set and the notices as CTEs, one delivery job
   per 500 notices deferred — the best of ``REPEATS`` runs like the reference (these machines
   are shared and noisy): the last run committed, the ones before it rolled back after
   writing everything (they pay for the dead rows they leave behind, the last for its commit);
3. delivery (reported, not in the ratio): the deferred jobs' work, ``tasks.payment_reminders.
   deliver_notices`` (batches of 50 committed) in this one process — statements rendered where
   the stage attaches them, templates rendered per customer, ``messaging.notify`` writing
   the message-register rows — for the first ``--deliver`` notices (default 3,000: PDF
   statements cost ~0.5 s each, so all of them would take hours on one core; workers scale
   it out). Reported as notices per second, with and without statements.

The due sets of 1. and 2. are compared (receivable, stage) by (receivable, stage).
Goal: ``ratio`` = ours ÷ reference ≤ 3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backoffice.config import normalise_database_url

REPEATS = 3

REFERENCE_SQL = """
SELECT r.id, st.stage_id, r.customer_id, r.document_number, r.issued_at, r.due_date,
       r.currency, r.amount, r.paid_amount
FROM receivables r
JOIN customers c ON c.id = r.customer_id
LEFT JOIN payment_schedules own ON own.customer_id = c.id AND own.active
LEFT JOIN payment_schedules grp ON grp.customer_group_id = c.group_id AND grp.active
LEFT JOIN payment_schedules dflt ON dflt.is_default AND dflt.active
JOIN (VALUES {values}) AS st(schedule_id, stage_id, first_due, last_due)
  ON st.schedule_id = COALESCE(own.id, grp.id, dflt.id)
 AND r.due_date BETWEEN st.first_due AND st.last_due
WHERE r.is_open AND r.amount > r.paid_amount AND ({ranges})
  AND NOT EXISTS (SELECT 1 FROM payment_reminder_selections x
                  WHERE x.customer_id = r.customer_id AND x.kind = 'excluded')
  AND NOT EXISTS (SELECT 1 FROM payment_notice_items i
                  WHERE i.receivable_id = r.id AND i.stage_id = st.stage_id)
"""


class _Database:
    """A throw-away PostgreSQL database on the configured server."""

    def __init__(self):
        self.server = os.environ.get("DATABASE_URL") or ""
        if not self.server.startswith("postgres"):
            raise SystemExit("bench dunning needs DATABASE_URL pointing at PostgreSQL")
        url = make_url(normalise_database_url(self.server))
        self.name = f"bench_dunning_{uuid.uuid4().hex[:8]}"
        with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = url.set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        url = make_url(normalise_database_url(self.server))
        with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def _app(database_url: str):
    from backoffice import create_app

    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 40)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "QUEUE_MODE": "manual",
            "REDIS_URL": None,
            "STORAGE_DIR": tempfile.mkdtemp(prefix="bench-dunning-"),
            "MAIL_URL": "file://" + tempfile.mkdtemp(prefix="bench-dunning-mail-"),
        }
    )


def _setup(db, customers: int, receivables: int, today: dt.date) -> None:
    """Customers, receivables, the default schedule and exclusions, in set-based SQL."""
    from backoffice.actors import SYSTEM
    from backoffice.services.dunning_runs import plan_run
    from backoffice.services.payment_reminders import ensure_default_schedule

    db.create_all()
    conn = db.session.connection()
    conn.execute(
        text(
            "INSERT INTO customers (external_id, name, email, locale, active, created_at, "
            "updated_at) SELECT 'K' || n, 'Przedsiębiorstwo Łódź ' || n || ' sp. z o.o.', "
            "'biuro' || n || '@klient.example.pl', 'pl', true, now(), now() "
            "FROM generate_series(1, :m) AS n"
        ),
        {"m": customers},
    )
    conn.execute(
        text(
            "INSERT INTO receivables (external_id, customer_id, document_number, issued_at, "
            "due_date, amount, currency, paid_amount, reported_paid_amount, is_open, "
            "created_at, updated_at) "
            "SELECT 'R' || n, 1 + n % :m, 'FV/' || n || '/2026', "
            ":today - 120 + n % 120, :today - 90 + ((n % :m) * 31 + (n / :m / 3) * 9) % 121, "
            "100 + n % 9000, 'PLN', "
            "CASE WHEN n % 10 = 0 THEN 50 ELSE 0 END, "
            "CASE WHEN n % 10 = 0 THEN 50 ELSE 0 END, true, now(), now() "
            "FROM generate_series(1, :n) AS n"
        ),
        {"m": customers, "n": receivables, "today": today},
    )
    conn.execute(
        text(
            "INSERT INTO payment_reminder_selections (customer_id, kind, created_at) "
            "SELECT id, 'excluded', now() FROM customers WHERE id % 100 = 0"
        )
    )
    ensure_default_schedule(SYSTEM)
    db.session.commit()
    for back in (3, 2, 1):  # steady state: the last days' runs are in the register
        plan_run(SYSTEM, today - dt.timedelta(days=back), automatic=True)
        db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as raw:
        raw.execute(text("VACUUM ANALYZE"))


def _reference(db, today: dt.date, catch_up: int) -> tuple[float, set]:
    from backoffice.services.dunning_selection import stage_clauses

    clauses = stage_clauses(today, catch_up)
    values = ", ".join(
        f"({c.schedule_id}, {c.stage_id}, DATE '{c.first}', DATE '{c.last}')" for c in clauses
    )
    ranges = " OR ".join(
        f"r.due_date BETWEEN DATE '{c.first}' AND DATE '{c.last}'" for c in clauses
    )
    sql = text(REFERENCE_SQL.format(values=values, ranges=ranges))
    best, rows = float("inf"), []
    for _ in range(REPEATS):
        db.session.rollback()
        start = time.perf_counter()
        rows = db.session.execute(sql).all()
        best = min(best, time.perf_counter() - start)
    db.session.rollback()
    return best, {(r[0], r[1]) for r in rows}


def _ours(db, today: dt.date) -> tuple[float, list[int], set]:
    from sqlalchemy import select

    from backoffice.actors import SYSTEM
    from backoffice.services.dunning_runs import plan_run
    from models.payment_reminders import NoticeItem, PaymentNotice

    best = float("inf")
    for attempt in range(REPEATS):
        db.session.rollback()
        start = time.perf_counter()
        result = plan_run(SYSTEM, today, automatic=True)
        if attempt < REPEATS - 1:
            db.session.flush()
            best = min(best, time.perf_counter() - start)
            db.session.rollback()
        else:
            db.session.commit()
            best = min(best, time.perf_counter() - start)
    seconds = best
    pairs = set(
        db.session.execute(
            select(NoticeItem.receivable_id, NoticeItem.stage_id)
            .join(PaymentNotice, PaymentNotice.id == NoticeItem.notice_id)
            .where(PaymentNotice.run_id == result.run.id)
        ).all()
    )
    return seconds, result.notice_ids, pairs


def _deliver(db, notice_ids: list[int]) -> float:
    from tasks.payment_reminders import deliver_notices

    start = time.perf_counter()
    for i in range(0, len(notice_ids), 50):
        deliver_notices(notice_ids[i : i + 50])
    return time.perf_counter() - start


def _split_by_attachments(db, notice_ids: list[int], count: int) -> tuple[list[int], list[int]]:
    """(plain notices, notices with statements) among the first ones, ``count`` in all."""
    from sqlalchemy import select

    from models.payment_reminders import PaymentNotice, PaymentStage

    rows = db.session.execute(
        select(PaymentNotice.id, PaymentStage.attach_pdf)
        .join(PaymentStage, PaymentStage.id == PaymentNotice.stage_id)
        .where(PaymentNotice.id.in_(notice_ids[:200_000]))
        .order_by(PaymentNotice.id)
    ).all()
    with_files = [i for i, pdf in rows if pdf][: max(count // 20, 1)]
    plain = [i for i, pdf in rows if not pdf][: count - len(with_files)]
    return plain, with_files


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench dunning")
    parser.add_argument("--receivables", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--deliver", type=int, default=3000)
    args = parser.parse_args(argv)
    database = _Database()
    try:
        return _run(database.url, args)
    finally:
        database.drop()


def _run(database_url: str, args) -> dict:
    from sqlalchemy import func, select

    from backoffice.extensions import db
    from backoffice.services.dunning_calendar import warsaw_today
    from models.messaging import Message

    app = _app(database_url)
    today = warsaw_today()
    with app.app_context():
        start = time.perf_counter()
        _setup(db, args.customers, args.receivables, today)
        setup_s = time.perf_counter() - start
        ref_s, ref_pairs = _reference(db, today, catch_up=3)
        ours_s, notice_ids, our_pairs = _ours(db, today)
        if ref_pairs != our_pairs:
            raise SystemExit(f"due sets differ: {len(ref_pairs)} vs {len(our_pairs)}")
        figures = {
            "receivables": args.receivables,
            "customers": args.customers,
            "due_receivables": len(our_pairs),
            "notices": len(notice_ids),
            "setup_s": round(setup_s, 1),
            "reference_s": round(ref_s, 3),
            "ours_s": round(ours_s, 3),
            "ratio": round(ours_s / ref_s, 2),
        }
        if args.deliver:
            plain, with_files = _split_by_attachments(db, notice_ids, args.deliver)
            plain_s = _deliver(db, plain)
            files_s = _deliver(db, with_files) if with_files else 0.0
            figures.update(
                delivered=len(plain) + len(with_files),
                messages=db.session.scalar(select(func.count(Message.id))),
                notices_per_s=round(len(plain) / plain_s, 1),
                notices_with_statements_per_s=round(len(with_files) / files_s, 2)
                if files_s
                else None,
            )
        db.session.remove()
        db.engine.dispose()
    print(f"{'figure':<22} value")
    for key, value in figures.items():
        print(f"{key:<22} {value}")
    return figures
