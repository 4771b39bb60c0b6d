"""The portal shell: home, the company's profile and users, the user's own account."""

from sqlalchemy import select

from backoffice.security import verify_password
from models import PortalUser
from tests.conftest import PASSWORD, login
from tests.factories import make_customer, make_portal_user, make_supplier


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_portal_pages_need_a_portal_login(client):
    for path in ("/portal/", "/portal/company", "/portal/account"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/portal/login")


def test_home_lists_the_menu(portal_client):
    c = portal_client()
    page = text(c.get("/portal/"))
    assert "Witaj" in page and "/portal/company" in page and "/portal/account" in page


def test_company_page_shows_only_own_colleagues(portal_client, db):
    mine, other = make_customer(name="Hurtownia Żółw"), make_customer(name="Konkurencja")
    make_portal_user(customer=mine, name="Kolega Z Pracy")
    make_portal_user(customer=other, name="Obcy Człowiek")
    c = portal_client(customer=mine)
    page = text(c.get("/portal/company"))
    assert "Hurtownia Żółw" in page and "Kolega Z Pracy" in page
    assert "Obcy Człowiek" not in page


def test_supplier_user_sees_the_supplier(portal_client):
    c = portal_client(supplier=make_supplier(name="Dostawca Śrub"))
    assert "Dostawca Śrub" in text(c.get("/portal/company"))


def test_only_company_admins_add_colleagues(portal_client, db, app):
    customer = make_customer()
    plain = portal_client(customer=customer)
    assert plain.get("/portal/company/users/new").status_code == 403
    boss = portal_client(customer=customer, is_company_admin=True)
    resp = boss.post(
        "/portal/company/users/new",
        data={
            "name": "Nowa Osoba",
            "email": "nowa@klient.example.com",
            "password": "Hasło-Nowej-1",
            "can_file_returns": "y",
        },
    )
    assert resp.status_code == 302
    user = db.session.scalars(
        select(PortalUser).where(PortalUser.email == "nowa@klient.example.com")
    ).one()
    assert user.customer_id == customer.id and user.can_file_returns
    assert not user.can_accept_offers  # unchecked boxes are off
    assert login(app.test_client(), user.email, "Hasło-Nowej-1", portal=True)


def test_add_colleague_errors(portal_client, db):
    customer = make_customer()
    make_portal_user(customer=customer, email="zajety@klient.example.com")
    boss = portal_client(customer=customer, is_company_admin=True)
    resp = boss.post(
        "/portal/company/users/new",
        data={"name": "X", "email": "ZAJETY@klient.example.com", "password": "Hasło-Nowej-1"},
    )
    assert resp.status_code == 200
    assert "Konto z tym adresem e-mail już istnieje" in text(resp)


def test_toggle_colleague(portal_client, db):
    customer = make_customer()
    colleague = make_portal_user(customer=customer)
    stranger = make_portal_user(customer=make_customer())
    boss = portal_client(customer=customer, is_company_admin=True)
    assert boss.post(f"/portal/company/users/{colleague.id}/active").status_code == 302
    db.session.refresh(colleague)
    assert not colleague.active
    assert boss.post(f"/portal/company/users/{stranger.id}/active").status_code == 404
    assert boss.post(f"/portal/company/users/{boss.user.id}/active").status_code == 404
    assert boss.get(f"/portal/company/users/{colleague.id}/active").status_code == 405


def test_account_change_password_and_language(portal_client, db, app):
    c = portal_client()
    elsewhere = login(app.test_client(), c.user.email, portal=True)
    resp = c.post(
        "/portal/account",
        data={
            "form": "password",
            "pw-current": "wrong-one",
            "pw-new": "Nowe-hasło-9",
            "pw-repeat": "Nowe-hasło-9",
        },
    )
    assert "Obecne hasło jest nieprawidłowe" in text(resp)
    resp = c.post(
        "/portal/account",
        data={
            "form": "password",
            "pw-current": PASSWORD,
            "pw-new": "Nowe-hasło-9",
            "pw-repeat": "Nowe-hasło-9",
        },
    )
    assert resp.status_code == 302
    db.session.refresh(c.user)
    assert verify_password(c.user.password_hash, "Nowe-hasło-9")
    assert c.get("/portal/account").status_code == 200
    assert elsewhere.get("/portal/account").status_code == 302
    c.post("/portal/account", data={"form": "language", "lang-locale": "en"})
    db.session.refresh(c.user)
    assert c.user.locale == "en"


def test_start_page_leads_portal_users_to_the_portal(portal_client, client):
    assert portal_client().get("/").headers["Location"] == "/portal/"
    assert client.get("/").headers["Location"] == "/admin/"
