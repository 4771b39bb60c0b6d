"""The officer's workflow: every transition allowed or refused, partial acceptance,
assessment, dispositions (repair → service), labels, notices to customer and manager."""

import shutil
import subprocess
import sys
import types

import pytest

from backoffice.actors import actor_for
from backoffice.errors import Conflict, InvalidTransition, ValidationFailed
from backoffice.services import uploads
from backoffice.services.return_labels import ensure_label
from backoffice.services.return_workflow import (
    Assessment,
    Resolution,
    add_internal_note,
    assess_return,
    close_return,
    decide_return,
    receive_return,
    resolve_return,
)
from backoffice.services.returns import cancel_return, find_by_code
from models.audit import AuditEntry
from models.jobs import Job
from models.messaging import Message
from models.returns import Disposition, LineDecision, ReturnStatus
from tests.factories import make_customer, make_product, make_user
from tests.factories_returns import make_condition, make_return, make_returnable_note


@pytest.fixture
def officer(db):
    return actor_for(make_user(roles=("rma",), name="Renata Zwrotna"))


def walk_to(rr, status, officer, condition=None):
    """Move a fresh return along the happy path up to ``status``."""
    order = ["accepted", "received", "assessed", "resolved", "closed"]
    for step in order[: order.index(status.value) + 1]:
        if step == "accepted":
            decide_return(officer, rr)
        elif step == "received":
            receive_return(officer, rr)
        elif step == "assessed":
            condition = condition or make_condition()
            assess_return(officer, rr, {ln.id: Assessment(condition.id) for ln in rr.lines})
        elif step == "resolved":
            resolve_return(officer, rr, {ln.id: Resolution("credit_note") for ln in rr.lines})
        elif step == "closed":
            close_return(officer, rr)
    return rr


def step_function(name, officer):
    condition_holder = {}

    def assess(rr):
        cond = condition_holder.setdefault("c", make_condition())
        assess_return(officer, rr, {ln.id: Assessment(cond.id) for ln in rr.accepted_lines})

    return {
        "accept": lambda rr: decide_return(officer, rr),
        "reject": lambda rr: decide_return(officer, rr, set(), note="Brak podstaw"),
        "receive": lambda rr: receive_return(officer, rr),
        "assess": assess,
        "resolve": lambda rr: resolve_return(
            officer, rr, {ln.id: Resolution("exchange") for ln in rr.accepted_lines}
        ),
        "close": lambda rr: close_return(officer, rr),
        "cancel": lambda rr: cancel_return(officer, rr),
    }[name]


ALLOWED = {
    ("submitted", "accept"),
    ("submitted", "reject"),
    ("submitted", "cancel"),
    ("accepted", "receive"),
    ("accepted", "cancel"),
    ("received", "assess"),
    ("assessed", "assess"),  # correcting the assessment
    ("assessed", "resolve"),
    ("resolved", "close"),
}
STATES = ["submitted", "accepted", "received", "assessed", "resolved", "closed", "rejected"]
STEPS = ["accept", "reject", "receive", "assess", "resolve", "close", "cancel"]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("step", STEPS)
def test_transition_table(db, officer, state, step):
    rr = make_return()
    if state == "rejected":
        decide_return(officer, rr, set(), note="Nie")
    elif state != "submitted":
        walk_to(rr, ReturnStatus(state), officer)
    run = step_function(step, officer)
    if (state, step) in ALLOWED:
        run(rr)
    else:
        with pytest.raises(InvalidTransition):
            run(rr)
        assert rr.status == ReturnStatus(state)


def test_partial_acceptance_needs_a_reason_and_tells_the_account_manager(db, officer):
    manager = make_user(roles=("sales",), email="opiekun@firma.pl", name="Olga Opiekun")
    customer = make_customer(account_manager=manager)
    rr = make_return(make_returnable_note(customer), {1: "2", 2: "1"})
    keep = {rr.lines[0].id}
    with pytest.raises(ValidationFailed) as err:
        decide_return(officer, rr, keep)
    assert err.value.field == "note"
    assert decide_return(officer, rr, keep, note="Pozycja 2 po terminie") == ReturnStatus.ACCEPTED
    assert [ln.decision for ln in rr.lines] == [LineDecision.ACCEPTED, LineDecision.REJECTED]
    assert rr.lines[1].decision_note == "Pozycja 2 po terminie"
    assert rr.events[-1].action == "partially_accepted"
    mails = db.session.query(Message).filter_by(related_id=str(rr.id)).all()
    internal = [m for m in mails if m.recipient == "opiekun@firma.pl"]
    assert len(internal) == 1 and internal[0].event == "return.account_manager"
    assert internal[0].purpose.value == "internal"
    assert "częściowo zaakceptowany" in internal[0].subject
    customer_mail = [m for m in mails if m.event == "return.accepted"]
    assert customer_mail and "częściowo zaakceptowany" in customer_mail[0].subject
    assert db.session.query(Job).filter_by(key=f"return-label-{rr.id}").count() == 1


