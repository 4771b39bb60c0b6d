"""A staff user logs in to the console in Chromium and out again."""

import pytest

from tests.conftest import PASSWORD
from tests.factories import make_user
from tests.fixtures.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_staff_logs_in_and_out(db, live_stack, page):
    user = make_user(roles=("sales",), password=PASSWORD, name="Zenon Żółkiewski")
    db.session.commit()
    log_in(page, live_stack.url, user.email)
    assert page.url.endswith("/admin/")
    assert "Zenon Żółkiewski" in page.content()
    page.click("#user-menu")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/login")
    assert "Wylogowano" in page.content()
