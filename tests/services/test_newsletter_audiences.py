"""Audiences: segments of registered customers by every criterion, list members, and the
rules that leave people out (consent, suppression, leaving the list, bad or repeated
addresses), counted before sending."""

from __future__ import annotations

import datetime as dt

import pytest

from backoffice.actors import SYSTEM
from backoffice.errors import ValidationFailed
from backoffice.services import consents
from backoffice.services import newsletter_audiences as audiences
from backoffice.services.newsletter_lists import leave_list
from models.customers import Address, AddressKind
from models.messaging import SuppressionReason
from models.orders import OrderStatus
from tests.factories import (
    make_contact,
    make_customer,
    make_group,
    make_order,
    make_product,
    make_product_group,
)
from tests.factories_loyalty import give_points
from tests.factories_newsletters import add_members, grant, make_campaign, make_list, make_segment


def _customer(region="mazowieckie", **overrides):
    customer = make_customer(**overrides)
    customer.addresses[0].region = region
    return customer


def _ids(criteria: dict) -> set[int]:
    from backoffice.extensions import db

    return set(db.session.scalars(audiences.segment_query(audiences.clean_criteria(criteria))))


def test_segment_criteria_select_the_right_customers(db):
    vip = make_group(name="VIP")
    tools = make_product_group(name="Elektronarzędzia")
    drills = make_product_group(name="Wiertarki", parent=tools)
    drill = make_product(group=drills)
    a = _customer(group=vip)
    b = _customer(region="łódzkie", group=vip)
    c = _customer()
    inactive = _customer(active=False)
    now = dt.datetime.now(dt.UTC)
    make_order(a, lines=[(drill, "1", "10")], placed_at=now - dt.timedelta(days=10))
    make_order(b, placed_at=now - dt.timedelta(days=200))
    make_order(c, lines=[(drill, "1", "10")], placed_at=now, status=OrderStatus.CANCELLED)
    give_points(a, 500)
    give_points(b, 50)
    assert _ids({}) >= {a.id, b.id, c.id} and inactive.id not in _ids({})
    assert _ids({"customer_group_ids": [vip.id]}) == {a.id, b.id}
    assert _ids({"regions": ["ŁÓDZKIE"]}) == {b.id}
    assert _ids({"product_group_ids": [tools.id]}) == {a.id}  # a subgroup counts; cancelled not
    assert _ids({"points_min": 100}) == {a.id}
    assert _ids({"points_max": 60, "customer_group_ids": [vip.id]}) == {b.id}
    last_month = (now - dt.timedelta(days=30)).date().isoformat()
    assert _ids({"last_order_from": last_month}) == {a.id}
    assert _ids({"last_order_to": last_month}) == {b.id}


@pytest.mark.parametrize(
    "criteria, field",
    [
        ({"points_min": "dużo"}, "points_min"),
        ({"points_min": 10, "points_max": 5}, "points_max"),
        ({"last_order_from": "2026-13-01"}, "last_order_from"),
        ({"last_order_from": "2026-03-10", "last_order_to": "2026-03-01"}, "last_order_to"),
        ({"customer_group_ids": [999999]}, "customer_group_ids"),
    ],
)
def test_bad_criteria_name_the_field(db, criteria, field):
    with pytest.raises(ValidationFailed) as caught:
        audiences.clean_criteria(criteria)
    assert field in caught.value.errors


def test_audience_counts_everyone_left_out_and_why(db):
    newsletter_list = make_list()
    members = add_members(newsletter_list, 4)
    add_members(newsletter_list, 1, consent=False)
    consents.suppress(SYSTEM, members[0], SuppressionReason.UNSUBSCRIBED)
    leave_list(SYSTEM, newsletter_list.id, members[1], source="console")
    group = make_group()
    customer = _customer(group=group, email="Biuro@Firma.example.pl")
    contact = make_contact(customer, email=members[2].upper(), name="Ola Gęś")  # also a member
    make_contact(customer, email="zły adres@x")
    make_contact(customer, email=members[1])  # left the list: not mailed from the segment
    grant("biuro@firma.example.pl")
    campaign = make_campaign(
        newsletter_list, segment_id=make_segment(customer_group_ids=[group.id]).id
    )
    found = audiences.audience(campaign)
    assert found.summary() == {
        "eligible": 3,
        "from_list": 4,
        "from_segment": 4,
        "duplicates": 1,
        "invalid": 1,
        "no_consent": 1,
        "suppressed": 1,
        "left_list": 1,
    }
    emails = {c.email for c in found.eligible}
    assert emails == {members[2], members[3], "biuro@firma.example.pl"}
    assert contact.email.lower() in emails
    company = next(c for c in found.eligible if c.email == "biuro@firma.example.pl")
    assert company.customer_id == customer.id and company.source == "segment"


def test_segment_can_take_only_the_company_address_or_only_people(db):
    group = make_group()
    customer = _customer(group=group, email="firma@x.example.pl")
    make_contact(customer, email="osoba@x.example.pl")
    for email in ("firma@x.example.pl", "osoba@x.example.pl"):
        grant(email)
    newsletter_list = make_list()
    for whose, expected in (
        ("company", {"firma@x.example.pl"}),
        ("contacts", {"osoba@x.example.pl"}),
    ):
        segment = make_segment(customer_group_ids=[group.id], contacts=whose)
        campaign = make_campaign(newsletter_list, include_members=False, segment_id=segment.id)
        assert {c.email for c in audiences.audience(campaign).eligible} == expected


def test_still_allowed_rechecks_consent_suppression_and_the_list(db):
    newsletter_list = make_list()
    emails = add_members(newsletter_list, 4)
    grant(emails[0], granted=False)
    consents.suppress(SYSTEM, emails[1], SuppressionReason.HARD_BOUNCE)
    leave_list(SYSTEM, newsletter_list.id, emails[2], source="unsubscribe")
    assert audiences.still_allowed(newsletter_list.id, emails) == {emails[3]}
    other = make_list()
    assert audiences.still_allowed(other.id, emails) == {emails[2], emails[3]}


def test_address_normalising():
    assert audiences.normalise("  Jan.Kowalski@Firma.PL ") == "jan.kowalski@firma.pl"
    for bad in ("", None, "bez-malpy", "a@b", "zażółć@firma.pl", "a..b@firma.pl", "a b@firma.pl"):
        assert audiences.normalise(bad) is None


def test_region_of_a_shipping_address_counts_too(db):
    customer = _customer(region=None)
    customer.addresses.append(
        Address(
            kind=AddressKind.SHIPPING,
            street="ul. Długa 1",
            postal_code="80-001",
            city="Gdańsk",
            region="pomorskie",
        )
    )
    db.session.flush()
    assert customer.id in _ids({"regions": ["pomorskie"]})
