"""POST /api/v1/newsletter/subscribe: the shop signs visitors up with double opt-in."""

from __future__ import annotations

from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.services import newsletter_subscribers as subscribers
from models.messaging import Message
from models.newsletters import Subscriber
from tests.factories_integration import ApiClient, make_token
from tests.factories_newsletters import make_list

URL = "/api/v1/newsletter/subscribe"


def test_the_shop_signs_a_visitor_up(app, db, api):
    newsletter_list = make_list(name="Nowości B2B", is_default=True)
    body = {
        "email": " Marek@Sklep.example.pl ",
        "name": "Marek Żak",
        "ip": "2001:db8::1",
        "consent_text": "Chcę dostawać newsletter",
        "locale": "en",
    }
    resp = api.post(URL, body)
    assert resp.status_code == 202, resp.get_json()
    assert resp.get_json() == {"status": "pending", "list_id": newsletter_list.id}
    row = db.session.scalar(select(Subscriber))
    assert (row.email, row.source, row.ip, row.locale) == (
        "marek@sklep.example.pl",
        "api",
        "2001:db8::1",
        "en",
    )
    message = db.session.scalar(select(Message).where(Message.event == "newsletter.confirm"))
    assert message.locale == "en" and "Confirm" in message.subject
    subscribers.confirm(SYSTEM, row)
    db.session.commit()
    again = api.post(URL, body)
    assert again.status_code == 202 and again.get_json()["status"] == "confirmed"
    assert db.session.scalar(select(Message.id).where(Message.id != message.id)) is None


def test_bad_bodies_get_422_with_fields(app, db, api):
    make_list(is_default=True)
    for body, field in (
        ({"email": "nie-adres"}, "email"),
        ({"email": "a@b.pl", "ip": "300.1.1.1"}, "ip"),
        ({"email": "a@b.pl", "list_id": 999999}, "list_id"),
        ({"email": "a@b.pl", "extra": 1}, "extra"),
    ):
        resp = api.post(URL, body)
        assert resp.status_code == 422 and field in resp.get_json()["errors"], resp.get_json()
    assert db.session.scalar(select(Subscriber)) is None


def test_only_shop_tokens_may_sign_up(app, db):
    _row, secret = make_token(scopes=("erp",))
    client = ApiClient(app.test_client(), secret)
    assert client.post(URL, {"email": "a@b.pl"}).status_code == 403
    assert app.test_client().post(URL, json={"email": "a@b.pl"}).status_code == 401
