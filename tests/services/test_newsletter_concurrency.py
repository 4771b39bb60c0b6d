"""Races on real PostgreSQL connections: parallel workers never claim the same recipient,
and two preparation jobs for one campaign write its audience and codes once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from backoffice.actors import SYSTEM
from backoffice.services import newsletter_preparing, newsletter_sending, newsletters
from models.discount_codes import DiscountCodeAssignment
from models.newsletters import Campaign, CampaignRecipient, CampaignStatus
from tests.factories_newsletters import bulk_members, make_campaign, make_code_batch, make_list

pytestmark = [pytest.mark.postgres, pytest.mark.committed]


def race(app, count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads at once, each with its own session; results."""
    from backoffice.extensions import db

    barrier = threading.Barrier(count)
    results, lock = [], threading.Lock()

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                result = work(i)
            finally:
                db.session.remove()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == count, "a racing thread did not finish"
    return results


def _campaign(db, members: int, codes: bool = False) -> int:
    newsletter_list = make_list()
    bulk_members(newsletter_list, members, prefix="race")
    blocks = None
    if codes:
        batch = make_code_batch(members)
        blocks = [{"type": "code", "title": "Kod", "mode": "unique", "batch_id": batch.id}]
    campaign = make_campaign(newsletter_list, blocks=blocks)
    newsletters.send_now(SYSTEM, campaign)
    db.session.commit()
    return campaign.id


def test_parallel_workers_never_claim_the_same_recipient(app, db):
    campaign_id = _campaign(db, 400)
    newsletter_preparing.prepare_campaign(campaign_id, SYSTEM)

    def claim_all(_i: int) -> list[int]:
        mine = []
        while rows := newsletter_sending.claim(campaign_id, 7):
            mine.extend(r.id for r in rows)
        return mine

    claimed = race(app, 4, claim_all)
    every = Counter(i for ids in claimed for i in ids)
    assert len(every) == 400 and set(every.values()) == {1}
    assert all(ids for ids in claimed), "some worker got nothing: SKIP LOCKED did not share"


def test_two_preparations_write_the_audience_and_the_codes_once(app, db):
    campaign_id = _campaign(db, 300, codes=True)
    outcomes = race(app, 3, lambda _i: newsletter_preparing.prepare_campaign(campaign_id, SYSTEM))
    assert sorted(outcomes) == ["sending", "skipped", "skipped"]
    db.session.expire_all()
    assert db.session.get(Campaign, campaign_id).status == CampaignStatus.SENDING
    rows = db.session.scalar(
        select(func.count()).where(CampaignRecipient.campaign_id == campaign_id)
    )
    codes = db.session.scalar(
        select(func.count(func.distinct(CampaignRecipient.code))).where(
            CampaignRecipient.campaign_id == campaign_id
        )
    )
    assigned = db.session.scalar(select(func.count(DiscountCodeAssignment.id)))
    assert rows == codes == assigned == 300
