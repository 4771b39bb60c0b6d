"""The procedures editor keeps procedures usable; defaults are seeded once."""

import pytest

from backoffice.errors import Conflict, ValidationFailed
from backoffice.services import service_procedures as procedures
from backoffice.services.service_workflow import change_ticket_status
from models.service_procedures import ServiceProcedure, TicketKind
from tests.factories_service import STAFF, make_ticket


def test_defaults_are_seeded_once(db):
    first = procedures.procedure_for(TicketKind.POST_WARRANTY)
    assert procedures.procedure_for("post_warranty") is first
    codes = [s.code for s in first.statuses]
    assert codes[:7] == [
        "submitted",
        "accepted",
        "goods_received",
        "diagnosis",
        "quote_sent",
        "quote_accepted",
        "quote_rejected",
    ]
    assert db.session.query(ServiceProcedure).filter_by(kind=TicketKind.POST_WARRANTY).count() == 1
    warranty = procedures.procedure_for(TicketKind.WARRANTY)
    assert "quote_sent" not in [s.code for s in warranty.statuses]


def test_a_new_status_can_be_wired_into_the_flow(db):
    procedure = procedures.procedure_for(TicketKind.WARRANTY)
    waiting = procedures.add_status(
        STAFF, procedure, "waiting_parts", "Oczekiwanie na części", name_en="Waiting for parts"
    )
    repair = procedure.status_by_code("repair")
    diagnosis = procedure.status_by_code("diagnosis")
    procedures.set_next_statuses(
        STAFF, diagnosis, [s.id for s in diagnosis.next_statuses] + [waiting.id]
    )
    procedures.set_next_statuses(STAFF, waiting, [repair.id])
    ticket = make_ticket()
    for code in ("accepted", "goods_received", "diagnosis", "waiting_parts", "repair"):
        change_ticket_status(STAFF, ticket, code)
    assert ticket.status.code == "repair"


@pytest.mark.parametrize("code", ["", "Zła nazwa", "1abc", "x" * 41])
def test_bad_codes_are_refused(db, code):
    with pytest.raises(ValidationFailed):
        procedures.add_status(STAFF, procedures.procedure_for("warranty"), code, "Nazwa")


def test_duplicate_code_is_refused(db):
    with pytest.raises(Conflict):
        procedures.add_status(STAFF, procedures.procedure_for("warranty"), "repair", "Naprawa 2")


def test_procedure_must_keep_one_initial_and_a_final_status(db):
    procedure = procedures.procedure_for(TicketKind.WARRANTY)
    accepted = procedure.status_by_code("accepted")
    with pytest.raises(ValidationFailed):
        procedures.update_status(STAFF, accepted, is_initial=True)
    db.session.rollback()
    procedure = procedures.procedure_for(TicketKind.WARRANTY)
    with pytest.raises(ValidationFailed):
        procedures.update_status(STAFF, procedure.status_by_code("repair"), effect="goods_received")


def test_final_status_has_no_next_steps(db):
    procedure = procedures.procedure_for(TicketKind.WARRANTY)
    closed = procedure.status_by_code("closed")
    with pytest.raises(ValidationFailed):
        procedures.set_next_statuses(STAFF, closed, [procedure.status_by_code("accepted").id])


def test_used_status_cannot_be_deleted_unused_can(db):
    ticket = make_ticket()
    procedure = ticket.procedure
    with pytest.raises(Conflict):
        procedures.delete_status(STAFF, procedure.status_by_code("submitted"))
    extra = procedures.add_status(STAFF, procedure, "extra_check", "Dodatkowa kontrola")
    procedures.set_next_statuses(
        STAFF, procedure.status_by_code("repair"), [procedure.status_by_code("ready").id, extra.id]
    )
    procedures.delete_status(STAFF, extra)
    assert procedure.status_by_code("extra_check") is None
    assert [s.code for s in procedure.status_by_code("repair").next_statuses] == ["ready"]


def test_renaming_and_reordering(db):
    procedure = procedures.procedure_for(TicketKind.WARRANTY)
    ready = procedure.status_by_code("ready")
    procedures.update_status(STAFF, ready, name="Do odbioru", name_en="Ready for pick-up")
    assert ready.label("en") == "Ready for pick-up" and ready.label("pl") == "Do odbioru"
    before = [s.code for s in sorted(procedure.statuses, key=lambda s: s.position)]
    procedures.move_status(STAFF, ready, -1)
    after = [s.code for s in sorted(procedure.statuses, key=lambda s: s.position)]
    i = before.index("ready")
    assert after[i - 1] == "ready" and after[i] == before[i - 1]
