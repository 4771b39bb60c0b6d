"""Portal: a customer's user changes their own notification preferences."""

from __future__ import annotations

from sqlalchemy import select

from models.consents import Consent, ConsentChange


def test_portal_user_opts_in_to_marketing_and_out_of_sms(db, portal_client):
    client = portal_client(email="zofia@klient.example.pl", phone="+48 601 200 300")
    page = client.get("/portal/preferences").get_data(as_text=True)
    assert "zofia@klient.example.pl" in page and "+48601200300" in page
    form = {  # everything ticked except SMS order notices; marketing by e-mail ticked
        "email:transactional": "on",
        "email:payment_reminders": "on",
        "email:marketing": "on",
        "sms:payment_reminders": "on",
    }
    assert client.post("/portal/preferences", data=form).status_code == 302
    rows = {(c.address, c.purpose.value): c.granted for c in db.session.scalars(select(Consent))}
    assert rows == {
        ("zofia@klient.example.pl", "marketing"): True,
        ("+48601200300", "transactional"): False,
    }
    change = db.session.scalars(select(ConsentChange).order_by(ConsentChange.id)).first()
    assert change.source.value == "portal" and change.actor_kind == "portal"
    assert change.ip == "127.0.0.1"
    page = client.get("/portal/preferences").get_data(as_text=True)
    assert 'data-testid="consent-history"' in page


def test_staff_cannot_open_the_portal_page(db, admin_client):
    assert admin_client.get("/portal/preferences").status_code in (302, 403)
