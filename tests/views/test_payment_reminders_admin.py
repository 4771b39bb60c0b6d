"""Console of payment monitoring: every page for finance (forbidden to others), settings,
a schedule with stages, holds, the dry run, a run by hand, the register with its export,
the ageing report with its chart and export, a customer's dunning history."""

import datetime as dt
import io

import pytest
from sqlalchemy import select

from backoffice.services.dunning_calendar import warsaw_today
from models.audit import AuditEntry
from models.payment_reminders import (
    PaymentNotice,
    PaymentSchedule,
    ReminderHold,
    ReminderSelection,
    SelectionMode,
)
from tests.factories import make_customer
from tests.factories_payments import make_schedule, open_receivable, set_settings

TODAY = warsaw_today()
PAGES = (
    "/admin/payment-reminders/",
    "/admin/payment-reminders/preview",
    "/admin/payment-notices/",
    "/admin/payment-ageing/",
    "/admin/payment-schedules/",
    "/admin/payment-schedules/new/",
    "/admin/payment-holds/",
    "/admin/payment-holds/new/",
    "/admin/payment-selections/",
    "/admin/payment-runs/",
)


@pytest.fixture
def finance(staff_client):
    return staff_client("finance")


@pytest.fixture
def overdue(db):
    set_settings(catch_up_days=0)
    make_schedule()
    customer = make_customer(name="Łódzka Hurtownia Żuraw", email="biuro@zuraw.example.pl")
    open_receivable(customer, due=TODAY - dt.timedelta(days=3), document_number="FV/9/2026")
    open_receivable(customer, due=TODAY - dt.timedelta(days=45), amount="99.00")
    db.session.commit()
    return customer


@pytest.mark.parametrize("path", PAGES)
def test_pages_open_for_finance_and_not_for_sales(finance, staff_client, path, overdue):
    resp = finance.get(path)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert staff_client("sales").get(path).status_code == 403


def test_settings_saved_with_a_clear_error_for_bad_input(finance, db):
    resp = finance.post("/admin/payment-reminders/", data={
        "enabled": "y", "run_at": "06:30", "mode": "chosen", "catch_up_days": "99"})  # fmt: skip
    assert resp.status_code == 200 and "is-invalid" in resp.get_data(as_text=True)
    resp = finance.post("/admin/payment-reminders/", data={
        "enabled": "y", "run_at": "06:30", "mode": "chosen", "catch_up_days": "2"})  # fmt: skip
    assert resp.status_code == 302
    from models.payment_reminders import PaymentReminderSettings

    settings = db.session.scalars(select(PaymentReminderSettings)).one()
    assert settings.run_at == dt.time(6, 30) and settings.mode == SelectionMode.CHOSEN
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "payment_settings.update")
    )


def test_first_visit_creates_the_default_schedule(finance, db):
    finance.get("/admin/payment-reminders/")
    schedule = db.session.scalars(select(PaymentSchedule)).one()
    assert schedule.is_default and [s.offset_days for s in schedule.stages] == [-7, -1, 3, 14, 30]


def test_schedule_with_stages_created_and_refused_when_a_stage_sends_nothing(finance, db):
    group = __import__("tests.factories", fromlist=["make_group"]).make_group()
    db.session.commit()
    form = {
        "name": "Hurt — ostro", "customer_group": str(group.id), "active": "y",
        "thank_you": "always", "thank_email": "y",
        "stages-0-offset_days": "2", "stages-0-name": "Szybkie ponaglenie",
        "stages-0-send_email": "y", "stages-0-email_event": "payment.notice_1",
        "stages-0-sms_event": "payment.notice_1", "stages-0-min_amount": "50",
        "stages-0-active": "y",
    }  # fmt: skip
    bad = dict(form, **{"stages-0-send_email": ""})
    bad.pop("stages-0-send_email")
    resp = finance.post("/admin/payment-schedules/new/", data=bad)
    assert "sends nothing" in resp.get_data(as_text=True) or "nic nie wysyła" in resp.get_data(
        as_text=True
    )
    assert db.session.scalar(select(PaymentSchedule)) is None
    resp = finance.post("/admin/payment-schedules/new/", data=form)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    schedule = db.session.scalars(select(PaymentSchedule)).one()
    assert schedule.customer_group_id == group.id and schedule.stages[0].offset_days == 2