def test_rejection_informs_manager_unless_the_officer_says_no(db, officer):
    manager = make_user(roles=("sales",), email="handlowiec@firma.pl")
    customer = make_customer(account_manager=manager)
    rr = make_return(make_returnable_note(customer))
    decide_return(officer, rr, set(), note="Towar używany", inform_account_manager=False)
    assert rr.status == ReturnStatus.REJECTED
    assert not db.session.query(Message).filter_by(recipient="handlowiec@firma.pl").count()
    rr2 = make_return(make_returnable_note(customer))
    decide_return(officer, rr2, set(), note="Towar używany")
    msg = db.session.query(Message).filter_by(recipient="handlowiec@firma.pl").one()
    assert "odrzucony" in msg.subject and "Towar używany" in msg.body_text
    assert db.session.query(Job).filter_by(key=f"return-label-{rr2.id}").count() == 0


def test_every_status_change_notifies_the_customer_and_is_audited(db, officer):
    customer = make_customer(email="zwroty@klient.pl")
    rr = make_return(make_returnable_note(customer))
    walk_to(rr, ReturnStatus.CLOSED, officer)
    events = [
        m.event
        for m in db.session.query(Message)
        .filter_by(related_id=str(rr.id), recipient="zwroty@klient.pl")
        .order_by(Message.id)
    ]
    assert events == [
        "return.submitted",
        "return.accepted",
        "return.received",
        "return.assessed",
        "return.resolved",
        "return.closed",
    ]
    actions = [
        a.action
        for a in db.session.query(AuditEntry)
        .filter_by(object_type="ReturnRequest")
        .order_by(AuditEntry.id)
        .all()
        if a.object_id == str(rr.id)
    ]
    assert actions == [
        "return.submit",
        "return.accept",
        "return.receive",
        "return.assess",
        "return.resolve",
        "return.close",
    ]
    assert [e.action for e in rr.events] == [
        "submitted",
        "accepted",
        "received",
        "assessed",
        "resolved",
        "closed",
    ]


def test_assessment_and_resolution_cover_every_accepted_line(db, officer):
    rr = make_return(make_returnable_note(), {1: "1", 2: "1"})
    decide_return(officer, rr, {rr.lines[0].id}, note="Druga pozycja bez wady")
    receive_return(officer, rr)
    with pytest.raises(ValidationFailed) as err:
        assess_return(officer, rr, {})
    assert f"lines.{rr.lines[0].id}.found_condition_id" in err.value.errors
    damaged = make_condition(name="Uszkodzony mechanicznie")
    assess_return(officer, rr, {rr.lines[0].id: Assessment(damaged.id, "Pęknięta obudowa")})
    assert rr.lines[0].found_condition is damaged
    assert rr.lines[0].assessment_notes == "Pęknięta obudowa"
    with pytest.raises(ValidationFailed):
        resolve_return(officer, rr, {rr.lines[0].id: Resolution("gift")})
    resolve_return(officer, rr, {rr.lines[0].id: Resolution(Disposition.CREDIT_NOTE, "KOR/7/26")})
    assert rr.lines[0].disposition == Disposition.CREDIT_NOTE
    assert rr.lines[0].resolution_reference == "KOR/7/26"
    assert rr.lines[1].disposition is None


def test_lines_of_another_return_are_refused(db, officer):
    rr, other = make_return(), make_return()
    walk_to(rr, ReturnStatus.RECEIVED, officer)
    with pytest.raises(ValidationFailed, match="nie należy do tego zwrotu"):
        assess_return(officer, rr, {other.lines[0].id: Assessment(make_condition().id)})


