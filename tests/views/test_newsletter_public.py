"""What readers click in a newsletter, with no login and (for one-click) no cookies: the
RFC 8058 POST, the unsubscribe page, preferences, tracked links and the open pixel, and the
double opt-in sign-up form. Every tampered link answers 400."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.services import consents, newsletter_preparing, newsletters
from backoffice.services.newsletter_links import sign
from backoffice.services.newsletter_lists import has_left, is_member
from models.messaging import Channel, Message, Purpose
from models.newsletters import (
    CampaignEvent,
    CampaignLink,
    CampaignRecipient,
    EventKind,
    Subscriber,
    SubscriberStatus,
)
from tests.factories_newsletters import add_members, make_campaign, make_list


@pytest.fixture
def recipient(db):
    """A campaign written down (recipients, links) with one member, and that member's row."""
    newsletter_list = make_list(name="Nowości")
    add_members(newsletter_list, 1)
    campaign = make_campaign(newsletter_list)
    newsletters.send_now(SYSTEM, campaign)
    newsletter_preparing.prepare_campaign(campaign.id, SYSTEM)
    return db.session.scalars(select(CampaignRecipient)).one()


def _url(kind: str, row, link_id: int = 0) -> str:
    if kind == "c":
        return f"/nl/c/{row.id}/{link_id}/{sign('c', row.id, link_id)}"
    if kind == "o":
        return f"/nl/o/{row.id}/{sign('o', row.id)}.gif"
    return f"/nl/{kind}/{row.id}/{sign(kind, row.id)}"