def test_hold_and_exclusion_from_the_customer_page(finance, db, overdue):
    url = f"/admin/payment-customer/{overdue.id}"
    page = finance.get(url).get_data(as_text=True)
    assert "FV/9/2026 (" in page  # the document can be held on its own
    resp = finance.post(url, data={"hold-reason": "Reklamacja dostawy", "hold-ends_on":
                                   (TODAY + dt.timedelta(days=10)).isoformat()})  # fmt: skip
    assert resp.status_code == 302
    hold = db.session.scalars(select(ReminderHold)).one()
    assert hold.customer_id == overdue.id and hold.starts_on == TODAY
    resp = finance.post(url, data={"sel-kind": "excluded", "sel-note": "Windykacja zewnętrzna"})
    assert resp.status_code == 302
    assert db.session.scalars(select(ReminderSelection)).one().note == "Windykacja zewnętrzna"
    resp = finance.post(f"/admin/payment-holds/release/{hold.id}", data={})
    db.session.refresh(hold)
    assert hold.released_at is not None


def test_preview_run_and_register(finance, db, overdue, run_jobs):
    page = finance.get("/admin/payment-reminders/preview").get_data(as_text=True)
    assert (
        "Łódzka Hurtownia Żuraw" in page
        and "FV/9/2026" in page
        and "biuro@zuraw.example.pl" in page
    )
    assert db.session.scalar(select(PaymentNotice)) is None  # a preview writes nothing
    resp = finance.post("/admin/payment-reminders/run")
    assert resp.status_code == 302
    run_jobs()
    filtered = finance.get(resp.headers["Location"])  # the register filtered to the run
    assert filtered.status_code == 200 and "FV/9/2026" in filtered.get_data(as_text=True)
    notice = db.session.scalars(select(PaymentNotice)).one()
    register = finance.get("/admin/payment-notices/").get_data(as_text=True)
    assert "FV/9/2026" in register and "biuro@zuraw.example.pl" in register
    details = finance.get(f"/admin/payment-notices/details/?id={notice.id}").get_data(as_text=True)
    assert "FV/9/2026" in details
    export = finance.get("/admin/payment-notices/export/xlsx/")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.data)).active
    assert "FV/9/2026" in [c.value for row in sheet.iter_rows() for c in row]
    history = finance.get(f"/admin/payment-customer/{overdue.id}").get_data(as_text=True)
    assert "FV/9/2026" in history
    settings = finance.get("/admin/payment-reminders/")  # the settings page lists the run
    assert settings.status_code == 200 and 'data-testid="runs"' in settings.get_data(as_text=True)


def test_ageing_buckets_chart_and_export(finance, db, overdue):
    page = finance.get("/admin/payment-ageing/").get_data(as_text=True)
    assert 'data-testid="ageing-chart"' in page and "<svg" in page
    assert "Łódzka Hurtownia Żuraw" in page
    export = finance.get("/admin/payment-ageing/export.xlsx")
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[1][0] == "Łódzka Hurtownia Żuraw"
    assert [float(v) for v in rows[1][3:9]] == [0, 1230.0, 99.0, 0, 0, 1329.0]


def test_customer_page_links_to_the_dunning_history_for_finance(finance, staff_client, overdue):
    page = finance.get(f"/admin/customers/details/?id={overdue.id}").get_data(as_text=True)
    assert f"/admin/payment-customer/{overdue.id}" in page
    other = staff_client("sales").get(f"/admin/customers/details/?id={overdue.id}")
    assert "/admin/payment-customer/" not in other.get_data(as_text=True)
