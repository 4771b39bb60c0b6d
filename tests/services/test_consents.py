"""Consents per address, purpose and channel: rules, history, suppression list."""

from __future__ import annotations

import pytest

from backoffice.actors import Actor
from backoffice.errors import ValidationFailed
from backoffice.services import consents
from models.consents import ConsentSource
from models.messaging import SuppressionReason

PORTAL = Actor("portal", 7, "Jan Nowak <jan@example.pl>", "203.0.113.9")


def test_defaults_transactional_yes_marketing_no(db):
    addresses = ["a@example.pl"]
    assert consents.allowed_addresses(addresses, "email", "transactional") == {"a@example.pl"}
    assert consents.allowed_addresses(addresses, "email", "payment_reminders") == {"a@example.pl"}
    assert consents.allowed_addresses(addresses, "email", "marketing") == set()
    assert consents.allowed_addresses(addresses, "email", "internal") == {"a@example.pl"}


def test_decisions_are_per_channel_and_purpose_with_history(db):
    consents.set_consent(
        PORTAL,
        "Jan@Example.pl",
        "email",
        "marketing",
        True,
        source=ConsentSource.PORTAL,
        portal_user_id=None,
    )
    consent = consents.set_consent(
        PORTAL,
        "jan@example.pl",
        "email",
        "marketing",
        False,
        source=ConsentSource.PORTAL,
        note="rezygnacja",
    )
    assert consent.address == "jan@example.pl" and consent.granted is False
    assert [c.granted for c in consent.changes] == [True, False]
    last = consent.changes[-1]
    assert (last.actor_kind, last.actor_id, last.ip, last.note) == (
        "portal",
        7,
        "203.0.113.9",
        "rezygnacja",
    )
    assert not consents.allows("jan@example.pl", "email", "marketing")
    assert consents.allows("jan@example.pl", "email", "transactional")  # other purpose
    same = consents.set_consent(
        PORTAL, "jan@example.pl", "email", "marketing", False, source=ConsentSource.PORTAL
    )
    assert len(same.changes) == 2  # repeating a decision adds no history
    assert [c.id for c in consents.history("jan@example.pl")] == [
        c.id for c in reversed(consent.changes)
    ]


def test_phone_consents_use_e164(db):
    consents.set_consent(
        PORTAL, "600 100 200", "sms", "transactional", False, source=ConsentSource.PORTAL
    )
    assert consents.allowed_addresses(["+48600100200"], "sms", "transactional") == set()


def test_bad_input_is_refused(db):
    with pytest.raises(ValidationFailed):
        consents.set_consent(
            PORTAL, "not-an-address", "email", "marketing", True, source=ConsentSource.PORTAL
        )
    with pytest.raises(ValidationFailed):
        consents.set_consent(
            PORTAL, "a@example.pl", "email", "internal", False, source=ConsentSource.PORTAL
        )


def test_marketing_stops_for_suppressed_even_with_consent(db):
    consents.set_consent(
        PORTAL, "b@example.pl", "email", "marketing", True, source=ConsentSource.SIGNUP_FORM
    )
    assert consents.allows("b@example.pl", "email", "marketing")
    consents.suppress(PORTAL, "B@example.pl", SuppressionReason.COMPLAINT)
    consents.suppress(PORTAL, "b@example.pl", SuppressionReason.HARD_BOUNCE)  # idempotent
    assert not consents.allows("b@example.pl", "email", "marketing")
    assert consents.suppressed_emails(["B@EXAMPLE.PL", "c@example.pl"]) == {"b@example.pl"}
    assert consents.suppressed_emails() == {"b@example.pl"}
    assert consents.unsuppress(PORTAL, "b@example.pl") is True
    assert consents.allows("b@example.pl", "email", "marketing")
