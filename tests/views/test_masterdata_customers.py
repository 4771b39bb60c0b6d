"""Console: customers with addresses, contacts and a logo; customer groups."""

import io

import pytest
from sqlalchemy import func, select

from models import AuditEntry, Contact, Customer
from tests.factories import make_customer, make_group, make_user, valid_nip
from tests.factories_masterdata import jpeg_bytes, page_messages, png_bytes


def customer_form(**overrides) -> dict:
    data = {
        "name": "Hurtownia Żółw sp. z o.o.",
        "nip": "526-000-12-46",
        "email": "Biuro@Zolw.PL",
        "locale": "pl",
        "active": "y",
        "addresses-0-kind": "billing",
        "addresses-0-street": "ul. Długa 5",
        "addresses-0-postal_code": "00950",
        "addresses-0-city": "Warszawa",
        "addresses-0-country": "pl",
        "addresses-0-is_default": "y",
        "contacts-0-name": "Zofia Kowalska",
        "contacts-0-email": "zofia@zolw.pl",
        "contacts-0-may_file_returns": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def customers(db) -> int:
    return db.session.scalar(select(func.count(Customer.id)))


def test_create_customer_with_address_and_contact(admin_client, db):
    resp = admin_client.post("/admin/customers/new/", data=customer_form())
    assert resp.status_code == 302, page_messages(resp.get_data(as_text=True))
    customer = db.session.scalar(select(Customer))
    assert (customer.nip, customer.email) == ("5260001246", "biuro@zolw.pl")
    address = customer.address("billing")
    assert (address.postal_code, address.country) == ("00-950", "PL")
    assert customer.contacts[0].may_file_returns is True
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "customer.create"))
    assert entry.changes["contacts"]["added"] == ["Zofia Kowalska <zofia@zolw.pl>"]


def test_wrong_nip_shows_polish_message_and_writes_nothing(admin_client, db):
    resp = admin_client.post("/admin/customers/new/", data=customer_form(nip="1234567890"))
    assert resp.status_code == 200
    messages = page_messages(resp.get_data(as_text=True))
    assert any("Nieprawidłowy NIP 1234567890" in m for m in messages), messages
    assert customers(db) == 0
    assert db.session.scalar(select(func.count(Contact.id))) == 0


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("addresses-0-postal_code", "9000", "00-950"),
        ("contacts-0-email", "nie-adres", "adres e-mail"),
        ("return_window_months", "200", "120"),
        ("name", "", "wymagane"),
    ],
)
def test_bad_customer_input(admin_client, db, field, value, message):
    resp = admin_client.post("/admin/customers/new/", data=customer_form(**{field: value}))
    assert resp.status_code == 200
    assert any(message in m for m in page_messages(resp.get_data(as_text=True)))
    assert customers(db) == 0


def test_two_default_billing_addresses_are_refused(admin_client, db):
    data = customer_form(
        **{
            "addresses-1-kind": "billing",
            "addresses-1-street": "ul. Krótka 1",
            "addresses-1-postal_code": "00-001",
            "addresses-1-city": "Warszawa",
            "addresses-1-country": "PL",
            "addresses-1-is_default": "y",
        }
    )
    resp = admin_client.post("/admin/customers/new/", data=data)
    assert resp.status_code == 200
    assert customers(db) == 0


def test_account_manager_must_be_a_sales_user(admin_client, db):
    rep = make_user(roles=("sales",), name="Handlowiec Henryk")
    clerk = make_user(roles=("finance",), name="Księgowa Krystyna")
    db.session.commit()
    page = admin_client.get("/admin/customers/new/").get_data(as_text=True)
    assert "Handlowiec Henryk" in page and "Księgowa Krystyna" not in page
    resp = admin_client.post(
        "/admin/customers/new/", data=customer_form(account_manager=str(clerk.id))
    )
    assert resp.status_code == 200 and customers(db) == 0
    assert any("wybór" in m for m in page_messages(resp.get_data(as_text=True)))
    resp = admin_client.post(
        "/admin/customers/new/", data=customer_form(account_manager=str(rep.id))
    )
    assert resp.status_code == 302
    assert db.session.scalar(select(Customer)).account_manager_id == rep.id


