"""Benchmark: a newsletter campaign with personalisation and unique discount codes, sent by
real workers into an SMTP sink, against a raw smtplib loop of the same pre-built messages.

``python -m bench newsletter [--count 50000] [--workers 2] [--raw 10000]`` with
``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` set. In a database of its own (created and
dropped here):

1. setup (not timed): our company, six new products, ``count`` list members with marketing
   consent, a loyalty batch of ``count`` discount codes, and the same for a campaign a tenth
   the size (to show the cost is linear);
2. prepare (timed): ``send_now`` and the ``prepare_campaign`` job — audience with every rule,
   one recipient row each, a distinct code per recipient through the loyalty register;
3. reference: one raw ``smtplib`` connection sending ``--raw`` of the campaign's messages,
   pre-built by the same builder, to the same sink — before and after step 4, averaged;
4. ours: ``workers`` × ``flask worker mail`` (RQ, claim → re-check consents → render →
   build → SMTP → per-message outcome, the mail server's rate limiter active) sending the
   small campaign, then the big one, until the sink has every message.

Rates are messages per second between the first and the last message the sink accepts.
``ratio`` = ours (big campaign) ÷ reference (goal ≥ 0.6); ``growth`` = time per message of
the big campaign ÷ that of the small one, preparation included (linear: ≈ 1).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select

from bench._messaging_sink import Sink, raw_rate
from bench.messaging import _database, _drop, _environment

ROOT = Path(__file__).resolve().parent.parent


def _members(newsletter_list, count: int, prefix: str) -> None:
    from backoffice.extensions import db
    from models.base import utcnow
    from models.consents import Consent, ConsentChange, ConsentSource
    from models.messaging import Channel, Purpose
    from models.newsletters import ListMember, MemberStatus

    now = utcnow()
    for start in range(0, count, 10_000):
        emails = [
            f"{prefix}{i:06d}@klient{i % 97}.example.pl"
            for i in range(start, min(count, start + 10_000))
        ]
        db.session.execute(
            insert(ListMember),
            [
                {
                    "list_id": newsletter_list.id,
                    "email": e,
                    "name": f"Zażółć Gęślą {i}",
                    "company": f"Hurtownia Jaźń {i} sp. z o.o.",
                    "status": MemberStatus.SUBSCRIBED,
                    "source": "import",
                    "created_at": now,
                }
                for i, e in enumerate(emails, start)
            ],
        )
        ids = db.session.scalars(
            insert(Consent).returning(Consent.id),
            [
                {
                    "address": e,
                    "channel": Channel.EMAIL,
                    "purpose": Purpose.MARKETING,
                    "granted": True,
                    "updated_at": now,
                }
                for e in emails
            ],
        ).all()
        db.session.execute(
            insert(ConsentChange),
            [
                {
                    "consent_id": i,
                    "granted": True,
                    "at": now,
                    "source": ConsentSource.IMPORT,
                    "actor_kind": "system",
                    "actor_label": "bench",
                }
                for i in ids
            ],
        )
        db.session.commit()


def _campaign(name: str, count: int, prefix: str):
    """A list of ``count`` consenting members and a draft with personalisation and codes."""
    from backoffice.actors import SYSTEM
    from backoffice.extensions import db
    from backoffice.services.discount_codes import BatchSpec, create_batch
    from backoffice.services.newsletter_blocks import clean_blocks
    from models.newsletters import Campaign, NewsletterList
    from tasks.discount_codes import generate_codes

    newsletter_list = NewsletterList(name=f"Lista {name}", public=True)
    db.session.add(newsletter_list)
    batch = create_batch(
        SYSTEM, BatchSpec(name=f"Kody {name}", count=count, kind="percent", value=Decimal("10"))
    )
    db.session.commit()
    generate_codes(batch.id)
    _members(newsletter_list, count, prefix)
    blocks = clean_blocks(
        [
            {
                "type": "text",
                "title": "Wiosenne nowości w hurtowni",
                "html": "<p>Dzień dobry {{ recipient.first_name }},</p><p>dla firmy "
                "<strong>{{ recipient.company }}</strong> mamy nowości i rabat. "
                "<a href='https://sklep.example.pl/promocje?utm_source=nl'>Zobacz promocje</a>"
                ".</p>",
                "button_label": "Przejdź do sklepu",
                "button_url": "https://sklep.example.pl/",
            },
            {"type": "products", "title": "Nowości", "mode": "new", "days": 30, "limit": 6},
            {
                "type": "code",
                "title": "Twój kod rabatowy",
                "text": "Tylko dla Ciebie:",
                "mode": "unique",
                "batch_id": batch.id,
            },
        ]
    )
    campaign = Campaign(
        name=name,
        subject="{{ recipient.first_name }}, nowości i rabat dla {{ recipient.company }}",
        list_id=newsletter_list.id,
        blocks=blocks,
        created_by="bench",
    )
    db.session.add(campaign)
    db.session.commit()
    return campaign.id


def _setup(count: int) -> tuple[int, int]:
    from backoffice.extensions import db
    from models.company import CompanyProfile
    from models.products import Product

    db.create_all()
    db.session.add(
        CompanyProfile(
            id=1,
            name="Hurtownia Łódź sp. z o.o.",
            street="ul. Piotrkowska 1",
            postal_code="90-001",
            city="Łódź",
            nip="7251234567",
            email="biuro@hurtownia.example.pl",
            phone="+48 42 123 45 67",
        )
    )
    for i in range(6):
        db.session.add(
            Product(
                sku=f"NOW-{i}",
                name=f"Wiertarka udarowa Żubr {i}",
                price_net=Decimal("349.90") + i,
                image_url=f"https://img.example.pl/now-{i}.jpg",
            )
        )
    db.session.commit()
    small = _campaign("mała", max(100, count // 10), "m")
    big = _campaign("duża", count, "d")
    return small, big


def _prepare(campaign_id: int) -> float:
    """``send_now`` and the preparation job, timed."""
    from backoffice.actors import SYSTEM
    from backoffice.extensions import db
    from backoffice.services import newsletters
    from backoffice.services.newsletter_preparing import prepare_campaign
    from models.newsletters import Campaign

    started = time.perf_counter()
    newsletters.send_now(SYSTEM, db.session.get(Campaign, campaign_id))
    db.session.commit()
    prepare_campaign(campaign_id, SYSTEM)
    return time.perf_counter() - started


def _hand_over(app) -> None:
    from backoffice.extensions import db
    from backoffice.queue import RedisRunner
    from models.jobs import Job, JobStatus

    pending = db.session.execute(
        select(Job.id, Job.queue, Job.timeout).where(
            Job.status == JobStatus.PENDING, Job.queue == "mail"
        )
    ).all()
    db.session.commit()
    RedisRunner(app).submit([tuple(r) for r in pending])


def _prebuilt(campaign_id: int, limit: int) -> list[tuple[str, bytes]]:
    """Messages of the campaign as the workers build them, for the raw loop."""
    from backoffice.extensions import db
    from backoffice.services.newsletter_mime import Builder
    from backoffice.services.newsletter_preparing import compiled_for
    from backoffice.services.newsletter_rows import Claimed
    from models.newsletters import Campaign, CampaignRecipient

    campaign = db.session.get(Campaign, campaign_id)
    builder = Builder(campaign, *compiled_for(campaign))
    columns = [getattr(CampaignRecipient, f) for f in Claimed.__dataclass_fields__]
    rows = db.session.execute(
        select(*columns)
        .where(CampaignRecipient.campaign_id == campaign_id)
        .order_by(CampaignRecipient.id)
        .limit(limit)
    ).all()
    return [(r.email, builder.build(Claimed(*r))) for r in rows]


def _wait(sink: Sink, count: int, timeout: float = 900) -> dict:
    """First, middle and last arrival of ``count`` messages at the sink."""
    sink.reset()
    started = time.perf_counter()
    first = middle = None
    while time.perf_counter() - started < timeout:
        seen = sink.count
        now = time.perf_counter()
        if seen and first is None:
            first = now
        if seen >= count // 2 and middle is None:
            middle = now
        if seen >= count:
            return {"first": first, "middle": middle, "last": now, "received": seen}
        time.sleep(0.005)
    raise SystemExit(f"only {sink.count} of {count} messages arrived in {timeout} s")


def _spawn(env: dict, workers: int, log_dir: Path) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "mail"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=open(log_dir / f"worker-{n}.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        for n in range(workers)
    ]


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=30)


def _send(app, sink: Sink, campaign_id: int, count: int) -> dict:
    _hand_over(app)
    timing = _wait(sink, count)
    span = timing["last"] - timing["first"]
    return {
        "rate": count / span if span else 0.0,
        "first_half_rate": (count // 2) / max(1e-9, timing["middle"] - timing["first"]),
        "second_half_rate": (count - count // 2) / max(1e-9, timing["last"] - timing["middle"]),
        "received": timing["received"],
        "seconds": span,
    }


def _run(app, env, sink, tmp, args, small_id, big_id, small_count) -> dict:
    sender = app.config["MAIL_FROM"]
    result = {"prepare_small_s": _prepare(small_id)}
    messages = _prebuilt(small_id, args.raw)
    raw_before = raw_rate(sink, messages, sender)
    procs = _spawn(env, args.workers, tmp)
    try:
        small = _send(app, sink, small_id, small_count)
        result["prepare_big_s"] = _prepare(big_id)
        big = _send(app, sink, big_id, args.count)
    finally:
        _stop(procs)
    messages = _prebuilt(big_id, args.raw)
    raw_after = raw_rate(sink, messages, sender)
    result.update(small=small, big=big, raw_before=raw_before, raw_after=raw_after)
    return result


def _summary(args, run: dict, small_count: int, sent_rows: int) -> dict:
    raw = (run["raw_before"] + run["raw_after"]) / 2
    big, small = run["big"], run["small"]
    per_big = (run["prepare_big_s"] + big["seconds"]) / args.count
    per_small = (run["prepare_small_s"] + small["seconds"]) / small_count
    return {
        "ratio": round(big["rate"] / raw, 3),
        "ours_per_s": round(big["rate"], 1),
        "raw_per_s": round(raw, 1),
        "raw_before_per_s": round(run["raw_before"], 1),
        "raw_after_per_s": round(run["raw_after"], 1),
        "growth": round(per_big / per_small, 3),
        "first_half_per_s": round(big["first_half_rate"], 1),
        "second_half_per_s": round(big["second_half_rate"], 1),
        "small_per_s": round(small["rate"], 1),
        "prepare_s": round(run["prepare_big_s"], 2),
        "prepare_small_s": round(run["prepare_small_s"], 2),
        "recipients": args.count,
        "small_recipients": small_count,
        "workers": args.workers,
        "sent_rows": sent_rows,
        "duplicates": big["received"] - args.count,
    }


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench newsletter")
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--raw", type=int, default=10_000, help="messages in the raw loop")
    args = parser.parse_args(argv)
    server_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not server_url or not redis_url:
        raise SystemExit("set DATABASE_URL (PostgreSQL) and REDIS_URL")
    database_url, name = _database(server_url)
    sink = Sink()
    tmp = Path(tempfile.mkdtemp(prefix="bench-newsletter-"))
    small_count = max(100, args.count // 10)
    try:
        env = _environment(database_url, sink.port, tmp)
        os.environ.update(env)
        from backoffice import create_app

        app = create_app({"QUEUE_MODE": "manual"})
        with app.app_context():
            small_id, big_id = _setup(args.count)
            run = _run(app, env, sink, tmp, args, small_id, big_id, small_count)
            from backoffice.extensions import db
            from models.newsletters import CampaignRecipient, RecipientStatus

            sent = db.session.scalar(
                select(func.count()).where(
                    CampaignRecipient.campaign_id == big_id,
                    CampaignRecipient.status == RecipientStatus.SENT,
                )
            )
            db.session.remove()
            db.engine.dispose()
    finally:
        sink.stop()
        _drop(server_url, name)
    result = _summary(args, run, small_count, sent)
    print(f"{'recipients':<34}{args.count:>12}")
    print(f"{'prepare (audience, codes, rows)':<34}{result['prepare_s']:>12} s")
    print(f"{'raw smtplib (reference)':<34}{result['raw_per_s']:>12} /s")
    print(f"{'ours (2 workers)':<34}{result['ours_per_s']:>12} /s")
    halves = f"{result['first_half_per_s']} / {result['second_half_per_s']}"
    print(f"{'  first half / second half':<34}{halves:>12} /s")
    print(f"{'small campaign':<34}{result['small_per_s']:>12} /s")
    print(f"{'ratio (goal ≥ 0.6)':<34}{result['ratio']:>12}")
    print(f"{'growth per message (≈ 1: linear)':<34}{result['growth']:>12}")
    return result
