"""Staff and portal login, logout, redirects, sessions, rate limits, the two kinds of users."""

import datetime as dt
import re
from email.utils import parsedate_to_datetime

import pytest
import requests

from tests.conftest import PASSWORD, login
from tests.factories import make_customer, make_portal_user, make_user


def test_login_page_is_polish(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Zaloguj" in page and '<html lang="pl">' in page


def test_anonymous_console_redirects_to_login(client):
    resp = client.get("/admin/users/?page=2")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")


def test_login_and_dashboard(client, db):
    user = make_user(roles=("sales",), password=PASSWORD)
    db.session.commit()
    login(client, user.email)
    resp = client.get("/admin/")
    assert resp.status_code == 200
    assert user.name in resp.get_data(as_text=True)


def test_login_accepts_internal_domains_and_any_case(client, db):
    user = make_user(roles=("sales",), password=PASSWORD, email="sales@demo.local")
    db.session.commit()
    resp = client.post("/login", data={"email": " SALES@demo.local ", "password": PASSWORD})
    assert resp.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert user.last_login_at is not None


def test_wrong_password_is_refused(client, db):
    user = make_user(roles=("sales",), password=PASSWORD)
    db.session.commit()
    resp = client.post("/login", data={"email": user.email, "password": "nope-nope"})
    assert resp.status_code == 200
    assert "Nieprawidłowy" in resp.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_inactive_user_cannot_log_in(client, db):
    user = make_user(roles=("sales",), password=PASSWORD, active=False)
    db.session.commit()
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 200
    assert "nieaktywne" in resp.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_deactivated_user_loses_the_open_session(staff_client, db):
    c = staff_client("sales")
    assert c.get("/admin/").status_code == 200
    c.user.active = False
    db.session.commit()
    assert c.get("/admin/").status_code == 302


def test_a_password_reset_ends_the_users_open_sessions(staff_client, admin_client, db, app):
    c = staff_client("sales")
    assert c.get("/admin/").status_code == 200
    resp = admin_client.post("/admin/users/reset-password/", data={"id": c.user.id})
    assert resp.status_code in (200, 302)
    db.session.refresh(c.user)
    assert c.get("/admin/").status_code == 302
    assert admin_client.get("/admin/").status_code == 200


def test_a_session_id_without_the_password_print_does_not_load(staff_client, db):
    from backoffice.security import load_user

    c = staff_client("sales")
    assert load_user(c.user.get_id()) == c.user
    assert load_user(f"staff:{c.user.id}") is None  # made before sessions carried the print
    assert load_user(f"staff:{c.user.id}:0000000000000000") is None
    assert load_user(f"portal:{c.user.id}:" + c.user.get_id().rsplit(":", 1)[1]) is None


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/admin/", "/admin/"),
        ("/admin/users/?page=2", "/admin/users/?page=2"),
        ("https://evil.example.com/", "/admin/"),
        ("//evil.example.com/x", "/admin/"),
        ("/\\evil.example.com", "/admin/"),
        ("javascript:alert(1)", "/admin/"),
        ("/admin/\r\nSet-Cookie:x=1", "/admin/"),
    ],
)
def test_next_redirect_is_local(client, db, target, expected):
    user = make_user(roles=("sales",), password=PASSWORD)
    db.session.commit()
    resp = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert resp.headers["Location"] == expected


def test_portal_next_stays_in_the_portal(client, db):
    user = make_portal_user(password=PASSWORD)
    db.session.commit()
    resp = client.post(
        "/portal/login?next=/admin/",
        data={"email": user.email, "password": PASSWORD},
    )
    assert resp.headers["Location"] == "/portal/"


def test_logout_needs_post_and_ends_the_session(staff_client):
    c = staff_client("sales")
    assert c.get("/logout").status_code == 405
    assert c.get("/admin/").status_code == 200
    resp = c.post("/logout")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert c.get("/admin/").status_code == 302


def test_portal_logout_returns_to_the_portal_login(portal_client):
    c = portal_client()
    assert c.post("/logout").headers["Location"] == "/portal/login"
    assert c.get("/portal/").status_code == 302


def test_portal_user_never_reaches_the_console(portal_client):
    c = portal_client()
    assert c.get("/portal/").status_code == 200
    assert c.get("/admin/").status_code == 403
    assert c.get("/admin/users/").status_code == 403


def test_staff_cannot_use_the_portal(staff_client):
    c = staff_client("admin")
    assert c.get("/portal/").status_code == 403
    assert c.get("/portal/company").status_code == 403


def test_staff_credentials_do_not_open_the_portal(client, db):
    user = make_user(roles=("admin",), password=PASSWORD)
    db.session.commit()
    resp = client.post("/portal/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 200 and "Nieprawidłowy" in resp.get_data(as_text=True)


def test_each_client_sees_its_own_user(app, db):
    """Requests of different clients in one test do not share the logged-in user."""
    staff = make_user(roles=("sales",), password=PASSWORD, name="Pracownik Biura")
    customer_user = make_portal_user(password=PASSWORD, name="Klient Portalu")
    db.session.commit()
    a = login(app.test_client(), staff.email)
    b = login(app.test_client(), customer_user.email, portal=True)
    for _ in range(2):
        assert "Pracownik Biura" in a.get("/admin/").get_data(as_text=True)
        assert "Klient Portalu" in b.get("/portal/").get_data(as_text=True)


def test_session_is_bound_to_the_browser(app, db):
    """Session protection "strong": a stolen session cookie used by another client fails."""
    user = make_user(roles=("sales",), password=PASSWORD)
    db.session.commit()
    c = app.test_client()
    c.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"User-Agent": "Firefox"},
    )
    assert c.get("/admin/", headers={"User-Agent": "Firefox"}).status_code == 200
    assert c.get("/admin/", headers={"User-Agent": "EvilBot"}).status_code == 302


