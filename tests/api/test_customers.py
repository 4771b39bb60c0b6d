"""PUT/GET /api/v1/customers: NIP and e-mail rules, groups, account managers, contacts."""

from sqlalchemy import func, select

from models.customers import Contact, Customer, CustomerGroup
from tests.factories import make_customer, make_user
from tests.factories_integration import customer_body


def test_create_normalises_nip_phone_and_postal_code(api, db):
    body = customer_body(1, nip="PL 526-000-12-46", group="Hurt")
    body["addresses"][0]["postal_code"] = "90001"
    resp = api.put("/api/v1/customers/K-1", body)
    assert resp.status_code == 201, resp.json
    out = resp.json
    assert out["nip"] == "5260001246" and out["phone"] == "+48601234567"
    assert out["addresses"][0]["postal_code"] == "90-001" and out["group"] == "Hurt"
    assert out["contacts"][0]["receives_payment_reminders"] is True
    assert api.put("/api/v1/customers/K-1", body).json["updated_at"] == out["updated_at"]
    assert db.session.scalar(select(func.count()).select_from(CustomerGroup)) == 1


def test_invalid_nip_email_and_postal_code_are_422(api, db):
    body = customer_body(2, nip="1234567890", email="not-an-email")
    body["addresses"][0]["postal_code"] = "9-1"
    resp = api.put("/api/v1/customers/K-2", body)
    assert resp.status_code == 422
    errors = resp.json["errors"]
    assert "NIP" in errors["nip"][0] and "email" in errors and "addresses.0.postal_code" in errors


def test_unknown_account_manager_names_the_field(api, db):
    resp = api.put("/api/v1/customers/K-3", customer_body(3, account_manager_email="x@y.pl"))
    assert resp.status_code == 422
    assert list(resp.json["errors"]) == ["account_manager_email"]
    rep = make_user(roles=("sales",), email="anna@example.com")
    body = customer_body(3, account_manager_email="Anna@Example.com")
    resp = api.put("/api/v1/customers/K-3", body)
    assert resp.status_code == 201 and resp.json["account_manager_email"] == rep.email


def test_contacts_keep_their_rows_and_console_flags(api, db):
    api.put("/api/v1/customers/K-4", customer_body(4))
    contact = db.session.scalar(select(Contact))
    contact.may_file_returns = True  # set by staff in the console
    db.session.commit()
    body = customer_body(4)
    body["contacts"] = [
        {"name": "Zofia Nowak", "email": "ZOFIA4@zolw.example.com"},  # same person, new name
        {"name": "Jan Bez Maila"},
    ]
    resp = api.put("/api/v1/customers/K-4", body)
    assert resp.status_code == 200
    rows = db.session.scalars(select(Contact).order_by(Contact.id)).all()
    assert [c.id for c in rows][0] == contact.id
    assert rows[0].name == "Zofia Nowak" and rows[0].may_file_returns is True
    assert rows[0].receives_payment_reminders is True and rows[1].name == "Jan Bez Maila"


def test_duplicate_contact_emails_are_refused(api, db):
    body = customer_body(5)
    body["contacts"] = [{"name": "A", "email": "a@x.pl"}, {"name": "B", "email": "A@x.pl"}]
    resp = api.put("/api/v1/customers/K-5", body)
    assert resp.status_code == 422 and "contacts.1" in resp.json["errors"]


def test_console_customer_without_external_id_is_listed(api, db):
    make_customer(external_id=None, name="Klient z konsoli")
    items = api.get("/api/v1/customers").json["items"]
    assert [c["external_id"] for c in items] == [None]
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
