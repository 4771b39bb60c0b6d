"""Benchmark: order notifications through the real outbox, queue and workers into an SMTP sink.

``python -m bench messaging [--count 20000] [--workers 2]`` with ``DATABASE_URL`` (PostgreSQL)
and ``REDIS_URL`` set. In a database of its own (created and dropped here):

1. setup (not timed): ``count`` customers, each with one order;
2. produce (timed, reported, not in the ratio): one ``placed`` event per order through
   ``services.orders.record_order_event`` → order hooks → ``order_notifications`` →
   ``messaging.notify`` (template rendering, consents, matrix) → outbox rows + dispatch jobs
   handed to Redis, committed every 100 events;
3. reference: one raw ``smtplib`` connection sending the same messages, pre-built with the
   same composer, to the same sink — measured before and after step 4, averaged;
4. ours: ``workers`` × ``flask worker mail`` processes (RQ, the dispatch job, per-message
   commits, rate limiter active at ``MAIL_RATE_PER_SECOND``) until the sink has every message.

Rates are messages per second between the first and the last message the sink accepts
(worker start-up is reported apart). ``ratio`` = ours ÷ reference; goal ≥ 0.6.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from bench._messaging_sink import Sink, raw_rate

ROOT = Path(__file__).resolve().parent.parent
RATE_LIMIT = 100_000  # far above the sink's speed: the limiter runs but never waits


def _database(server_url: str) -> tuple[str, str]:
    from backoffice.config import normalise_database_url

    url = make_url(normalise_database_url(server_url))
    if url.get_backend_name() != "postgresql":
        raise SystemExit("bench messaging needs DATABASE_URL pointing at PostgreSQL")
    name = f"bo_bench_messaging_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop(server_url: str, name: str) -> None:
    from backoffice.config import normalise_database_url

    admin = create_engine(
        make_url(normalise_database_url(server_url)), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _environment(database_url: str, sink_port: int, tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BACKOFFICE_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        MAIL_URL=f"smtp://127.0.0.1:{sink_port}",
        MAIL_FROM="Hurtownia Łódź <sklep@hurtownia.example.pl>",
        MAIL_RATE_PER_SECOND=str(RATE_LIMIT),
        STORAGE_DIR=str(tmp / "files"),
        BASE_URL="https://b2b.example.pl",
    )
    return env


def _setup(count: int) -> None:
    from backoffice.extensions import db
    from models.company import CompanyProfile
    from models.customers import Customer
    from models.orders import Order

    db.create_all()
    db.session.add(
        CompanyProfile(
            name="Hurtownia Łódź sp. z o.o.",
            city="Łódź",
            nip="7251234567",
            email="biuro@hurtownia.example.pl",
            phone="+48 42 123 45 67",
        )
    )
    now = dt.datetime.now(dt.UTC)
    for start in range(0, count, 5000):
        chunk = range(start, min(count, start + 5000))
        db.session.execute(
            insert(Customer),
            [
                {
                    "external_id": f"C{i:06d}",
                    "name": f"Przedsiębiorstwo Żółć {i} sp. z o.o.",
                    "email": f"biuro{i}@klient{i % 97}.example.pl",
                    "locale": "pl",
                }
                for i in chunk
            ],
        )
    ids = dict(db.session.execute(select(Customer.external_id, Customer.id)).all())
    for start in range(0, count, 5000):
        chunk = range(start, min(count, start + 5000))
        db.session.execute(
            insert(Order),
            [
                {
                    "external_id": f"O{i:06d}",
                    "number": f"ZAM/{i}/2026",
                    "customer_id": ids[f"C{i:06d}"],
                    "placed_at": now,
                    "total_net": "1000.00",
                    "total_vat": "230.00",
                    "total_gross": "1230.00",
                    "currency": "PLN",
                }
                for i in chunk
            ],
        )
    db.session.commit()


def _produce(count: int) -> float:
    from backoffice.actors import SYSTEM
    from backoffice.extensions import db
    from backoffice.services.orders import record_order_event

    at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    for i in range(count):
        record_order_event(SYSTEM, f"O{i:06d}", {"id": f"ev-{i}", "type": "placed", "at": at})
        if i % 100 == 99:
            db.session.commit()
    db.session.commit()
    return time.perf_counter() - started


def _prebuilt(app) -> list[tuple[str, bytes]]:
    """The outbox rows as the sender would build them, ready for the raw loop."""
    from backoffice.extensions import db
    from backoffice.services.message_sending import Outgoing, envelope_for
    from models.messaging import Message

    columns = [getattr(Message, f) for f in Outgoing.__dataclass_fields__]
    rows = db.session.execute(select(*columns).order_by(Message.id)).all()
    return [(r.recipient, envelope_for(Outgoing(*r)).data) for r in rows]


def _ours(sink: Sink, env: dict[str, str], workers: int, count: int, log_dir: Path) -> dict:
    sink.reset()
    with contextlib.ExitStack() as logs:
        spawned = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "mail"],
                cwd=ROOT,
                env=env,
                start_new_session=True,
                stdout=logs.enter_context(open(log_dir / f"worker-{n}.log", "wb")),
                stderr=subprocess.STDOUT,
            )
            for n in range(workers)
        ]
        try:
            first, last = _watch(sink, count, spawned + 600)
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=30)
    if last is None:
        raise SystemExit(
            f"only {sink.count} of {count} messages arrived in 10 minutes; see {log_dir}"
        )
    return {
        "rate": count / (last - first),
        "startup_s": first - spawned,
        "total_s": last - spawned,
        "received": sink.count,
    }


def _watch(sink: Sink, count: int, deadline: float) -> tuple[float | None, float | None]:
    """When the first and the last of ``count`` messages reached the sink."""
    first = None
    while time.perf_counter() < deadline:
        seen = sink.count
        if seen and first is None:
            first = time.perf_counter()
        if seen >= count:
            return first, time.perf_counter()
        time.sleep(0.005)
    return first, None


def _per_worker() -> dict[str, dict]:
    """Messages each worker process sent, and over how many seconds (do both work at once?)."""
    from backoffice.extensions import db
    from models.messaging import MessageAttempt

    rows = db.session.execute(
        select(
            MessageAttempt.worker,
            func.count(),
            func.min(MessageAttempt.at),
            func.max(MessageAttempt.at),
        ).group_by(MessageAttempt.worker)
    ).all()
    return {
        w: {"sent": n, "seconds": round((last - first).total_seconds(), 2)}
        for w, n, first, last in rows
    }


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench messaging")
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--sink",
        choices=("aiosmtpd", "minimal"),
        default="aiosmtpd",
        help="aiosmtpd (as in the tests) or a minimal asyncio server",
    )
    args = parser.parse_args(argv)
    server_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not server_url or not redis_url:
        raise SystemExit("set DATABASE_URL (PostgreSQL) and REDIS_URL")
    database_url, name = _database(server_url)
    sink = Sink(args.sink)
    tmp = Path(tempfile.mkdtemp(prefix="bench-messaging-"))
    try:
        env = _environment(database_url, sink.port, tmp)
        os.environ.update(env)
        from backoffice import create_app

        app = create_app()
        with app.app_context():
            _setup(args.count)
            produce_s = _produce(args.count)
            messages = _prebuilt(app)
            sender = app.config["MAIL_FROM"]
            raw_before = raw_rate(sink, messages, sender)
            ours = _ours(sink, env, args.workers, args.count, tmp)
            raw_after = raw_rate(sink, messages, sender)
            from backoffice.extensions import db
            from models.messaging import Message, MessageStatus

            sent = db.session.scalar(
                select(func.count()).where(Message.status == MessageStatus.SENT)
            )
            per_worker = _per_worker()
            db.session.remove()
            db.engine.dispose()
    finally:
        sink.stop()
        _drop(server_url, name)
    raw = (raw_before + raw_after) / 2
    result = {
        "ratio": round(ours["rate"] / raw, 3),
        "ours_per_s": round(ours["rate"], 1),
        "raw_per_s": round(raw, 1),
        "raw_before_per_s": round(raw_before, 1),
        "raw_after_per_s": round(raw_after, 1),
        "messages": args.count,
        "workers": args.workers,
        "sent_rows": sent,
        "duplicates": ours["received"] - args.count,
        "worker_startup_s": round(ours["startup_s"], 2),
        "ours_total_s": round(ours["total_s"], 2),
        "produce_per_s": round(args.count / produce_s, 1),
        "rate_limit_per_s": RATE_LIMIT,
        "sink": args.sink,
        "per_worker": per_worker,
    }
    print(f"{'notifications':<28}{args.count:>12}")
    print(f"{'produce (events → outbox)':<28}{result['produce_per_s']:>12} /s")
    print(f"{'raw smtplib (reference)':<28}{result['raw_per_s']:>12} /s")
    print(f"{'ours (queue + workers)':<28}{result['ours_per_s']:>12} /s")
    print(f"{'worker start-up':<28}{result['worker_startup_s']:>12} s")
    print(f"{'ratio (goal ≥ 0.6)':<28}{result['ratio']:>12}")
    return result
