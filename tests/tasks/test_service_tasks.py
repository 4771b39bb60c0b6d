"""The repair-report job: runs after the goods go back, keeps one PDF, safe to run twice."""

import datetime as dt
import io

import pypdf

from backoffice.services.service_attachments import attachment_path
from backoffice.services.service_ticket_edits import add_work_line
from models.jobs import Job, JobStatus
from models.service_tickets import AttachmentKind, ServiceTicket
from tasks.service_tickets import render_repair_report
from tests.factories_service import STAFF, WARRANTY_PATH, make_ticket, make_unit, walk


def test_report_is_rendered_once_with_the_repair(db):
    unit = make_unit(purchase_date=dt.date(2025, 3, 10))
    ticket = make_ticket(
        unit, filed_on=dt.date(2026, 1, 5), fault_description="Nie włącza się — zażółć gęślą jaźń"
    )
    ticket.diagnosis = "Uszkodzony włącznik"
    add_work_line(
        STAFF,
        ticket,
        kind="part",
        description="Włącznik 230 V",
        quantity="1",
        unit_price_net="34.50",
    )
    walk(
        ticket,
        WARRANTY_PATH,
        {"goods_received": dt.date(2026, 1, 5), "returned": dt.date(2026, 1, 25)},
    )
    db.session.commit()
    job = db.session.query(Job).filter_by(func="tasks.service_tickets.render_repair_report").one()
    assert job.status == JobStatus.PENDING and job.args == [ticket.id]
    render_repair_report(*job.args)
    render_repair_report(*job.args)  # a second run (retry, duplicate) adds nothing
    ticket = db.session.get(ServiceTicket, ticket.id)
    [report] = [a for a in ticket.attachments if a.kind == AttachmentKind.REPAIR_REPORT]
    text = "".join(
        p.extract_text()
        for p in pypdf.PdfReader(io.BytesIO(attachment_path(report).read_bytes())).pages
    )
    assert "Karta naprawy" in text and ticket.number in text
    assert "zażółć gęślą jaźń" in text and "Uszkodzony włącznik" in text
    assert "34,50" in text and "30 mar 2027" in text


def test_missing_ticket_is_ignored(db):
    render_repair_report(999_999)
