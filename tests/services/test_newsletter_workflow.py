"""Campaign workflow: settings and blocks are checked, every status allows exactly the
transitions of its table, and a campaign cannot be sent before it is complete."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.errors import InvalidTransition, ValidationFailed
from backoffice.services import newsletters
from models.audit import AuditEntry
from models.base import utcnow
from models.jobs import Job
from models.newsletters import CAMPAIGN_TRANSITIONS, Campaign, CampaignStatus
from tests.factories_newsletters import add_members, make_campaign, make_code_batch, make_list

STEPS = {
    "pause": (newsletters.pause, CampaignStatus.PAUSED),
    "resume": (newsletters.resume, CampaignStatus.SENDING),
    "cancel": (newsletters.cancel, CampaignStatus.CANCELLED),
    "unschedule": (newsletters.unschedule, CampaignStatus.DRAFT),
}


@pytest.mark.parametrize("step", sorted(STEPS))
def test_each_step_is_allowed_exactly_where_the_table_says(db, step):
    func, target = STEPS[step]
    newsletter_list = make_list()
    for status in CampaignStatus:
        campaign = make_campaign(newsletter_list, status=status)
        allowed = target in CAMPAIGN_TRANSITIONS[status]
        with db.session.begin_nested() as savepoint:
            if allowed:
                func(SYSTEM, campaign)
                assert campaign.status == target
            else:
                with pytest.raises(InvalidTransition):
                    func(SYSTEM, campaign)
            savepoint.rollback()


def test_create_checks_the_settings(db):
    data = newsletters.CampaignData(
        name=" ",
        subject="{{ recipient.nick }}",
        list_id=999999,
        include_members=False,
        primary_color="red",
        rate_per_hour=0,
    )
    with pytest.raises(ValidationFailed) as caught:
        newsletters.create_campaign(SYSTEM, data)
    assert set(caught.value.errors) == {
        "name",
        "subject",
        "list_id",
        "include_members",
        "primary_color",
        "rate_per_hour",
    }
    campaign = newsletters.create_campaign(
        SYSTEM, newsletters.CampaignData(name="Marzec", subject="Nowości {{ recipient.company }}")
    )
    assert campaign.status == CampaignStatus.DRAFT and campaign.newsletter_list.is_default


def test_blocks_are_added_saved_moved_and_removed_with_checks(db):
    campaign = make_campaign(blocks=[])
    newsletters.add_block(SYSTEM, campaign, "text")
    newsletters.add_block(SYSTEM, campaign, "products")
    newsletters.add_block(SYSTEM, campaign, "code")
    with pytest.raises(ValidationFailed):
        newsletters.add_block(SYSTEM, campaign, "code")  # one code block
    with pytest.raises(ValidationFailed) as caught:
        newsletters.save_block(SYSTEM, campaign, 0, {"html": "<p>{{ recipient.points|safe }}</p>"})
    assert "blocks.0.html" in caught.value.errors
    newsletters.save_block(SYSTEM, campaign, 0, {"title": "Wiosna", "html": "<p>Hej</p>"})
    newsletters.move_block(SYSTEM, campaign, 0, 1)
    assert [b["type"] for b in campaign.blocks] == ["products", "text", "code"]
    newsletters.remove_block(SYSTEM, campaign, 2)
    assert [b["type"] for b in campaign.blocks] == ["products", "text"]
    campaign.status = CampaignStatus.SENT
    with pytest.raises(InvalidTransition):
        newsletters.add_block(SYSTEM, campaign, "text")


def test_nothing_is_sent_before_the_campaign_is_complete(db):
    newsletter_list = make_list()
    empty = make_campaign(newsletter_list, blocks=[])
    with pytest.raises(ValidationFailed, match="blok"):
        newsletters.send_now(SYSTEM, empty)
    nobody = make_campaign(newsletter_list)
    with pytest.raises(ValidationFailed, match="Nikt"):
        newsletters.send_now(SYSTEM, nobody)
    add_members(newsletter_list, 3)
    batch = make_code_batch(2)
    short = make_campaign(
        newsletter_list,
        blocks=[{"type": "code", "title": "K", "mode": "unique", "batch_id": batch.id}],
    )
    with pytest.raises(ValidationFailed, match="2"):
        newsletters.send_now(SYSTEM, short)
    ready = make_campaign(newsletter_list)
    assert newsletters.send_now(SYSTEM, ready) == 3
    assert ready.status == CampaignStatus.PREPARING
    job = db.session.scalar(select(Job).where(Job.key == f"newsletter-prepare-{ready.id}"))
    assert job.queue == "mail" and job.args[0] == ready.id


def test_schedule_needs_a_future_time_and_the_sweep_starts_it(db):
    newsletter_list = make_list()
    add_members(newsletter_list, 1)
    campaign = make_campaign(newsletter_list)
    for when in (utcnow() - dt.timedelta(minutes=1), utcnow() + dt.timedelta(days=400)):
        with pytest.raises(ValidationFailed):
            newsletters.schedule(SYSTEM, campaign, when)
    newsletters.schedule(SYSTEM, campaign, utcnow() + dt.timedelta(hours=2))
    assert campaign.status == CampaignStatus.SCHEDULED
    assert newsletters.start_due(SYSTEM) == []
    assert newsletters.start_due(SYSTEM, utcnow() + dt.timedelta(hours=3)) == [campaign.id]
    assert campaign.status == CampaignStatus.PREPARING


def test_duplicate_and_delete(db):
    campaign = make_campaign(status=CampaignStatus.SENT, started_at=utcnow())
    copy = newsletters.duplicate(SYSTEM, campaign)
    assert copy.status == CampaignStatus.DRAFT and copy.blocks == campaign.blocks
    assert copy.name.endswith(campaign.name)
    with pytest.raises(InvalidTransition):
        newsletters.delete_campaign(SYSTEM, campaign)
    newsletters.delete_campaign(SYSTEM, copy)
    db.session.flush()
    assert db.session.get(Campaign, copy.id) is None
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"newsletter.create", "newsletter.delete"} <= actions


def test_demo_data_gives_a_campaign_ready_to_preview_and_send(db):
    from backoffice.services import demo
    from backoffice.services.newsletter_previews import preview

    summary = demo.seed(SYSTEM, demo.Counts(customers=10, products=30, suppliers=2, orders=12))
    assert summary["newsletter_members"] > 0
    campaign = db.session.scalar(select(Campaign))
    assert newsletters.check_ready(campaign).count == summary["newsletter_members"]
    shown = preview(campaign)
    assert "Nowości miesiąca" in shown.mail.html and "Przykładowa Hurtownia" in shown.mail.subject
