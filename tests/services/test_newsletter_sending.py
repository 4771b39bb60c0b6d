"""Sending a campaign in this process into a real SMTP sink: every eligible recipient once,
unique codes registered, re-checks at send time, retries, outages, pause/resume/cancel, the
sweep, and a preparation that fails leaving nothing behind."""

from __future__ import annotations

import collections
import datetime as dt

import pytest
from sqlalchemy import func, select

from backoffice.actors import SYSTEM
from backoffice.services import consents, newsletter_sending, newsletters
from backoffice.services.newsletter_lists import leave_list
from backoffice.services.newsletter_pacing import Pacer
from backoffice.services.newsletter_recovery import sweep_campaigns
from models.base import utcnow
from models.discount_codes import DiscountCodeAssignment
from models.messaging import SuppressionReason
from models.newsletters import (
    CampaignLink,
    CampaignRecipient,
    CampaignStatus,
    RecipientStatus,
)
from tests.factories_newsletters import (
    add_members,
    grant,
    make_campaign,
    make_code_batch,
    make_list,
)


@pytest.fixture
def mail_to_sink(app, smtp_sink, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_sink.url)
    monkeypatch.setitem(app.config, "NEWSLETTER_RETRY_DELAYS", (60,))
    return smtp_sink


def _statuses(campaign_id: int) -> dict[str, int]:
    rows = select(CampaignRecipient.status, func.count()).where(
        CampaignRecipient.campaign_id == campaign_id
    )
    from backoffice.extensions import db

    return {s.value: n for s, n in db.session.execute(rows.group_by(CampaignRecipient.status))}


def _start(db, campaign) -> None:
    newsletters.send_now(SYSTEM, campaign)
    db.session.commit()


def test_every_eligible_recipient_gets_it_once_with_a_registered_unique_code(
    db, run_jobs, mail_to_sink
):
    newsletter_list = make_list()
    wanted = add_members(newsletter_list, 12)
    no_consent = add_members(newsletter_list, 2, consent=False)
    suppressed = add_members(newsletter_list, 1)
    consents.suppress(SYSTEM, suppressed[0], SuppressionReason.HARD_BOUNCE)
    left = add_members(newsletter_list, 1)
    leave_list(SYSTEM, newsletter_list.id, left[0], source="console")
    batch = make_code_batch(15)
    campaign = make_campaign(
        newsletter_list,
        blocks=[
            {"type": "text", "title": "Hej", "html": "<p>Cześć {{ recipient.first_name }}</p>"},
            {"type": "code", "title": "Kod", "mode": "unique", "batch_id": batch.id},
        ],
    )
    _start(db, campaign)
    assert campaign.status == CampaignStatus.PREPARING
    run_jobs()
    run_jobs()  # running the jobs again sends nothing twice
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.SENT and campaign.recipient_count == 12
    received = collections.Counter(m["To"].addresses[0].addr_spec for m in mail_to_sink.messages)
    assert set(received) == set(wanted) and set(received.values()) == {1}
    codes = {}
    for message in mail_to_sink.messages:
        row = db.session.scalar(
            select(CampaignRecipient).where(
                CampaignRecipient.email == message["To"].addresses[0].addr_spec
            )
        )
        assert message["Message-ID"] == f"<nl-{campaign.id}-{row.id}@example.com>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"/nl/u/{row.id}/" in message["List-Unsubscribe"]
        assert row.code in message.get_body(("plain",)).get_content()
        codes[row.email] = row.code
    assert len(set(codes.values())) == 12
    keys = dict(
        db.session.execute(
            select(DiscountCodeAssignment.recipient_key, DiscountCodeAssignment.email).where(
                DiscountCodeAssignment.batch_id == batch.id
            )
        ).all()
    )
    assert set(keys.values()) == set(wanted)
    assert all(k.startswith(f"newsletter:{campaign.id}:") for k in keys)
    assert not set(no_consent + suppressed + left) & set(received)


def test_unsubscribe_and_withdrawn_consent_take_effect_for_a_campaign_already_sending(
    db, run_jobs, mail_to_sink
):
    newsletter_list = make_list()
    emails = add_members(newsletter_list, 5)
    campaign = make_campaign(newsletter_list)
    _start(db, campaign)
    run_jobs_only("prepare_campaign", db)
    assert campaign.status == CampaignStatus.SENDING
    leave_list(SYSTEM, newsletter_list.id, emails[0], source="unsubscribe")
    grant(emails[1], granted=False)
    consents.suppress(SYSTEM, emails[2], SuppressionReason.COMPLAINT)
    db.session.commit()
    run_jobs()
    got = {m["To"].addresses[0].addr_spec for m in mail_to_sink.messages}
    assert got == set(emails[3:])
    assert _statuses(campaign.id) == {"sent": 2, "skipped": 3}


def run_jobs_only(name: str, db) -> None:
    """Run the pending jobs of one kind (e.g. only the preparation, not the sending)."""
    from backoffice.queue import execute
    from models.jobs import Job, JobStatus

    ids = db.session.scalars(
        select(Job.id)
        .where(Job.status == JobStatus.PENDING, Job.func == f"tasks.newsletters.{name}")
        .order_by(Job.id)
    ).all()
    for job_id in ids:
        execute(job_id)
    db.session.expire_all()


