"""Fault tests with real processes: PostgreSQL, Redis, RQ workers, cron, a real SMTP sink.

SMTP answering 451 then 250 (retried), 550 (failed), SMTP down (retried later); a worker
killed with SIGKILL in the middle of 500 messages (all delivered, at most one twice); Redis
unreachable for the API when an order event arrives (201, and the e-mail goes out once the
queue's sweep hands the job to the real Redis).
"""

from __future__ import annotations

import collections
import time

import pytest
import requests
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from backoffice.extensions import db as _db
from models.messaging import AttemptOutcome, Message, MessageAttempt, MessageStatus
from tests.factories import make_customer, make_order
from tests.factories_messaging import make_message
from tests.fixtures.live import LiveStack
from tests.fixtures.smtp import SinkHandler, SmtpSink, free_port
from tests.fixtures.waiting import hand_pending_jobs_to_redis, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.committed, pytest.mark.slow]

CONFIG = {
    "MESSAGE_RETRY_DELAYS": [1, 1],
    "MESSAGE_OUTAGE_DELAY": 1,
    "MESSAGE_STUCK_AFTER": 3,
    "MESSAGE_BATCH_SIZE": 20,
    "MAIL_RATE_PER_SECOND": 250,
    "DELIVERY_WEBHOOK_SECRET": "x",
}


class Sink:
    """An aiosmtpd sink on a fixed port that can be stopped (SMTP down) and started again."""

    def __init__(self):
        self.port = free_port()
        self.handler = SinkHandler()
        self.controller: Controller | None = None
        self.start()

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()

    @property
    def api(self) -> SmtpSink:
        return SmtpSink(self.controller, self.handler)


@pytest.fixture(scope="module")
def sink():
    sink = Sink()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def stack(infra, sink):
    stack = LiveStack(infra, mail_url=f"smtp://127.0.0.1:{sink.port}", config=CONFIG).start()
    stack.start_cron(interval=0.5)
    yield stack
    stack.stop()


@pytest.fixture(autouse=True)
def fresh_sink(sink):
    sink.api.clear()


def queue_messages(n: int, **overrides) -> list[int]:
    """Commit n queued messages (as notify() writes them)."""
    ids = [make_message(**overrides).id for _ in range(n)]
    _db.session.commit()
    return ids


def handed_over(stack=None):
    """What cron does: the outbox sweep queues a dispatch job, handed to the real Redis.

    (This test process runs jobs by hand, so the hand-over after commit is done here.)
    """
    from backoffice.services.message_recovery import sweep_messages

    sweep_messages()
    hand_pending_jobs_to_redis()


wait_for = wait_until


def status_of(message_id: int) -> MessageStatus:
    _db.session.expire_all()
    return _db.session.get(Message, message_id).status


def test_451_then_250_is_retried_and_sent(db, stack, sink):
    sink.handler.replies.append("451 4.3.0 Spróbuj później")
    [mid] = queue_messages(1)
    handed_over(stack)
    wait_for(lambda: status_of(mid) == MessageStatus.SENT)
    outcomes = _db.session.scalars(
        select(MessageAttempt.outcome)
        .where(MessageAttempt.message_id == mid)
        .order_by(MessageAttempt.id)
    ).all()
    assert outcomes == [AttemptOutcome.RETRY, AttemptOutcome.SENT]
    assert len(sink.api.messages) == 1


def test_550_fails_for_good(db, stack, sink):
    sink.handler.replies.append("550 5.1.1 Nie ma takiej skrzynki")
    [mid] = queue_messages(1)
    handed_over(stack)
    wait_for(lambda: status_of(mid) == MessageStatus.FAILED)
    time.sleep(1.5)  # nothing retries it
    assert status_of(mid) == MessageStatus.FAILED and sink.api.messages == []
    assert "550" in _db.session.get(Message, mid).last_error


def test_smtp_down_is_retried_later(db, stack, sink):
    sink.stop()
    try:
        [mid] = queue_messages(1)
        handed_over(stack)
        wait_for(
            lambda: _db.session.scalar(select(func.count()).where(MessageAttempt.message_id == mid))
        )
        assert status_of(mid) == MessageStatus.QUEUED
    finally:
        sink.start()
    wait_for(lambda: status_of(mid) == MessageStatus.SENT)
    assert _db.session.get(Message, mid).attempts == 1  # the outage used no try
    assert len(sink.api.messages) == 1


def test_killed_worker_loses_nothing_and_duplicates_at_most_one(db, stack, sink):
    ids = queue_messages(500)
    handed_over(stack)
    wait_for(lambda: len(sink.handler.messages) >= 120, every=0.01)
    stack.kill_worker(stack.workers[0])
    before = len(sink.handler.messages)
    assert before < 500, "the batch finished before the kill; slow the sender down"
    stack.start_worker()
    time.sleep(CONFIG["MESSAGE_STUCK_AFTER"])
    handed_over()
    wait_for(lambda: len({m["Message-ID"] for m in sink.api.messages}) >= 500, timeout=60)
    received = collections.Counter(m["Message-ID"] for m in sink.api.messages)
    wanted = {f"<msg-{i}@example.com>" for i in ids}
    assert set(received) == wanted
    assert sum(n - 1 for n in received.values()) <= 1
    wait_for(
        lambda: (
            _db.session.scalar(select(func.count()).where(Message.status == MessageStatus.SENT))
            == 500
        )
    )


def test_redis_down_when_the_event_arrives(db, infra, stack, sink):
    from backoffice.actors import SYSTEM
    from backoffice.services.api_tokens import create_token

    customer = make_customer(email="redis@klient.example.pl")
    order = make_order(customer, external_id="ORD-REDIS-1")
    _token, secret = create_token(SYSTEM, "sklep", ["shop"])
    _db.session.commit()
    broken = LiveStack(infra, mail_url=f"smtp://127.0.0.1:{sink.port}", workers=0, config=CONFIG)
    broken.env["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/4"
    broken._wait_healthy = lambda timeout=60: _wait_responding(broken)
    broken.start()
    try:
        resp = requests.post(
            f"{broken.url}/api/v1/orders/{order.external_id}/events",
            json={"id": "evt-1", "type": "paid", "at": "2026-03-03T14:05:00+01:00"},
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        )
    finally:
        broken.stop()
    assert resp.status_code == 201, resp.text
    [row] = _db.session.scalars(
        select(Message).where(Message.recipient == "redis@klient.example.pl")
    ).all()
    # The stack's cron sweeps the job to the real Redis; its worker sends the e-mail.
    wait_for(lambda: status_of(row.id) == MessageStatus.SENT)
    [got] = sink.api.to("redis@klient.example.pl")
    assert order.number in got["Subject"]


def _wait_responding(stack: LiveStack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(f"{stack.url}/healthz", timeout=2)  # 503: Redis is down, as meant
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(stack.server_log())
