"""Newsletters with real processes: PostgreSQL, Redis, two RQ workers, a real SMTP sink.

* 2,000 addresses on a list (some without consent, hard-bounced or gone from the list):
  every eligible one gets the campaign exactly once with its own discount code, which is
  registered in the loyalty register; nobody else gets anything.
* A worker killed with SIGKILL in the middle of a campaign: after a new worker starts and the
  sweep runs, everybody has it and at most one message (per killed worker) went twice.
"""

from __future__ import annotations

import collections
import email
import email.policy
import functools
import re
import threading
import time

import pytest
from sqlalchemy import func, select

from backoffice.actors import SYSTEM
from backoffice.extensions import db as _db
from backoffice.services import consents, newsletters
from backoffice.services.newsletter_lists import leave_list
from backoffice.services.newsletter_recovery import sweep_campaigns
from models.discount_codes import DiscountCodeAssignment
from models.messaging import SuppressionReason
from models.newsletters import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from tests.factories_newsletters import bulk_members, make_campaign, make_code_batch, make_list
from tests.fixtures.live import LiveStack
from tests.fixtures.smtp import free_port
from tests.fixtures.waiting import hand_pending_jobs_to_redis, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.committed, pytest.mark.slow]

CONFIG = {"NEWSLETTER_STUCK_AFTER": 3, "NEWSLETTER_BATCH_SIZE": 50, "MAIL_RATE_PER_SECOND": 0}
CODE = re.compile(r"Kod: (\S+)")


class RawSink:
    """A real SMTP server (aiosmtpd) that keeps the raw bytes: parsing 2,000 newsletters as
    they arrive would make the sink, not the senders, the bottleneck."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.raw: list[bytes] = []
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.url = f"smtp://127.0.0.1:{self.controller.port}"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.raw.append(envelope.original_content or envelope.content)
        return "250 2.0.0 OK queued as sink"

    @property
    def count(self) -> int:
        return len(self.raw)

    @property
    def messages(self):
        with self.lock:
            raw = list(self.raw)
        return [email.message_from_bytes(r, policy=email.policy.default) for r in raw]


@pytest.fixture(scope="module")
def sink():
    sink = RawSink()
    yield sink
    sink.controller.stop()


@pytest.fixture(scope="module")
def stack(infra, sink):
    stack = LiveStack(infra, mail_url=sink.url, workers=2, config=CONFIG).start()
    yield stack
    stack.stop()


@pytest.fixture(autouse=True)
def fresh_sink(sink):
    with sink.lock:
        sink.raw.clear()


def hand_over() -> None:
    """What cron and the web process do after commit: give the pending jobs to Redis."""
    hand_pending_jobs_to_redis()


wait_for = functools.partial(wait_until, timeout=90.0, every=0.2)


def campaign_status(campaign_id: int) -> CampaignStatus:
    _db.session.rollback()
    return _db.session.get(Campaign, campaign_id).status


def test_two_thousand_recipients_each_eligible_once_with_a_registered_code(db, stack, sink):
    newsletter_list = make_list()
    eligible = bulk_members(newsletter_list, 1900, prefix="ok")
    no_consent = bulk_members(newsletter_list, 40, prefix="nozgody", consent=False)
    bounced = bulk_members(newsletter_list, 30, prefix="odbity")
    gone = bulk_members(newsletter_list, 30, prefix="wypisany")
    for address in bounced:
        consents.suppress(SYSTEM, address, SuppressionReason.HARD_BOUNCE)
    for address in gone:
        leave_list(SYSTEM, newsletter_list.id, address, source="unsubscribe")
    batch = make_code_batch(2000)
    campaign = make_campaign(
        newsletter_list,
        blocks=[
            {"type": "text", "title": "Wiosna", "html": "<p>Cześć {{ recipient.name }}</p>"},
            {"type": "text", "title": "Kod", "html": "<p>Kod: {{ code }}</p>"},
            {"type": "code", "title": "Rabat", "mode": "unique", "batch_id": batch.id},
        ],
    )
    assert newsletters.send_now(SYSTEM, campaign) == 1900
    _db.session.commit()
    hand_over()
    wait_for(lambda: campaign_status(campaign.id) == CampaignStatus.SENT, timeout=180)
    messages = sink.messages
    received = collections.Counter(m["To"].addresses[0].addr_spec for m in messages)
    assert set(received) == set(eligible) and set(received.values()) == {1}
    assert not set(no_consent + bounced + gone) & set(received)
    mailed_codes = {
        m["To"].addresses[0].addr_spec: CODE.search(m.get_body(("plain",)).get_content()).group(1)
        for m in messages
    }
    assert len(set(mailed_codes.values())) == 1900
    registered = dict(
        _db.session.execute(
            select(DiscountCodeAssignment.email, DiscountCodeAssignment.recipient_key).where(
                DiscountCodeAssignment.batch_id == batch.id
            )
        ).all()
    )
    assert set(registered) == set(eligible)
    rows = dict(
        _db.session.execute(
            select(CampaignRecipient.email, CampaignRecipient.code).where(
                CampaignRecipient.campaign_id == campaign.id
            )
        ).all()
    )
    assert rows == mailed_codes


def test_a_killed_worker_loses_nothing_and_duplicates_at_most_one(db, stack, sink):
    newsletter_list = make_list()
    emails = bulk_members(newsletter_list, 600, prefix="kill")
    campaign = make_campaign(newsletter_list, rate_per_hour=150 * 3600)
    newsletters.send_now(SYSTEM, campaign)
    _db.session.commit()
    hand_over()
    wait_for(lambda: len(sink.raw) >= 120, every=0.02)
    stack.kill_worker(stack.workers[0])
    assert len(sink.raw) < 600, "sent before the kill; slow it down"
    stack.start_worker()
    time.sleep(CONFIG["NEWSLETTER_STUCK_AFTER"] + 0.5)
    sweep_campaigns()  # what cron runs every minute
    hand_over()
    wait_for(lambda: campaign_status(campaign.id) == CampaignStatus.SENT, timeout=120)
    received = collections.Counter(m["Message-ID"] for m in sink.messages)
    ids = _db.session.scalars(
        select(CampaignRecipient.id).where(CampaignRecipient.campaign_id == campaign.id)
    ).all()
    assert set(received) == {f"<nl-{campaign.id}-{i}@example.com>" for i in ids}
    assert sum(n - 1 for n in received.values()) <= 1
    assert {m["To"].addresses[0].addr_spec for m in sink.messages} == set(emails)
    sent = _db.session.scalar(
        select(func.count()).where(
            CampaignRecipient.campaign_id == campaign.id,
            CampaignRecipient.status == RecipientStatus.SENT,
        )
    )
    assert sent == 600
