"""With CSRF on (as in production) every POST form of the returns pages carries its token,
and a POST without it is refused."""

import re

import pytest

from backoffice.actors import actor_for
from backoffice.services.return_workflow import decide_return, receive_return
from tests.factories import make_customer, make_portal_user, make_user
from tests.factories_returns import make_condition, make_reason, make_return, make_returnable_note

POST_FORM = re.compile(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)


def post_forms(html: str) -> list[str]:
    return POST_FORM.findall(html)


@pytest.fixture
def csrf_on(app, monkeypatch):
    """Call after logging in (the test login helper posts without a token)."""
    return lambda: monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@pytest.fixture
def returns(db):
    customer = make_customer()
    submitted = make_return(make_returnable_note(customer))
    received = make_return(make_returnable_note(customer))
    officer = actor_for(make_user(roles=("rma",)))
    decide_return(officer, received)
    receive_return(officer, received)
    make_reason(), make_condition()
    db.session.commit()
    return customer, submitted, received


def test_console_forms_carry_the_token(db, csrf_on, staff_client, returns):
    _customer, submitted, received = returns
    rma = staff_client("rma", "sales")
    csrf_on()
    pages = [
        f"/admin/returns/details/?id={submitted.id}",
        f"/admin/returns/details/?id={received.id}",
        "/admin/returns/permissions/",
    ]
    for url in pages:
        forms = post_forms(rma.get(url).get_data(as_text=True))
        assert forms, url
        for form in forms:
            assert 'name="csrf_token"' in form, (url, form[:300])
    refused = rma.post("/admin/returns/note/", data={"id": submitted.id, "note": "x"})
    assert refused.status_code == 400


def test_portal_and_public_forms_carry_the_token(app, db, csrf_on, portal_client, returns):
    customer, submitted, _received = returns
    filer = portal_client(customer=customer, can_file_returns=True)
    csrf_on()
    pages = [
        f"/portal/returns/new/{submitted.delivery_note_id}",
        f"/portal/returns/{submitted.id}",
    ]
    for url in pages:
        forms = post_forms(filer.get(url).get_data(as_text=True))
        assert forms, url
        for form in forms:
            assert 'name="csrf_token"' in form, (url, form[:300])
    public = app.test_client()
    for form in post_forms(public.get("/accounts/apply").get_data(as_text=True)):
        assert 'name="csrf_token"' in form
    assert filer.post(f"/portal/returns/{submitted.id}/cancel").status_code == 400
    assert public.post("/accounts/apply", data={"company_name": "X"}).status_code == 400


def test_application_details_forms_carry_the_token(client, db, csrf_on, staff_client):
    from models.returns import AccountApplication

    application = AccountApplication(
        company_name="Firma",
        nip="5260250274",
        street="Prosta 1",
        postal_code="00-001",
        city="Warszawa",
        contact_name="Anna",
        email="anna@firma.pl",
    )
    db.session.add(application)
    make_portal_user()
    db.session.commit()
    html = (
        staff_client("sales")
        .get(f"/admin/account_applications/details/?id={application.id}")
        .get_data(as_text=True)
    )
    forms = post_forms(html)
    assert len(forms) >= 2
    assert all('name="csrf_token"' in form for form in forms)