def test_logo_upload_checked_by_content(admin_client, db, app):
    customer = make_customer()
    db.session.commit()
    url = f"/admin/customers/edit/?id={customer.id}"
    base = customer_form(nip=customer.nip)
    fake = admin_client.post(url, data={**base, "logo": (io.BytesIO(b"MZ not an image"), "a.png")})
    assert any("PNG" in m for m in page_messages(fake.get_data(as_text=True)))
    big = {
        **base,
        "logo": (io.BytesIO(png_bytes((3000, 3000), "white") + b"\0" * 2_200_000), "big.png"),
    }
    assert any("2 MB" in m for m in page_messages(admin_client.post(url, data=big).get_data(True)))
    db.session.refresh(customer)
    assert customer.logo_path is None
    ok = admin_client.post(url, data={**base, "logo": (io.BytesIO(jpeg_bytes()), "logo.jpg")})
    assert ok.status_code == 302
    db.session.refresh(customer)
    assert customer.logo_path.startswith("logos/customers/")
    image = admin_client.get(f"/admin/customers/logo/{customer.id}")
    assert image.status_code == 200 and image.data[:3] == b"\xff\xd8\xff"
    details = admin_client.get(f"/admin/customers/details/?id={customer.id}").get_data(True)
    assert "customer-logo" in details


def test_search_by_nip_with_dashes_and_filters(admin_client, db):
    nip = valid_nip()
    make_customer(name="Szukany Śląsk", nip=nip)
    make_customer(name="Inny", active=False)
    db.session.commit()
    dashed = f"{nip[:3]}-{nip[3:6]}-{nip[6:8]}-{nip[8:]}"
    body = admin_client.get(f"/admin/customers/?search=PL {dashed}").get_data(as_text=True)
    assert "Szukany Śląsk" in body and "Inny" not in body
    inactive = admin_client.get("/admin/customers/inactive/", follow_redirects=True)
    body = inactive.get_data(as_text=True)
    assert "Inny" in body and "Szukany Śląsk" not in body


def test_group_filter_lists_current_groups(admin_client, db):
    group = make_group(name="Instalatorzy Podkarpacie")
    make_customer(name="W grupie", group=group)
    make_customer(name="Bez grupy")
    db.session.commit()
    page = admin_client.get("/admin/customers/").get_data(as_text=True)
    assert "Instalatorzy Podkarpacie" in page  # the filter's options are read per request
    body = admin_client.get(f"/admin/customers/?flt0_0={group.id}").get_data(as_text=True)
    assert "W grupie" in body and "Bez grupy" not in body


def test_details_show_addresses_contacts_and_history_link(admin_client, db):
    customer = make_customer(name="Szczegółowy")
    db.session.commit()
    body = admin_client.get(f"/admin/customers/details/?id={customer.id}").get_data(True)
    assert "ul. Żółkiewskiego" in body
    assert f"object_id={customer.id}" in body


def test_finance_sees_customers_but_cannot_create(staff_client, db):
    client = staff_client("finance")
    assert client.get("/admin/customers/").status_code == 200
    client.post("/admin/customers/new/", data=customer_form())
    assert customers(db) == 0


def test_export_csv_has_polish_letters(admin_client, db):
    make_customer(name="Żółta Łódź")
    db.session.commit()
    csv = admin_client.get("/admin/customers/export/csv/")
    assert csv.data.startswith(b"\xef\xbb\xbf")
    assert "Żółta Łódź" in csv.data.decode("utf-8-sig")


def test_customer_groups_crud(staff_client, db):
    client = staff_client("sales")
    resp = client.post("/admin/customer-groups/new/", data={"name": "VIP", "code": ""})
    assert resp.status_code == 302
    again = client.post("/admin/customer-groups/new/", data={"name": "VIP", "code": ""})
    assert again.status_code == 200
