"""The daily run end to end: one message per customer and stage, idempotent reruns, a crash
halfway, payments through the API between runs (stop the next stage, thank the customer),
statements attached and stored with their hash, the Warsaw run time at midnight."""

import datetime as dt
import hashlib
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.services import messaging
from backoffice.services.dunning_calendar import warsaw_today
from models.messaging import Message, Purpose
from models.payment_reminders import (
    NoticeKind,
    NoticeStatus,
    PaymentNotice,
    ReminderRun,
    RunStatus,
    ThankYouMode,
)
from tasks import payment_reminders as task
from tests.factories import make_contact, make_customer
from tests.factories_integration import ApiClient, make_token
from tests.factories_payments import make_schedule, open_receivable, set_settings, stage

TODAY = warsaw_today()


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def now_iso(hour: int = 9) -> str:
    """Today at ``hour`` Warsaw time, as the job's ``now``."""
    from backoffice.services.dunning_calendar import WARSAW

    return dt.datetime.combine(TODAY, dt.time(hour), tzinfo=WARSAW).isoformat()


def messages(db, **where):
    stmt = select(Message).order_by(Message.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(Message, key) == value)
    return db.session.scalars(stmt).all()


@pytest.fixture
def setup(db):
    set_settings(run_at=dt.time(8, 0), catch_up_days=0)
    schedule = make_schedule()
    customer = make_customer(name="Hurtownia Żuraw sp. z o.o.", email="biuro@zuraw.example.pl")
    make_contact(customer, email="ksiegowosc@zuraw.example.pl", receives_payment_reminders=True)
    make_contact(customer, email="handel@zuraw.example.pl")  # not flagged: no reminders
    first = open_receivable(customer, due=TODAY - days(3), amount="1000.00", paid="250.00",
                            document_number="FV/1/2026")  # fmt: skip
    second = open_receivable(customer, due=TODAY - days(3), amount="230.00",
                             document_number="FV/2/2026")  # fmt: skip
    soon = open_receivable(customer, due=TODAY + days(7), document_number="FV/3/2026")
    db.session.commit()
    return schedule, customer, (first, second, soon)


def test_one_message_per_customer_and_stage_with_all_its_receivables(db, setup, run_jobs):
    _schedule, customer, (first, second, soon) = setup
    assert task.daily_run(now_iso(9)) == 2  # the +3 notice and the -7 reminder
    run_jobs()
    mails = messages(db, event="payment.notice_1")
    assert sorted(m.recipient for m in mails) == [
        "biuro@zuraw.example.pl",
        "ksiegowosc@zuraw.example.pl",
    ]
    body = mails[0].body_text
    assert "FV/1/2026" in body and "FV/2/2026" in body and "FV/3/2026" not in body
    assert "980,00" in body  # 750 + 230 outstanding
    assert mails[0].purpose == Purpose.PAYMENT_REMINDERS
    assert "Dni po terminie" in mails[0].body_html
    reminder = messages(db, event="payment.reminder")
    assert len(reminder) == 2 and "FV/3/2026" in reminder[0].body_text
    notice = db.session.get(PaymentNotice, int(mails[0].related_id))
    assert notice.status == NoticeStatus.QUEUED and notice.message_count == 2
    assert {c: Decimal(v) for c, v in notice.totals.items()} == {"PLN": Decimal("980.00")}
    assert len(notice.items) == 2
    run = db.session.scalars(select(ReminderRun)).one()
    assert run.status == RunStatus.DONE and run.notices == 2 and run.receivables == 3
    assert soon.id and first.id and second.id and customer.id


def test_running_twice_a_day_sends_nothing_the_second_time(db, setup, run_jobs):
    task.daily_run(now_iso(9))
    run_jobs()
    count = len(messages(db))
    assert task.daily_run(now_iso(10)) == 0
    from backoffice.actors import SYSTEM
    from backoffice.services.dunning_runs import plan_run

    assert plan_run(SYSTEM, TODAY).notice_ids == []  # a run by hand finds nothing new
    db.session.commit()
    run_jobs()
    assert len(messages(db)) == count


def test_before_the_run_time_nothing_happens(db, setup, run_jobs):
    assert task.daily_run(now_iso(7)) == 0
    assert db.session.scalar(select(func.count(ReminderRun.id))) == 0


