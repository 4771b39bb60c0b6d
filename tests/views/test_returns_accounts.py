"""B2B account applications: public form with the returns request, staff approval that
creates the customer and a portal user with the permission, the one-time password link."""

import re

import pytest

from models.customers import Customer
from models.messaging import Message
from models.returns import AccountApplication, ApplicationStatus
from models.users import PortalUser
from tests.factories import make_customer, valid_nip

FORM = {
    "company_name": "Żabka Hurt sp. z o.o.",
    "street": "ul. Świętokrzyska 1",
    "postal_code": "00-001",
    "city": "Warszawa",
    "contact_name": "Łucja Kowalczyk",
    "email": "Lucja@ZabkaHurt.pl",
    "phone": "601 234 567",
    "wants_returns": "y",
    "consent": "y",
}


@pytest.fixture
def nip():
    return valid_nip()


def apply(client, nip, **overrides):
    return client.post("/accounts/apply", data={**FORM, "nip": f"PL {nip}", **overrides})


def test_public_form_stores_the_application_and_confirms_it(client, db, nip):
    page = client.get("/accounts/apply").get_data(as_text=True)
    assert "RMA" in page
    resp = apply(client, nip)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/accounts/apply/thanks")
    application = db.session.query(AccountApplication).one()
    assert application.nip == nip and application.email == "lucja@zabkahurt.pl"
    assert application.phone == "+48601234567" and application.wants_returns
    mail = db.session.query(Message).filter_by(event="account_application.received").one()
    assert mail.recipient == "lucja@zabkahurt.pl" and "Żabka Hurt" in mail.subject


def test_invalid_nip_missing_consent_and_duplicates_are_refused(client, db, nip):
    bad = apply(client, "1234567890").get_data(as_text=True)
    assert "NIP" in bad and db.session.query(AccountApplication).count() == 0
    no_consent = apply(client, nip, consent="")
    assert no_consent.status_code == 200
    assert apply(client, nip).status_code == 302
    again = apply(client, nip)
    assert again.status_code == 200
    assert db.session.query(AccountApplication).count() == 1


def test_honeypot_pretends_success_and_stores_nothing(client, db, nip):
    resp = apply(client, nip, website="http://spam.example")
    assert resp.status_code == 302
    assert db.session.query(AccountApplication).count() == 0


def test_approval_creates_customer_and_user_with_returns_and_a_one_time_link(
    app, client, db, nip, staff_client
):
    apply(client, nip)
    application = db.session.query(AccountApplication).one()
    sales = staff_client("sales")
    page = sales.get(f"/admin/account_applications/details/?id={application.id}")
    assert "Łucja Kowalczyk" in page.get_data(as_text=True)
    sales.post(
        "/admin/account_applications/approve/",
        data={"id": application.id, "customer_id": "", "can_file_returns": "1"},
    )
    db.session.refresh(application)
    assert application.status == ApplicationStatus.APPROVED
    user = db.session.query(PortalUser).filter_by(email="lucja@zabkahurt.pl").one()
    assert user.can_file_returns and user.is_company_admin
    customer = db.session.get(Customer, user.customer_id)
    assert customer.nip == nip and customer.addresses[0].city == "Warszawa"
    mail = db.session.query(Message).filter_by(event="account_application.approved").one()
    link = re.search(r"http://localhost(/accounts/set-password/\S+)", mail.body_text).group(1)
    visitor = app.test_client()
    assert visitor.get(link).status_code == 200
    weak = visitor.post(link, data={"password": "short", "repeat": "short"})
    assert weak.status_code == 200
    done = visitor.post(link, data={"password": "Nowe-hasło-2026", "repeat": "Nowe-hasło-2026"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/portal/")
    assert visitor.get("/portal/returns").status_code == 200
    assert app.test_client().get(link).status_code == 410  # used once


def test_approval_links_an_existing_customer_and_may_withhold_returns(
    client, db, nip, staff_client
):
    existing = make_customer(nip=nip, name="Żabka Hurt (ERP)")
    db.session.commit()
    apply(client, nip)
    application = db.session.query(AccountApplication).one()
    staff_client("sales").post(
        "/admin/account_applications/approve/",
        data={"id": application.id, "customer_id": existing.id},
    )
    user = db.session.query(PortalUser).filter_by(email="lucja@zabkahurt.pl").one()
    assert user.customer_id == existing.id and not user.can_file_returns


def test_rejection_needs_a_reason_and_is_mailed(client, db, nip, staff_client):
    apply(client, nip)
    application = db.session.query(AccountApplication).one()
    sales = staff_client("sales")
    sales.post("/admin/account_applications/reject/", data={"id": application.id, "note": ""})
    db.session.refresh(application)
    assert application.status == ApplicationStatus.PENDING
    sales.post(
        "/admin/account_applications/reject/", data={"id": application.id, "note": "Brak NIP w KRS"}
    )
    db.session.refresh(application)
    assert application.status == ApplicationStatus.REJECTED
    mail = db.session.query(Message).filter_by(event="account_application.rejected").one()
    assert "Brak NIP w KRS" in mail.body_text
    again = sales.post(
        "/admin/account_applications/approve/", data={"id": application.id}, follow_redirects=True
    )
    assert db.session.query(PortalUser).count() == 0 and again.status_code == 200


def test_portal_login_page_links_to_the_form(client):
    assert "/accounts/apply" in client.get("/portal/login").get_data(as_text=True)
