"""In Chromium: log in and out; an administrator creates a colleague who then logs in."""

import pytest

from tests.conftest import PASSWORD
from tests.factories import make_user
from tests.fixtures.browser import log_in, submit
from tests.fixtures.live import LiveStack

pytestmark = [pytest.mark.browser, pytest.mark.committed]


@pytest.fixture(scope="module")
def stack(infra, module_smtp_sink):
    """The app served for real; on SQLite without the embedded job thread (see test_roles)."""
    config = {} if infra.redis_url else {"QUEUE_MODE": "manual"}
    stack = LiveStack(infra, mail_url=module_smtp_sink.url, config=config).start()
    yield stack
    stack.stop()


def test_staff_logs_in_and_out(db, stack, page):
    user = make_user(roles=("sales",), password=PASSWORD, name="Zenon Żółkiewski")
    db.session.commit()
    log_in(page, stack.url, user.email)
    assert page.url.endswith("/admin/")
    assert "Zenon Żółkiewski" in page.content()
    page.click("#user-menu")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/login")
    assert "Wylogowano" in page.content()


def _pick_role(page, label: str) -> None:
    """Choose a role in the select2 multi-select as a person does: type, then Enter."""
    page.click("#s2id_roles input")
    page.keyboard.type(label)
    page.wait_for_selector(".select2-result-label >> text=" + label)
    page.keyboard.press("Enter")


def test_admin_creates_a_colleague_who_logs_in(db, stack, page, browser):
    admin = make_user(roles=("admin",), password=PASSWORD, name="Anna Administratorka")
    db.session.commit()
    base = stack.url
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, base, admin.email)
    # Administration → Users → Create
    page.click("text=Administracja")
    page.click("a.dropdown-item >> text=Użytkownicy")
    page.wait_for_url("**/admin/users/")
    page.click("a.nav-link >> text=Tworzenie")
    page.fill("#name", "Łukasz Świętokrzyski")
    page.fill("#email", "lukasz@example.com")
    _pick_role(page, "Sprzedaż")
    _pick_role(page, "Zwroty (RMA)")
    page.click("input[type=submit].btn-primary")
    # The generated password is shown once.
    page.wait_for_selector("[data-testid=password-once]")
    password = page.input_value("[data-testid=generated-password]")
    assert len(password) == 14

    # The colleague logs in (another browser) and changes the password.
    other = browser.new_context(locale="pl-PL")
    try:
        them = other.new_page()
        log_in(them, base, "lukasz@example.com", password)
        assert them.url.endswith("/admin/")
        them.click("#user-menu")
        them.click("[data-testid=my-account]")
        them.fill("#pw-current", password)
        them.fill("#pw-new", "Moje-własne-hasło-1")
        them.fill("#pw-repeat", "Moje-własne-hasło-1")
        submit(them, "[data-testid=password-form] button[type=submit]")
        assert "Hasło zostało zmienione" in them.content()

        # The administrator deactivates the account (confirmed); the open session ends.
        submit(page, "text=Gotowe")  # the details page binds data-confirm at its end
        submit(page, "[data-testid=deactivate]")
        assert "zostało dezaktywowane" in page.content()
        them.goto(base + "/admin/")
        assert "/login" in them.url
        log_in(them, base, "lukasz@example.com", "Moje-własne-hasło-1")
        assert "nieaktywne" in them.content()
    finally:
        other.close()