def test_run_time_is_warsaw_time_at_midnight(db, run_jobs):
    set_settings(run_at=dt.time(0, 15), catch_up_days=0)
    make_schedule()
    warsaw_day = dt.date(2026, 5, 13)
    receivable = open_receivable(due=warsaw_day + days(7))
    db.session.commit()
    assert task.daily_run("2026-05-12T22:10:00+00:00") == 0  # 00:10 in Warsaw
    assert task.daily_run("2026-05-12T22:20:00+00:00") == 1  # 00:20 in Warsaw, the 13th
    run = db.session.scalars(select(ReminderRun)).one()
    assert run.run_date == warsaw_day and run.auto_key == "auto:2026-05-13"
    assert receivable.id


def test_crash_halfway_and_rerun_sends_each_message_once(db, run_jobs, monkeypatch):
    from sqlalchemy import update
    from sqlalchemy.exc import OperationalError

    from backoffice.services import dunning_runs
    from models.base import utcnow
    from models.jobs import Job, JobStatus

    monkeypatch.setattr(dunning_runs, "DELIVERY_CHUNK", 2)
    set_settings(run_at=dt.time(0, 0), catch_up_days=0)
    make_schedule()
    customers = [make_customer() for _ in range(5)]
    for c in customers:
        open_receivable(c, due=TODAY - days(3))
    db.session.commit()
    real = messaging.notify
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # the second job dies halfway through its batch
            raise OperationalError("INSERT", {}, ConnectionError("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(messaging, "notify", flaky)
    task.daily_run(now_iso(9))
    run_jobs()
    assert len(messages(db)) == 3  # the first and the third job's notices
    failed = db.session.scalars(select(Job).where(Job.func.like("%deliver_notices"))).all()
    assert sorted(j.status for j in failed).count(JobStatus.PENDING) == 1  # retried later
    db.session.execute(update(Job).values(not_before=utcnow()))
    db.session.commit()
    run_jobs()  # the retry, and a duplicate of it, deliver the rest once
    task.deliver_notices(list(db.session.scalars(select(PaymentNotice.id))))
    assert sorted(m.recipient for m in messages(db)) == sorted(c.email for c in customers)
    statuses = db.session.scalars(select(PaymentNotice.status)).all()
    assert statuses == [NoticeStatus.QUEUED] * 5


@pytest.mark.committed  # a savepoint rolled back inside a job needs a connection of its own
def test_a_notice_that_cannot_be_rendered_fails_alone(db, run_jobs, monkeypatch):
    from backoffice.services.message_templates import TemplateMissing

    set_settings(run_at=dt.time(0, 0), catch_up_days=0)
    make_schedule()
    broken = make_customer(name="Zepsuty szablon sp. z o.o.")
    fine = make_customer()
    for c in (broken, fine):
        open_receivable(c, due=TODAY - days(3))
    db.session.commit()
    real = messaging.notify
    broken_id = broken.id  # read now: the job's session holds SQLite's write lock later

    def picky(*args, customer=None, **kwargs):
        if customer.id == broken_id:
            raise TemplateMissing("no template for payment.notice_1 (pl)")
        return real(*args, customer=customer, **kwargs)

    monkeypatch.setattr(messaging, "notify", picky)
    task.daily_run(now_iso(9))
    run_jobs()
    db.session.commit()  # end the read snapshot: see what the job wrote
    by_customer = {n.customer_id: n for n in db.session.scalars(select(PaymentNotice))}
    assert by_customer[broken.id].status == NoticeStatus.FAILED
    assert "TemplateMissing" in by_customer[broken.id].reason
    assert by_customer[fine.id].status == NoticeStatus.QUEUED
    assert len(messages(db)) == 1


def test_payment_via_api_stops_the_next_stage_and_thanks(db, app, run_jobs):
    set_settings(run_at=dt.time(0, 0), catch_up_days=0)
    make_schedule()
    customer = make_customer(external_id="K-77", email="biuro@lodz.example.pl")
    paid_later = open_receivable(customer, due=TODAY - days(3), external_id="FV-A",
                                 document_number="FV/A/2026", amount="500.00")  # fmt: skip
    db.session.commit()
    task.daily_run(now_iso(9))
    run_jobs()
    assert len(messages(db, event="payment.notice_1")) == 1
    _token, secret = make_token(scopes=("erp",))
    db.session.commit()
    api = ApiClient(app.test_client(), secret)
    body = {
        "receivable_external_id": "FV-A",
        "amount": "500.00",
        "paid_at": "2026-05-01T10:00:00+02:00",
    }
    assert api.put("/api/v1/payments/BANK-9", body).status_code == 201
    assert api.put("/api/v1/payments/BANK-9", body).status_code == 200  # repeated report
    run_jobs()
    thanks = messages(db, event="payment.thank_you")
    assert len(thanks) == 1 and "FV/A/2026" in thanks[0].body_text
    notice = db.session.get(PaymentNotice, int(thanks[0].related_id))
    assert notice.kind == NoticeKind.THANK_YOU and notice.status == NoticeStatus.QUEUED
    # eleven days later the +14 stage would come: the paid receivable gets nothing
    from backoffice.services.dunning_selection import due_groups

    db.session.refresh(paid_later)
    assert not paid_later.is_open
    assert due_groups(TODAY + days(11), 0, "all") == []


def test_partial_payment_thanks_only_when_chosen(db, run_jobs):
    from backoffice.actors import SYSTEM
    from backoffice.services.dunning_thanks import handle_payment
    from models.receivables import Payment

    schedule = make_schedule(thank_you=ThankYouMode.ALWAYS)
    receivable = open_receivable(due=TODAY, amount="100.00", paid="40.00")
    payment = Payment(external_id="P-1", receivable=receivable, amount=Decimal("40.00"),
                      paid_at=dt.datetime.now(dt.UTC))  # fmt: skip
    db.session.add(payment)
    db.session.flush()
    assert handle_payment(SYSTEM, receivable, payment) is None
    schedule.thank_partial = True
    notice = handle_payment(SYSTEM, receivable, payment)
    assert notice is not None and notice.items[0].thanks_key == f"part:{payment.id}"
    assert handle_payment(SYSTEM, receivable, payment) is None  # once per payment


def test_statements_attached_and_stored_with_their_hash(db, run_jobs, app):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from backoffice.services.uploads import absolute_path

    set_settings(run_at=dt.time(0, 0), catch_up_days=0)
    schedule = make_schedule()
    stage(schedule, 3).attach_pdf = True
    stage(schedule, 3).attach_xlsx = True
    customer = make_customer(name="Zażółć Gęślą Jaźń S.A.")
    open_receivable(customer, due=TODAY - days(3), document_number="=HYPERLINK(1)")
    open_receivable(customer, due=TODAY + days(30), document_number="FV/PÓŹNIEJ/1")
    db.session.commit()
    task.daily_run(now_iso(9))
    run_jobs()
    notice = db.session.scalars(select(PaymentNotice)).one()
    pdf = absolute_path(notice.pdf_path).read_bytes()
    assert hashlib.sha256(pdf).hexdigest() == notice.pdf_sha256
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Zażółć Gęślą Jaźń" in text and "FV/PÓŹNIEJ/1" in text
    xlsx = absolute_path(notice.xlsx_path).read_bytes()
    assert hashlib.sha256(xlsx).hexdigest() == notice.xlsx_sha256
    sheet = load_workbook(io.BytesIO(xlsx)).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert "'=HYPERLINK(1)" in cells and "Zestawienie należności" in cells
    mail = messages(db)[0]
    assert [a["mimetype"] for a in mail.attachments] == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]


def test_a_deleted_stage_keeps_the_record_that_it_went_out(db, run_jobs):
    """Notices and items keep their stage's id when the stage is deleted from the schedule:
    a planned notice still goes out (with the default text), and the receivable still counts
    as dunned for the thank-you."""
    from backoffice.actors import SYSTEM
    from backoffice.services.dunning_thanks import handle_payment

    set_settings(run_at=dt.time(0, 0), catch_up_days=0)
    schedule = make_schedule(thank_you=ThankYouMode.AFTER_DUNNING)
    receivable = open_receivable(due=TODAY - days(3), amount="300.00",
                                 document_number="FV/9/2026")  # fmt: skip
    db.session.commit()
    assert task.daily_run(now_iso(9)) == 1
    first_notice = stage(schedule, 3)
    stage_id = first_notice.id
    schedule.stages.remove(first_notice)  # deleted before the delivery job ran
    db.session.commit()
    run_jobs()
    notice = db.session.scalars(select(PaymentNotice)).one()
    assert notice.stage_id == stage_id and notice.stage is None
    assert notice.stage_name == "Pierwsze ponaglenie" and notice.status == NoticeStatus.QUEUED
    assert [i.stage_id for i in notice.items] == [stage_id]
    assert [m.event for m in messages(db)] == ["payment.notice_1"]
    receivable.paid_amount, receivable.is_open = receivable.amount, False
    db.session.flush()
    thanks = handle_payment(SYSTEM, receivable)
    assert thanks is not None and thanks.kind == NoticeKind.THANK_YOU