def test_one_click_unsubscribe_works_without_cookies_or_csrf(app, db, recipient, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client(use_cookies=False)
    resp = client.post(
        _url("u", recipient),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert "Set-Cookie" not in resp.headers
    campaign_list = recipient.campaign.list_id
    assert has_left(campaign_list, recipient.email)
    assert recipient.unsubscribed_at is not None
    assert consents.allows(recipient.email, Channel.EMAIL, Purpose.MARKETING)  # only this list
    kinds = db.session.scalars(select(CampaignEvent.detail)).all()
    assert kinds == ["list"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_unsubscribe_link_is_refused(client, recipient, method):
    good = _url("u", recipient)
    for bad in (
        good[:-3] + "abc",
        good.replace(f"/{recipient.id}/", f"/{recipient.id + 1}/"),
        _url("p", recipient).replace("/p/", "/u/"),
    ):
        resp = getattr(client, method)(bad, data={"List-Unsubscribe": "One-Click"})
        assert resp.status_code == 400
    assert not has_left(recipient.campaign.list_id, recipient.email)


def test_the_page_lets_the_reader_leave_all_marketing(client, db, recipient):
    page = client.get(_url("u", recipient)).get_data(as_text=True)
    assert recipient.email in page and "Nowości" in page and "/nl/p/" in page
    resp = client.post(_url("u", recipient), data={"scope": "all"})
    assert resp.status_code == 302 and "done=all" in resp.headers["Location"]
    assert not consents.allows(recipient.email, Channel.EMAIL, Purpose.MARKETING)
    assert consents.is_suppressed(recipient.email)
    done = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="unsubscribed"' in done


def test_preferences_change_lists_and_marketing(client, db, recipient):
    other = make_list(name="Promocje hurtowe", public=True)
    page = client.get(_url("p", recipient)).get_data(as_text=True)
    assert "Promocje hurtowe" in page and "Nowości" in page
    own = recipient.campaign.list_id
    resp = client.post(_url("p", recipient), data={"list": [str(other.id)], "marketing": "on"})
    assert resp.status_code == 302
    assert is_member(other.id, recipient.email) and has_left(own, recipient.email)
    client.post(_url("p", recipient), data={"list": [str(other.id), str(own)]})
    assert not consents.allows(recipient.email, Channel.EMAIL, Purpose.MARKETING)
    client.post(_url("p", recipient), data={"list": [str(own)], "marketing": "on"})
    assert consents.allows(recipient.email, Channel.EMAIL, Purpose.MARKETING)
    assert not consents.is_suppressed(recipient.email) and is_member(own, recipient.email)
    assert client.get(_url("p", recipient)[:-1] + "x").status_code == 400


def test_click_redirect_goes_only_to_urls_of_the_campaign(client, db, recipient):
    link = db.session.scalars(
        select(CampaignLink).where(CampaignLink.url.like("https://sklep.example.pl/%"))
    ).one()
    resp = client.get(_url("c", recipient, link.id) + "?url=https://evil.example.com/")
    assert resp.status_code == 302 and resp.headers["Location"] == link.url
    assert recipient.clicked_at is not None and recipient.opened_at is not None
    foreign = make_campaign()
    other_link = CampaignLink(campaign_id=foreign.id, url="https://evil.example.com/")
    db.session.add(other_link)
    db.session.flush()
    assert client.get(_url("c", recipient, other_link.id)).status_code == 400  # signed, not ours
    assert (
        client.get(
            f"/nl/c/{recipient.id}/{link.id}/{sign('c', recipient.id, other_link.id)}"
        ).status_code
        == 400
    )
    assert client.get(f"/nl/c/{recipient.id}/{link.id}/x").status_code == 400
    assert client.get("/nl/c/1/1/https:%2F%2Fevil.example.com").status_code in (400, 404)
    clicks = db.session.scalars(
        select(CampaignEvent).where(CampaignEvent.kind == EventKind.CLICK)
    ).all()
    assert [c.link_id for c in clicks] == [link.id]


def test_open_pixel(client, recipient):
    resp = client.get(_url("o", recipient))
    assert resp.status_code == 200 and resp.mimetype == "image/gif"
    assert "no-store" in resp.headers["Cache-Control"] and recipient.opened_at is not None
    assert client.get(_url("o", recipient).replace(".gif", "x.gif")).status_code == 400


def test_sign_up_form_sends_a_confirmation_and_the_link_confirms(client, db):
    newsletter_list = make_list(name="Nowości z hurtowni", is_default=True)
    page = client.get("/newsletter/subscribe").get_data(as_text=True)
    assert "Nowości z hurtowni" in page and 'lang="pl"' in page
    resp = client.post(
        "/newsletter/subscribe",
        data={"email": "Ewa@Example.pl", "name": "Ewa", "list_id": newsletter_list.id},
    )
    assert (
        resp.status_code == 200
        and "consent" in resp.get_data(as_text=True).lower()
        or "zgod" in resp.get_data(as_text=True)
    )
    assert db.session.scalar(select(Subscriber)) is None
    resp = client.post(
        "/newsletter/subscribe",
        data={
            "email": "Ewa@Example.pl",
            "name": "Ewa",
            "list_id": newsletter_list.id,
            "consent": "y",
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        "/newsletter/subscribe/thanks"
    )
    message = db.session.scalar(select(Message).where(Message.event == "newsletter.confirm"))
    link = re.search(r"http://localhost(/newsletter/confirm/\S+)", message.body_text).group(1)
    confirm_page = client.get(link)
    assert confirm_page.status_code == 200 and "ewa@example.pl" in confirm_page.get_data(
        as_text=True
    )
    row = db.session.scalar(select(Subscriber))
    assert row.status == SubscriberStatus.PENDING  # a GET (e.g. a link scanner) confirms nothing
    assert client.post(link).status_code == 200
    assert row.status == SubscriberStatus.CONFIRMED and is_member(
        newsletter_list.id, "ewa@example.pl"
    )
    assert client.get(link[:-4] + "abcd").status_code == 400


def test_honeypot_sign_ups_are_dropped_silently(client, db):
    newsletter_list = make_list(is_default=True)
    resp = client.post(
        "/newsletter/subscribe",
        data={
            "email": "bot@example.pl",
            "consent": "y",
            "website": "http://spam",
            "list_id": newsletter_list.id,
        },
    )
    assert resp.status_code == 302 and db.session.scalar(select(Subscriber)) is None


def test_only_the_one_click_view_is_exempt_from_csrf(app, db, recipient, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client()
    make_list(is_default=True)
    assert client.post("/newsletter/subscribe", data={"email": "a@b.pl"}).status_code == 400
    assert client.post(_url("p", recipient), data={"marketing": "on"}).status_code == 400
    token = "x" * 20
    assert client.post(f"/newsletter/confirm/{token}").status_code == 400
    assert client.post(_url("u", recipient), data={"scope": "all"}).status_code == 302