def test_temporary_refusal_is_retried_later_and_permanent_fails(db, run_jobs, mail_to_sink):
    newsletter_list = make_list()
    add_members(newsletter_list, 2)
    campaign = make_campaign(newsletter_list)
    mail_to_sink.replies.extend(["451 4.3.0 Spróbuj później", "550 5.1.1 Nie ma skrzynki"])
    _start(db, campaign)
    run_jobs()
    rows = db.session.scalars(
        select(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign.id)
        .order_by(CampaignRecipient.id)
    ).all()
    assert [r.status for r in rows] == [RecipientStatus.PENDING, RecipientStatus.FAILED]
    assert "451" in rows[0].error and rows[0].next_attempt_at > utcnow() and rows[0].attempts == 1
    assert "550" in rows[1].error
    rows[0].next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    newsletter_sending.send_campaign(campaign.id)
    db.session.refresh(campaign)
    assert _statuses(campaign.id) == {"sent": 1, "failed": 1}
    assert campaign.status == CampaignStatus.SENT and len(mail_to_sink.messages) == 1


def test_mail_server_down_postpones_without_counting_a_try(db, run_jobs, app, monkeypatch):
    from tests.fixtures.smtp import free_port

    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{free_port()}")
    newsletter_list = make_list()
    add_members(newsletter_list, 3)
    campaign = make_campaign(newsletter_list)
    _start(db, campaign)
    run_jobs()
    rows = db.session.scalars(
        select(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign.id)
    ).all()
    assert {(r.status, r.attempts) for r in rows} == {(RecipientStatus.PENDING, 0)}
    assert all(r.next_attempt_at > utcnow() for r in rows)


def test_pause_gives_rows_back_resume_goes_on_cancel_stops_for_good(db, run_jobs, mail_to_sink):
    newsletter_list = make_list()
    add_members(newsletter_list, 6)
    campaign = make_campaign(newsletter_list)
    _start(db, campaign)
    run_jobs_only("prepare_campaign", db)
    newsletters.pause(SYSTEM, campaign)
    db.session.commit()
    assert newsletter_sending.send_campaign(campaign.id) == {}
    assert _statuses(campaign.id) == {"pending": 6}
    # A worker that claimed a batch just before the pause gives it back at its check.
    rows = newsletter_sending.claim(campaign.id, 2)
    run = newsletter_sending.Run(campaign, *newsletter_sending.compiled_for(campaign))
    assert run.send_batch(rows) is False
    assert _statuses(campaign.id) == {"pending": 6}
    newsletters.resume(SYSTEM, campaign)
    db.session.commit()
    newsletter_sending.send_campaign(campaign.id, budget=30)
    assert len(mail_to_sink.messages) == 6
    second = make_campaign(newsletter_list)
    _start(db, second)
    run_jobs_only("prepare_campaign", db)
    assert newsletters.cancel(SYSTEM, second) == 6
    db.session.commit()
    run_jobs()
    assert _statuses(second.id) == {"cancelled": 6} and len(mail_to_sink.messages) == 6


def test_too_few_codes_fails_the_preparation_and_writes_nothing(db, run_jobs, mail_to_sink):
    newsletter_list = make_list()
    add_members(newsletter_list, 4)
    batch = make_code_batch(4)
    campaign = make_campaign(
        newsletter_list,
        blocks=[{"type": "code", "title": "Kod", "mode": "unique", "batch_id": batch.id}],
    )
    _start(db, campaign)
    add_members(newsletter_list, 1)  # the audience grew after the check
    db.session.commit()
    run_jobs()
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.FAILED and "4" in campaign.error
    assert _statuses(campaign.id) == {}
    assert db.session.scalar(select(func.count(DiscountCodeAssignment.id))) == 0
    assert db.session.scalar(select(func.count(CampaignLink.id))) == 0
    assert mail_to_sink.messages == []


def test_sweep_frees_rows_of_a_dead_worker_and_starts_due_campaigns(
    db, run_jobs, mail_to_sink, app, monkeypatch
):
    monkeypatch.setitem(app.config, "NEWSLETTER_STUCK_AFTER", 60)
    newsletter_list = make_list()
    add_members(newsletter_list, 3)
    campaign = make_campaign(newsletter_list)
    _start(db, campaign)
    run_jobs_only("prepare_campaign", db)
    claimed = newsletter_sending.claim(campaign.id, 3)  # the worker dies here
    db.session.execute(
        CampaignRecipient.__table__.update().values(claimed_at=utcnow() - dt.timedelta(minutes=5))
    )
    later = make_campaign(newsletter_list)
    newsletters.schedule(SYSTEM, later, utcnow() + dt.timedelta(minutes=1))
    later.scheduled_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    result = sweep_campaigns()
    assert result["released"] == len(claimed) and result["started"] == 1
    run_jobs()
    db.session.refresh(later)
    assert later.status == CampaignStatus.SENT
    assert _statuses(campaign.id) == {"sent": 3} and len(mail_to_sink.messages) == 6


def test_pacer_keeps_a_campaigns_rate_also_below_one_a_second():
    clock, slept = [1000.0], []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        clock[0] += seconds

    pacer = Pacer(1, per_hour=1800)  # one every two seconds
    for _ in range(3):
        pacer.wait(sleep=sleep, clock=lambda: clock[0])
    assert slept == [2.0, 2.0]
    clock[0] += 100  # a pause: no burst afterwards
    pacer.wait(sleep=sleep, clock=lambda: clock[0])
    pacer.wait(sleep=sleep, clock=lambda: clock[0])
    assert slept == [2.0, 2.0, 2.0]
    assert Pacer(1, None).wait(sleep=sleep) == 0.0