def test_login_starts_a_fresh_session(app, db):
    user = make_user(roles=("sales",), password=PASSWORD)
    db.session.commit()
    c = app.test_client()
    with c.session_transaction() as s:
        s["planted"] = "by an attacker"
    login(c, user.email)
    with c.session_transaction() as s:
        assert "planted" not in s


def test_session_cookie_flags(client, db):
    user = make_user(roles=("sales",), password=PASSWORD)
    db.session.commit()
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    cookies = resp.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires" not in session_cookie  # gone when the browser closes
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", remember).group(1))
    days = (expires - dt.datetime.now(dt.UTC)).total_seconds() / 86400
    assert 13.9 < days <= 14  # two weeks, not the library's default of a year


def test_idle_session_ends_after_twelve_hours(staff_client):
    import time

    c = staff_client("sales")
    assert c.get("/admin/").status_code == 200
    with c.session_transaction() as s:
        s["_seen"] = int(time.time()) - 11 * 3600
    assert c.get("/admin/").status_code == 200  # still active, and the clock restarts
    with c.session_transaction() as s:
        assert s["_seen"] > time.time() - 60
        s["_seen"] = int(time.time()) - 12 * 3600 - 5
    resp = c.get("/admin/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_security_headers(client):
    resp = client.get("/login")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_logged_in_pages_are_not_cached(staff_client):
    c = staff_client("sales")
    assert c.get("/admin/").headers["Cache-Control"] == "no-store"


def test_language_switch_is_remembered_on_the_user(staff_client, db):
    c = staff_client("sales")
    resp = c.post("/language/en", data={"next": "/admin/"})
    assert resp.headers["Location"] == "/admin/"
    db.session.refresh(c.user)
    assert c.user.locale == "en"
    assert "Log out" in c.get("/admin/").get_data(as_text=True)
    assert c.post("/language/xx").status_code == 404


def test_portal_user_switches_language(portal_client, db):
    c = portal_client(customer=make_customer())
    c.post("/language/en", data={"next": "/portal/"})
    db.session.refresh(c.user)
    assert c.user.locale == "en"
    assert '<html lang="en">' in c.get("/portal/").get_data(as_text=True)


# --- rate limits on a real server (memory storage, and Redis storage when configured) -----


def _attempts(url: str, emails: list[str], path: str = "/login") -> list[requests.Response]:
    """POST a wrong password for each e-mail (with a valid CSRF token); the responses."""
    session = requests.Session()
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', session.get(f"{url}{path}", timeout=10).text
    ).group(1)
    data = {"password": "wrong-password", "csrf_token": token}
    return [session.post(f"{url}{path}", data={**data, "email": e}, timeout=10) for e in emails]


def _codes(responses) -> list[int]:
    return [r.status_code for r in responses]


@pytest.fixture
def limited_stack(infra, request):
    """A real server with low login limits, on the storage named by the parameter."""
    from tests.fixtures.live import LiveStack

    storage = request.param
    config = {
        "LOGIN_RATE_LIMIT": "3 per minute",
        "LOGIN_IP_RATE_LIMIT": "7 per minute",
        "RATELIMIT_STORAGE_URI": infra.redis_url if storage == "redis" else "memory://",
        # No job thread: on SQLite its writes would race the logins (see the report).
        "QUEUE_MODE": "manual",
    }
    stack = LiveStack(infra, config=config)
    stack.worker_count = 0
    stack.start()
    yield stack, storage
    stack.stop()


@pytest.mark.committed
@pytest.mark.slow
@pytest.mark.parametrize(
    "limited_stack", ["memory", pytest.param("redis", marks=pytest.mark.redis)], indirect=True
)
def test_login_is_rate_limited(limited_stack, infra):
    stack, storage = limited_stack
    if storage == "redis":
        import redis

        store = redis.Redis.from_url(infra.redis_url)
        for key in store.scan_iter("*backoffice-limits*"):
            store.delete(key)
    # Per address and account: the fourth attempt within a minute is refused.
    assert _codes(_attempts(stack.url, ["victim@example.com"] * 4)) == [200, 200, 200, 429]
    # Per address: spraying other accounts from the same address is stopped as well, and the
    # portal login shares the limits.
    sprayed = _codes(_attempts(stack.url, [f"user{i}@example.com" for i in range(6)]))
    assert sprayed[0] == 200 and sprayed[-1] == 429
    (refused,) = _attempts(stack.url, ["x@example.com"], path="/portal/login")
    assert refused.status_code == 429 and "Zbyt wiele prób" in refused.text
    if storage == "redis":
        assert any(store.scan_iter("*backoffice-limits*"))  # the counters live in Redis


def test_static_files_are_cacheable_even_when_logged_in(staff_client):
    c = staff_client("sales")
    for path in ("/static/backoffice.css", "/admin/static/vendor/jquery.min.js"):
        resp = c.get(path)
        assert resp.status_code == 200
        assert resp.headers["Cache-Control"] == "public, max-age=3600"
