"""Every role in Chromium: log in, open every menu entry it sees, meet a 403, log out.

The menu entries are read from the rendered navbar, so pages added by later modules are
visited too. Screenshots of each role's start page and 403 page go to test-artifacts/.
"""

from __future__ import annotations

import pytest

from models.users import Role
from tests.conftest import ARTIFACTS, PASSWORD
from tests.factories import make_customer, make_portal_user, make_supplier, make_user
from tests.fixtures.browser import log_in
from tests.fixtures.live import LiveStack
from views.admin.base import SecureMixin

pytestmark = [pytest.mark.browser, pytest.mark.committed]

CONSOLE_LINKS = "[data-testid=main-menu] a[href]:not([href^='javascript'])"
PORTAL_LINKS = "#portal-nav a.nav-link[href]"


@pytest.fixture(scope="module")
def stack(infra, module_smtp_sink):
    """The app served for real (with a worker process when Redis is configured).

    On SQLite the embedded job thread is left out: its commits would race the pages'
    read-then-write transactions ("database is locked"), and these tests need no jobs.
    """
    config = {} if infra.redis_url else {"QUEUE_MODE": "manual"}
    stack = LiveStack(infra, mail_url=module_smtp_sink.url, config=config).start()
    yield stack
    stack.stop()


def _hrefs(page, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    return list(dict.fromkeys(h for h in hrefs if h and h.startswith("/")))


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"roles-{name}.png"))


def _visit_all(page, base: str, hrefs: list[str], name: str) -> list[str]:
    """Open each page; the problems found (status, error page, not Polish)."""
    problems = []
    for href in hrefs:
        response = page.goto(base + href, wait_until="domcontentloaded")
        status = response.status if response else 0
        error = page.locator("[data-testid=error-title]")
        lang = page.get_attribute("html", "lang")
        if status >= 400 or error.count() or lang != "pl" or "Wyloguj" not in page.content():
            problems.append(f"{href}: status {status}, lang {lang!r}")
            _shot(page, f"{name}-problem-{len(problems)}")
    return problems


def _forbidden_console_page(app, role: str) -> str | None:
    """The list page of a console view this role may not open (None for admins)."""
    admin = app.extensions["admin"][0]
    if role == Role.ADMIN:
        return None
    for view in admin._views:
        if isinstance(view, SecureMixin) and view.roles and role not in view.roles:
            return view.url.rstrip("/") + "/"
    return None


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_staff_role_walks_its_menu(app, db, stack, page, role):
    user = make_user(roles=(role,), password=PASSWORD, name=f"Rola {role} Żółć")
    db.session.commit()
    base = stack.url
    log_in(page, base, user.email)
    assert page.url.endswith("/admin/"), page.content()[-1500:] + stack.server_log()
    _shot(page, f"{role}-start")
    hrefs = _hrefs(page, CONSOLE_LINKS)
    assert ("/admin/users/" in hrefs) == (role == Role.ADMIN)
    assert "/admin/" in hrefs  # the dashboard
    problems = _visit_all(page, base, hrefs, role)
    assert not problems, f"{role}:\n" + "\n".join(problems)

    forbidden = _forbidden_console_page(app, role) or "/portal/"
    response = page.goto(base + forbidden)
    assert response.status == 403, f"{role} opened {forbidden}: {response.status}"
    assert page.text_content("[data-testid=error-title]").strip() == "Brak dostępu"

    page.goto(base + "/admin/")
    page.click("#user-menu")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/login")
    assert "Wylogowano" in page.content()
    page.goto(base + "/admin/")
    assert "/login" in page.url


@pytest.mark.parametrize("kind", ["customer", "supplier"])
def test_portal_user_walks_its_menu(db, stack, page, kind):
    company = {"customer": make_customer()} if kind == "customer" else {"supplier": make_supplier()}
    user = make_portal_user(
        password=PASSWORD,
        name=f"Portal {kind} Źdźbło",
        is_company_admin=True,
        can_file_returns=True,
        **company,
    )
    db.session.commit()
    base = stack.url
    log_in(page, base, user.email, portal=True)
    assert page.url.endswith("/portal/"), page.content()[-1500:] + stack.server_log()
    _shot(page, f"portal-{kind}-start")
    hrefs = _hrefs(page, PORTAL_LINKS)
    assert "/portal/company" in hrefs and "/portal/account" in hrefs
    problems = _visit_all(page, base, hrefs, f"portal-{kind}")
    assert not problems, f"{kind}:\n" + "\n".join(problems)

    response = page.goto(base + "/admin/")
    assert response.status == 403

    page.goto(base + "/portal/")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/portal/login")
    assert "Wylogowano" in page.content()
