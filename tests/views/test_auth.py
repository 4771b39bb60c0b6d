"""Staff login, logout, roles, redirects."""

import pytest

from tests.conftest import PASSWORD, login
from tests.factories import make_user


def test_login_page_is_polish(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    assert "Zaloguj" in resp.get_data(as_text=True)


def test_anonymous_console_redirects_to_login(client):
    resp = client.get("/admin/")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_login_and_dashboard(client, db):
    user = make_user(roles=("sales",), password=PASSWORD)
    db.session.commit()
    login(client, user.email)
    resp = client.get("/admin/")
    assert resp.status_code == 200
    assert user.name in resp.get_data(as_text=True)


def test_wrong_password_is_refused(client, db):
    user = make_user(roles=("sales",), password=PASSWORD)
    db.session.commit()
    resp = client.post("/login", data={"email": user.email, "password": "nope-nope"})
    assert resp.status_code == 200
    assert "Nieprawidłowy" in resp.get_data(as_text=True)


def test_inactive_user_cannot_log_in(client, db):
    user = make_user(roles=("sales",), password=PASSWORD, active=False)
    db.session.commit()
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 200
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/admin/", "/admin/"),
        ("https://evil.example.com/", "/admin/"),
        ("//evil.example.com/x", "/admin/"),
        ("/\\evil.example.com", "/admin/"),
    ],
)
def test_next_redirect_is_local(client, db, target, expected):
    user = make_user(roles=("sales",), password=PASSWORD)
    db.session.commit()
    resp = client.post(f"/login?next={target}", data={"email": user.email, "password": PASSWORD})
    assert resp.headers["Location"] == expected


def test_logout(staff_client):
    c = staff_client("sales")
    assert c.post("/logout").status_code == 302
    assert c.get("/admin/").status_code == 302


def test_portal_user_cannot_reach_console(portal_client):
    c = portal_client()
    resp = c.get("/admin/")
    assert resp.status_code in (302, 403)
    assert c.get("/portal/").status_code == 200


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json["database"] == "ok"
