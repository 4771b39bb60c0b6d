"""Double opt-in: a sign-up gets a confirmation e-mail and nothing else until the link is
clicked; the consent history keeps when, from where and how; repeats do not flood."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from backoffice.actors import SYSTEM, Actor
from backoffice.errors import ValidationFailed
from backoffice.services import consents
from backoffice.services import newsletter_subscribers as subscribers
from backoffice.services.newsletter_lists import is_member
from models.consents import ConsentSource
from models.messaging import Channel, Message, Purpose, SuppressionReason
from models.newsletters import SubscriberStatus
from tests.factories_newsletters import make_list

VISITOR = Actor("anonymous", None, "gosia@example.pl", "203.0.113.7")


def _signup(email="Gosia.Nowak@Example.PL", **overrides):
    data = subscribers.SignUp(
        email=email, name="Gosia Nowak", ip="203.0.113.7", consent_text="Zgadzam się", **overrides
    )
    return subscribers.subscribe(VISITOR, data)


def _confirmations(db) -> list[Message]:
    return db.session.scalars(select(Message).where(Message.event == "newsletter.confirm")).all()


def test_sign_up_waits_for_the_confirmation_link(db):
    row = _signup()
    assert row.email == "gosia.nowak@example.pl" and row.status == SubscriberStatus.PENDING
    assert row.newsletter_list.is_default and row.ip == "203.0.113.7"
    [message] = _confirmations(db)
    assert message.recipient == row.email and "Potwierdź" in message.subject
    assert not consents.allows(row.email, Channel.EMAIL, Purpose.MARKETING)
    assert not is_member(row.list_id, row.email)

    token = re.search(r"/newsletter/confirm/(\S+)", message.body_text).group(1)
    found = subscribers.subscriber_for_token(token)
    assert found is row
    clicker = Actor("anonymous", None, row.email, "198.51.100.9")
    subscribers.confirm(clicker, found)
    subscribers.confirm(clicker, found)  # a second click changes nothing
    assert row.status == SubscriberStatus.CONFIRMED and row.confirm_ip == "198.51.100.9"
    assert consents.allows(row.email, Channel.EMAIL, Purpose.MARKETING)
    assert is_member(row.list_id, row.email)
    [change] = consents.history(row.email)
    assert change.source == ConsentSource.SIGNUP_FORM and change.ip == "198.51.100.9"
    assert "203.0.113.7" in change.note and "double opt-in" in change.note


def test_tampered_or_expired_links_are_refused(db, monkeypatch):
    row = _signup()
    token = subscribers.confirm_url(row).rsplit("/", 1)[1]
    assert subscribers.subscriber_for_token(token[:-2] + "xx") is None
    assert subscribers.subscriber_for_token("abc") is None
    monkeypatch.setattr(subscribers, "CONFIRM_MAX_AGE", -1)
    assert subscribers.subscriber_for_token(token) is None


def test_repeats_are_throttled_and_a_confirmed_address_gets_nothing_new(db):
    row = _signup()
    _signup()
    assert len(_confirmations(db)) == 1 and row.confirmations_sent == 1
    row.requested_at -= dt.timedelta(minutes=11)
    _signup()
    assert len(_confirmations(db)) == 2
    subscribers.confirm(VISITOR, row)
    _signup()
    assert len(_confirmations(db)) == 2 and row.status == SubscriberStatus.CONFIRMED


def test_confirming_lifts_an_unsubscribe_but_not_a_complaint(db):
    consents.suppress(SYSTEM, "a@example.pl", SuppressionReason.UNSUBSCRIBED)
    consents.suppress(SYSTEM, "b@example.pl", SuppressionReason.COMPLAINT)
    for email in ("a@example.pl", "b@example.pl"):
        subscribers.confirm(VISITOR, _signup(email))
    assert not consents.is_suppressed("a@example.pl")
    assert consents.is_suppressed("b@example.pl")


def test_bad_input_is_refused(db):
    with pytest.raises(ValidationFailed) as caught:
        _signup("nie-adres")
    assert "email" in caught.value.errors
    private = make_list(public=False)
    with pytest.raises(ValidationFailed) as caught:
        _signup(list_id=private.id)
    assert "list_id" in caught.value.errors
