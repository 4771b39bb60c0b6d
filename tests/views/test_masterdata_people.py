"""Console: suppliers, portal users, the company profile and the dashboard counters."""

import io

from sqlalchemy import func, select

from backoffice.services.company import get_profile
from models import AuditEntry, CompanyProfile, PortalUser, Supplier
from tests.factories import make_customer, make_portal_user, make_product, make_supplier
from tests.factories_masterdata import page_messages, png_bytes

# --- suppliers ----------------------------------------------------------------------------


def test_purchasing_creates_supplier_with_checked_nip(staff_client, db):
    client = staff_client("purchasing")
    bad = client.post("/admin/suppliers/new/", data={"name": "Dostawca", "nip": "123-456-78-90"})
    assert any("NIP" in m for m in page_messages(bad.get_data(as_text=True)))
    ok = client.post(
        "/admin/suppliers/new/",
        data={
            "name": "Fabryka Śrub",
            "nip": "PL 526-000-12-46",
            "postal_code": "61001",
            "country": "pl",
            "active": "y",
        },
    )
    assert ok.status_code == 302, page_messages(ok.get_data(as_text=True))
    supplier = db.session.scalar(select(Supplier))
    assert (supplier.nip, supplier.postal_code, supplier.country) == ("5260001246", "61-001", "PL")


def test_sales_cannot_create_suppliers(staff_client, db):
    staff_client("sales").post("/admin/suppliers/new/", data={"name": "X"})
    assert db.session.scalar(select(func.count(Supplier.id))) == 0


# --- portal users -------------------------------------------------------------------------


def test_create_portal_user_shows_generated_password_once(staff_client, db):
    customer = make_customer(name="Klient Łomża")
    db.session.commit()
    client = staff_client("sales")
    resp = client.post(
        "/admin/portal-users/new/",
        data={
            "name": "Jan Portalowy",
            "email": "Jan@Klient.PL",
            "customer": str(customer.id),
            "locale": "pl",
            "can_file_returns": "y",
            "is_company_admin": "y",
        },
    )
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert 'data-testid="generated-password"' in resp.get_data(as_text=True)
    user = db.session.scalar(select(PortalUser))
    assert (user.email, user.customer_id, user.can_file_returns) == (
        "jan@klient.pl",
        customer.id,
        True,
    )
    assert user.is_company_admin is True


def test_portal_user_needs_exactly_one_company(admin_client, db):
    supplier = make_supplier()
    customer = make_customer()
    db.session.commit()
    data = {"name": "X", "email": "x@example.com", "locale": "pl", "password": "dobre-haslo-1"}
    none = admin_client.post("/admin/portal-users/new/", data=data)
    both = admin_client.post(
        "/admin/portal-users/new/",
        data={**data, "customer": str(customer.id), "supplier": str(supplier.id)},
    )
    for resp in (none, both):
        assert any("kontrahenta albo dostawcę" in m for m in page_messages(resp.get_data(True)))
    assert db.session.scalar(select(func.count(PortalUser.id))) == 0


def test_edit_flags_deactivate_and_reset_password(admin_client, db):
    user = make_portal_user(can_file_returns=False)
    db.session.commit()
    resp = admin_client.post(
        f"/admin/portal-users/edit/?id={user.id}",
        data={"name": "Nowe Imię", "email": user.email, "locale": "en", "can_file_returns": "y"},
    )
    assert resp.status_code == 302, page_messages(resp.get_data(as_text=True))
    db.session.refresh(user)
    assert (user.name, user.locale, user.can_file_returns, user.can_accept_offers) == (
        "Nowe Imię",
        "en",
        True,
        False,
    )
    admin_client.post("/admin/portal-users/deactivate/", data={"id": str(user.id)})
    db.session.refresh(user)
    assert user.active is False
    old_hash = user.password_hash
    reset = admin_client.post("/admin/portal-users/reset-password/", data={"id": str(user.id)})
    assert 'data-testid="generated-password"' in reset.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash != old_hash
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"portal.update", "portal.deactivate", "portal.reset_password"} <= actions


def test_finance_sees_portal_users_but_cannot_change_them(staff_client, db):
    user = make_portal_user()
    db.session.commit()
    client = staff_client("finance")
    assert client.get("/admin/portal-users/").status_code == 200
    assert (
        client.post("/admin/portal-users/deactivate/", data={"id": str(user.id)}).status_code == 403
    )
    db.session.refresh(user)
    assert user.active is True


def test_customer_lookup_for_portal_user_form(admin_client, db):
    make_customer(name="Hurtownia Zębiec")
    db.session.commit()
    resp = admin_client.get("/admin/portal-users/ajax/lookup/?name=customer&query=Zębiec")
    assert resp.status_code == 200
    assert resp.json[0][1] == "Hurtownia Zębiec"


# --- company profile ----------------------------------------------------------------------


def company_form(**overrides):
    data = {
        "name": "Hurtownia Demo sp. z o.o.",
        "street": "ul. Prosta 1",
        "postal_code": "00838",
        "city": "Warszawa",
        "country": "PL",
        "nip": "526-000-12-46",
        "bank_account": "61 1090 1014 0000 0712 1981 2874",
    }
    data.update(overrides)
    return data


def test_get_profile_creates_one_row(db):
    first = get_profile()
    assert get_profile() is first
    assert db.session.scalar(select(func.count(CompanyProfile.id))) == 1


def test_company_profile_saves_iban_and_logo(admin_client, db):
    data = company_form(logo=(io.BytesIO(png_bytes()), "logo.png"))
    resp = admin_client.post("/admin/company/", data=data)
    assert resp.status_code == 302, page_messages(resp.get_data(as_text=True))
    profile = get_profile()
    db.session.refresh(profile)
    assert profile.bank_account == "PL61109010140000071219812874"
    assert (profile.nip, profile.postal_code) == ("5260001246", "00-838")
    assert profile.logo_path.startswith("logos/company/")
    page = admin_client.get("/admin/company/").get_data(as_text=True)
    assert "PL61 1090 1014 0000 0712 1981 2874" in page
    assert admin_client.get("/admin/company/logo").data[:4] == b"\x89PNG"


def test_company_profile_refuses_bad_iban_and_fake_logo(admin_client, db):
    resp = admin_client.post("/admin/company/", data=company_form(bank_account="PL00 1234"))
    assert any("rachunku" in m for m in page_messages(resp.get_data(as_text=True)))
    fake = admin_client.post(
        "/admin/company/", data=company_form(logo=(io.BytesIO(b"GIF89a...."), "logo.png"))
    )
    assert any("PNG" in m for m in page_messages(fake.get_data(as_text=True)))
    profile = get_profile()
    assert profile.bank_account is None and profile.logo_path is None


def test_only_admins_edit_company_profile(staff_client):
    assert staff_client("sales").get("/admin/company/").status_code == 403


# --- dashboard ------------------------------------------------------------------------------


def test_dashboard_counters(admin_client, db):
    make_customer()
    make_customer(active=False)
    make_product(ean=None)
    make_product()
    db.session.commit()
    page = admin_client.get("/admin/").get_data(as_text=True)
    for label in (
        "Aktywni kontrahenci",
        "Nieaktywni kontrahenci",
        "Aktywne produkty",
        "Produkty bez EAN lub ceny",
    ):
        assert label in page
