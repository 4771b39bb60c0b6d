"""Measuring a campaign: bounces and complaints from the communication module's reports land
on the right recipient (never on another message), opens, clicks and unsubscribes count
once per person, rates and the timeline add up, and the jobs can run twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.services import consents, newsletter_preparing, newsletter_stats, newsletters
from backoffice.services import newsletter_tracking as tracking
from backoffice.services.message_delivery import record_dsn, record_report, reports_from_webhook
from models.base import utcnow
from models.messaging import Channel, MessageStatus
from models.newsletters import CampaignLink, CampaignRecipient, RecipientStatus
from tests.factories_messaging import make_message
from tests.factories_newsletters import add_members, make_campaign, make_list

DSN = (
    "From: MAILER-DAEMON@mx.example.pl\r\nMessage-ID: <dsn-{n}@mx.example.pl>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
    "--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
    "Final-Recipient: rfc822; {to}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
    "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
    "Message-ID: {mid}\r\nTo: {to}\r\n\r\n--b1--\r\n"
)


@pytest.fixture
def sent_campaign(db):
    """A campaign of four members, written down and marked sent."""
    newsletter_list = make_list()
    add_members(newsletter_list, 4)
    campaign = make_campaign(newsletter_list)
    newsletters.send_now(SYSTEM, campaign)
    newsletter_preparing.prepare_campaign(campaign.id, SYSTEM)
    rows = db.session.scalars(
        select(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign.id)
        .order_by(CampaignRecipient.id)
    ).all()
    for row in rows:
        row.status, row.sent_at, row.provider_id = RecipientStatus.SENT, utcnow(), f"Q{row.id}"
    db.session.flush()
    return campaign, rows


def test_a_bounce_lands_on_the_newsletter_recipient_not_on_another_message(db, sent_campaign):
    campaign, rows = sent_campaign
    target = rows[0]
    other = make_message(recipient=target.email, status=MessageStatus.SENT, sent_at=utcnow())
    dsn = DSN.format(n=1, to=target.email, mid=f"<nl-{campaign.id}-{target.id}@example.com>")
    [event] = record_dsn(dsn.encode())
    assert event.message_id is None and other.status == MessageStatus.SENT
    db.session.refresh(target)
    assert target.bounced_at is not None and consents.is_suppressed(target.email)
    assert record_dsn(dsn.encode()) == []  # the same report read twice counts once
    assert newsletter_stats.summary(campaign.id)["bounced"] == 1


def test_a_complaint_by_webhook_names_our_message_id(db, sent_campaign):
    campaign, rows = sent_campaign
    payload = {
        "id": "evt-9",
        "status": "complained",
        "message_id": f"<nl-{campaign.id}-{rows[1].id}@example.com>",
        "recipient": rows[1].email,
    }
    for report in reports_from_webhook(Channel.EMAIL, payload):
        record_report(report)
    db.session.refresh(rows[1])
    assert rows[1].complained_at is not None and consents.is_suppressed(rows[1].email)
    forged = {
        "id": "evt-10",
        "status": "bounced",
        "message_id": f"<nl-{campaign.id + 1}-{rows[2].id}@x>",
    }
    for report in reports_from_webhook(Channel.EMAIL, forged):
        record_report(report)
    db.session.refresh(rows[2])
    assert rows[2].bounced_at is None  # the campaign number does not match the row


def test_opens_clicks_and_unsubscribes_count_once_per_person(db, sent_campaign):
    campaign, rows = sent_campaign
    link = db.session.scalars(select(CampaignLink)).first()
    assert tracking.record_open(rows[0]) is True
    assert tracking.record_open(rows[0]) is False
    tracking.click_target(rows[0], link.id)
    tracking.click_target(rows[0], link.id)
    tracking.click_target(rows[1], link.id)  # a click without the pixel counts as an open
    tracking.unsubscribe(rows[2], "list")
    db.session.flush()
    summary = newsletter_stats.summary(campaign.id)
    assert (summary["opened"], summary["clicked"], summary["unsubscribed"]) == (2, 2, 1)
    assert summary["open_rate"] == 50.0 and summary["click_to_open"] == 100.0
    [row] = newsletter_stats.links(campaign.id)[:1]
    assert (row["clicks"], row["people"]) == (3, 2)
    timeline = newsletter_stats.timeline(campaign)
    assert sum(timeline.series["open"]) == 2 and sum(timeline.series["click"]) == 3
    assert sum(timeline.series["sent"]) == 4
    exported = list(newsletter_stats.recipient_rows(campaign.id))
    assert len(exported) == 4 and exported[0][0] == rows[0].email


def test_jobs_can_run_twice(db, app, run_jobs, smtp_sink, monkeypatch):
    from tasks import newsletters as jobs
    from tasks.schedule import SCHEDULE

    assert "tasks.newsletters.sweep" in {entry.func for entry in SCHEDULE}
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_sink.url)
    newsletter_list = make_list()
    add_members(newsletter_list, 3)
    campaign = make_campaign(newsletter_list)
    newsletters.send_now(SYSTEM, campaign)
    db.session.commit()
    jobs.prepare_campaign(campaign.id, "staff", 1, "Anna")
    jobs.prepare_campaign(campaign.id, "staff", 1, "Anna")
    jobs.send_campaign(campaign.id)
    jobs.send_campaign(campaign.id)
    jobs.sweep()
    jobs.sweep()
    assert len(smtp_sink.messages) == 3 and campaign.recipient_count == 3
