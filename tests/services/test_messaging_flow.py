"""End to end in one process: API-style order events → outbox → jobs → SMTP sink and SMS
gateway; repeats send nothing more; a contact without consent for a channel gets nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.services import consents
from backoffice.services.message_recovery import sweep_messages
from backoffice.services.orders import record_order_event
from models.base import utcnow
from models.consents import ConsentSource
from models.jobs import Job, JobStatus
from models.messaging import Message, MessageStatus
from tests.factories import make_contact, make_customer, make_order
from tests.factories_messaging import make_message, set_rule
from tests.services.test_messaging_transports import FakeSmsApi


@pytest.fixture
def gateway():
    fake = FakeSmsApi()
    yield fake
    fake.stop()


@pytest.fixture
def wired(app, smtp_sink, gateway, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_sink.url)
    monkeypatch.setitem(app.config, "SMS_URL", gateway.url)
    monkeypatch.setitem(app.config, "MAIL_RATE_PER_SECOND", 0)
    monkeypatch.setitem(app.config, "SMS_RATE_PER_SECOND", 0)
    return app


def event(order, kind="shipped", event_id="ev-1"):
    record_order_event(
        SYSTEM,
        order.external_id,
        {
            "id": event_id,
            "type": kind,
            "at": dt.datetime.now(dt.UTC),
            "waybill": "00359007738090012345",
            "carrier": "DPD",
        },
    )


def test_one_email_and_one_sms_per_recipient_then_nothing_more(
    db, wired, run_jobs, smtp_sink, gateway
):
    set_rule("order.shipped", "sms", True)
    customer = make_customer(email="firma@zolw.example.pl", phone="+48 500 100 200")
    make_contact(
        customer,
        name="Łucja",
        email="lucja@zolw.example.pl",
        phone="501200300",
        receives_order_notices=True,
    )
    make_contact(
        customer,
        name="Bez zgody",
        email="bez@zolw.example.pl",
        phone="502300400",
        receives_order_notices=True,
    )
    consents.set_consent(
        SYSTEM, "bez@zolw.example.pl", "email", "transactional", False, source=ConsentSource.PORTAL
    )
    consents.set_consent(
        SYSTEM, "502300400", "sms", "transactional", False, source=ConsentSource.PORTAL
    )
    order = make_order(customer)
    event(order)
    db.session.commit()
    run_jobs()
    assert sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in smtp_sink.messages) == [
        "firma@zolw.example.pl",
        "lucja@zolw.example.pl",
    ]
    assert sorted(r["form"]["to"] for r in gateway.requests) == ["48500100200", "48501200300"]
    shipped = smtp_sink.messages[0]
    assert "00359007738090012345" in shipped.get_body(("plain",)).get_content()
    assert "DPD" in gateway.requests[0]["form"]["message"]

    event(order)  # the same event id again: stored once by the API, nothing new here
    db.session.commit()
    run_jobs()
    assert len(smtp_sink.messages) == 2 and len(gateway.requests) == 2
    statuses = set(db.session.scalars(select(Message.status)))
    assert statuses == {MessageStatus.SENT}


def test_sweep_dispatches_queued_rows_without_a_job_and_expires_old_ones(db, app):
    fresh = make_message()
    ancient = make_message(created_at=utcnow() - dt.timedelta(days=4))
    db.session.commit()
    result = sweep_messages()
    assert result == {"requeued": 0, "expired": 1, "dispatched": 1}
    db.session.expire_all()
    assert db.session.get(Message, ancient.id).status == MessageStatus.FAILED
    assert db.session.get(Message, fresh.id).status == MessageStatus.QUEUED
    job = db.session.scalars(select(Job).where(Job.func == "tasks.messaging.dispatch")).one()
    assert job.status == JobStatus.PENDING and job.args == ["email"]