def test_repair_hands_the_line_to_the_service_module(db, officer, monkeypatch):
    calls = []

    def create_ticket_from_return_line(actor, line):
        calls.append((actor, line))
        return types.SimpleNamespace(id=4711, number="SRV/2026/00042")

    fake = types.ModuleType("backoffice.services.service_tickets")
    fake.create_ticket_from_return_line = create_ticket_from_return_line
    monkeypatch.setitem(sys.modules, "backoffice.services.service_tickets", fake)
    rr = walk_to(make_return(), ReturnStatus.ASSESSED, officer)
    resolve_return(officer, rr, {rr.lines[0].id: Resolution("repair")})
    assert calls == [(officer, rr.lines[0])]
    assert (rr.lines[0].service_ticket_id, rr.lines[0].service_ticket_number) == (
        4711,
        "SRV/2026/00042",
    )


def test_repair_without_service_module_is_a_clear_refusal(db, officer, monkeypatch):
    monkeypatch.setitem(sys.modules, "backoffice.services.service_tickets", None)
    rr = walk_to(make_return(), ReturnStatus.ASSESSED, officer)
    with pytest.raises(Conflict, match="Moduł serwisowy jest niedostępny"):
        resolve_return(officer, rr, {rr.lines[0].id: Resolution("repair")})


def test_internal_notes_are_not_public(db, officer):
    rr = make_return()
    add_internal_note(officer, rr, "Klient dzwonił")
    assert rr.events[-1].public is False
    with pytest.raises(ValidationFailed):
        add_internal_note(officer, rr, "   ")


@pytest.mark.committed
def test_label_job_renders_once_and_announces_it_with_the_pdf(db, officer, run_jobs):
    customer = make_customer(email="etykiety@klient.pl")
    rr = make_return(make_returnable_note(customer))
    decide_return(officer, rr)
    db.session.commit()
    assert run_jobs() >= 1
    db.session.refresh(rr)
    assert rr.label_path and rr.label_sha256
    first_path = rr.label_path
    pdf = uploads.absolute_path(rr.label_path).read_bytes()
    assert pdf.startswith(b"%PDF-")
    ready = db.session.query(Message).filter_by(event="return.label_ready").all()
    assert [m.recipient for m in ready] == ["etykiety@klient.pl"]
    assert ready[0].attachments[0]["path"] == rr.label_path
    assert "/portal/returns/label/" in ready[0].body_text
    assert ensure_label(officer, rr) is False  # a second call changes nothing
    from tasks.returns import render_label

    render_label(rr.id)
    assert rr.label_path == first_path
    assert db.session.query(Message).filter_by(event="return.label_ready").count() == 1


def test_no_label_before_acceptance(db, officer):
    with pytest.raises(InvalidTransition):
        ensure_label(officer, make_return())


@pytest.mark.skipif(
    not shutil.which("zbarimg") or not shutil.which("pdftoppm"),
    reason="needs zbar-tools and poppler-utils",
)
def test_label_barcode_decodes_to_the_number_and_finds_the_return(db, officer, tmp_path):
    rr = make_return()
    decide_return(officer, rr)
    ensure_label(officer, rr, notify=False)
    (tmp_path / "label.pdf").write_bytes(uploads.absolute_path(rr.label_path).read_bytes())
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", str(tmp_path / "label.pdf"), str(tmp_path / "p")],
        check=True,
    )
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", str(tmp_path / "p-1.png")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert scanned == rr.number
    assert find_by_code(scanned) is rr


def test_repair_creates_a_ticket_in_the_real_service_module(db, officer):
    from models.service_tickets import ServiceTicket

    drill = make_product(serial_tracked=True, name="Młotowiertarka")
    note = make_returnable_note(lines=[(drill, "1", ["SRV-42"])])
    rr = walk_to(
        make_return(note, {1: "1"}, serials={1: ["SRV-42"]}), ReturnStatus.ASSESSED, officer
    )
    resolve_return(officer, rr, {rr.lines[0].id: Resolution("repair")})
    ticket = db.session.get(ServiceTicket, rr.lines[0].service_ticket_id)
    assert ticket is not None and ticket.number == rr.lines[0].service_ticket_number
    assert ticket.return_line_id == rr.lines[0].id
    assert rr.number in (ticket.return_reference or "")
