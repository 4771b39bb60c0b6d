"""Chromium: finance previews the run, sends it by hand, finds the notice in the register,
opens the customer's dunning history from the ageing report and puts the customer on hold."""

import datetime as dt
import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from backoffice.services.dunning_calendar import warsaw_today
from models.payment_reminders import ReminderHold
from tests.conftest import PASSWORD
from tests.factories import make_customer, make_user
from tests.factories_payments import make_schedule, open_receivable, set_settings
from tests.fixtures.browser import log_in
from tests.fixtures.waiting import wait_for_jobs

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def _retry_while_sqlite_is_busy(db, arrange, tries: int = 10):
    """SQLite has one writer: the server's start-up run of the day (after 08:00 Warsaw time)
    may hold it, and a reader that wants to write then gets "database is locked" at once."""
    for attempt in range(tries):
        try:
            return arrange()
        except OperationalError as exc:
            db.session.rollback()
            if "database is locked" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


def test_preview_run_register_ageing_and_hold(db, live_stack, page):
    page.on("dialog", lambda dialog: dialog.accept())
    today = warsaw_today()

    def arrange():
        set_settings(catch_up_days=0, enabled=False)
        make_schedule()
        customer = make_customer(name="Hurtownia Żuraw", email="biuro@zuraw.example.pl")
        open_receivable(customer, due=today - dt.timedelta(days=3), document_number="FV/77/2026")
        open_receivable(customer, due=today - dt.timedelta(days=70), document_number="FV/12/2026")
        staff = make_user(roles=("finance",), password=PASSWORD)
        db.session.commit()
        return customer, staff

    customer, staff = _retry_while_sqlite_is_busy(db, arrange)

    log_in(page, live_stack.url, staff.email)
    page.goto(f"{live_stack.url}/admin/payment-reminders/")
    page.click("[data-testid=preview-link]")
    preview = page.inner_text("[data-testid=preview]")
    assert (
        "Hurtownia Żuraw" in preview and "FV/77/2026" in preview and "zostanie wysłane" in preview
    )
    page.goto(f"{live_stack.url}/admin/payment-reminders/")
    page.click("[data-testid=run-now]")
    page.wait_for_url("**/admin/payment-notices/**")
    assert "Uruchomienie zakończone: 1" in page.content()
    wait_for_jobs(db)
    page.reload()
    row = page.inner_text("table.model-list")
    assert "FV/77/2026" in row and "biuro@zuraw.example.pl" in row

    page.goto(f"{live_stack.url}/admin/payment-ageing/")
    assert page.is_visible("[data-testid=ageing-chart]")
    page.click("[data-testid=ageing] >> text=Hurtownia Żuraw")
    assert "FV/77/2026" in page.inner_text("[data-testid=dunning-history]")
    page.fill("input[name=hold-reason]", "Reklamacja dostawy — spór")
    page.fill("input[name=hold-ends_on]", (today + dt.timedelta(days=14)).isoformat())
    page.click("[data-testid=hold-form] button[type=submit]")
    page.wait_for_selector("text=Wstrzymanie zostało ustawione.")
    assert "Reklamacja dostawy — spór" in page.inner_text("[data-testid=holds]")
    db.session.commit()
    assert db.session.scalars(select(ReminderHold)).one().customer_id == customer.id
    wait_for_jobs(db)
