"""Filing returns: quantity limits, the return window, serial numbers, numbering, notices."""

import datetime as dt
from decimal import Decimal

import pytest

from backoffice.actors import actor_for
from backoffice.errors import InvalidTransition, NotFound, ValidationFailed
from backoffice.services import return_quantities
from backoffice.services.return_workflow import decide_return
from backoffice.services.returns import (
    ReturnDraft,
    cancel_return,
    file_return,
    find_by_code,
    next_return_number,
    set_waybill,
)
from models.messaging import Message
from models.returns import ReturnStatus
from tests.factories import make_contact, make_customer, make_portal_user, make_product
from tests.factories_returns import (
    draft_for,
    make_condition,
    make_reason,
    make_return,
    make_returnable_note,
)


def returnable(note) -> dict[int, Decimal]:
    return {s.line.line_no: s.returnable for s in return_quantities.returnable_lines(note.lines)}


def test_partial_quantity_then_second_return_on_the_same_line(db):
    note = make_returnable_note()
    first = make_return(note, {1: "3"})
    assert first.status == ReturnStatus.SUBMITTED
    assert [(ln.quantity, ln.line_no) for ln in first.lines] == [(Decimal(3), 1)]
    assert returnable(note) == {1: Decimal(7), 2: Decimal(4)}
    second = make_return(note, {1: "7"})
    assert second.number != first.number
    assert returnable(note)[1] == 0
    with pytest.raises(ValidationFailed) as err:
        make_return(note, {1: "1"})
    assert "jeszcze tylko 0" in err.value.errors["lines.0.quantity"][0]
    assert "już w zwrotach 10" in err.value.errors["lines.0.quantity"][0]


def test_whole_line_and_whole_note(db):
    note = make_returnable_note()
    whole_line = make_return(note, {2: None})
    assert whole_line.lines[0].quantity == 4
    reason, condition = make_reason(), make_condition()
    draft = ReturnDraft(whole_note=True, reason_id=reason.id, condition_id=condition.id)
    rr = file_return(actor_for(make_portal_user()), note.customer, note, draft)
    assert [(ln.delivery_note_line_id, ln.quantity) for ln in rr.lines] == [
        (note.lines[0].id, Decimal(10))
    ]
    with pytest.raises(ValidationFailed, match="nie można już nic zwrócić"):
        file_return(actor_for(make_portal_user()), note.customer, note, draft)


def test_quantity_over_delivered_and_non_positive_are_refused(db):
    note = make_returnable_note()
    with pytest.raises(ValidationFailed) as err:
        make_return(note, {1: "10.5", 2: "0"})
    assert set(err.value.errors) == {"lines.0.quantity", "lines.1.quantity"}
    assert "większa od zera" in err.value.errors["lines.1.quantity"][0]


def test_rejected_and_cancelled_returns_free_their_quantity(db):
    note = make_returnable_note()
    rejected = make_return(note, {1: "10"})
    decide_return(actor_for(make_portal_user()), rejected, set(), note="Brak podstaw")
    assert returnable(note)[1] == 10
    partly = make_return(note, {1: "6", 2: "4"})
    decide_return(actor_for(make_portal_user()), partly, {partly.lines[1].id}, note="Po terminie")
    assert returnable(note) == {1: Decimal(10), 2: Decimal(0)}
    cancelled = make_return(note, {1: "10"})
    cancel_return(actor_for(make_portal_user()), cancelled)
    assert returnable(note)[1] == 10


def test_product_not_returnable_is_refused(db):
    product = make_product(returnable=False, name="Farba mieszana na zamówienie")
    note = make_returnable_note(lines=[(product, "5")])
    with pytest.raises(ValidationFailed, match="nie podlega zwrotowi") as err:
        make_return(note, {1: "1"})
    assert "lines.0.quantity" in err.value.errors
    assert returnable(note)[1] == 0


@pytest.mark.parametrize(
    ("months_ago", "window", "allowed"),
    [(11, None, True), (13, None, False), (13, 24, True), (25, 24, False), (2, 1, False)],
)
def test_return_window(db, months_ago, window, allowed):
    customer = make_customer(return_window_months=window)
    note = make_returnable_note(customer, months_ago=months_ago)
    if allowed:
        assert make_return(note, {1: "1"}).status == ReturnStatus.SUBMITTED
        return
    with pytest.raises(ValidationFailed, match="w ciągu") as err:
        make_return(note, {1: "1"})
    assert err.value.field == "delivery_note"


def test_global_window_comes_from_config(app, db):
    note = make_returnable_note(months_ago=5)
    app.config["RETURN_WINDOW_MONTHS"] = 3
    try:
        with pytest.raises(ValidationFailed):
            make_return(note, {1: "1"})
    finally:
        app.config["RETURN_WINDOW_MONTHS"] = 12


def test_serial_numbers_required_and_must_be_delivered_on_the_line(db):
    drill = make_product(serial_tracked=True, name="Młotowiertarka")
    other = make_returnable_note(lines=[(drill, "1", ["SN-OTHER"])])
    note = make_returnable_note(lines=[(drill, "3", ["SN-1", "SN-2", "SN-3"])])
    with pytest.raises(ValidationFailed) as err:
        make_return(note, {1: "1"})
    assert "numer seryjny" in err.value.errors["lines.0.serial_numbers"][0]
    with pytest.raises(ValidationFailed) as err:
        make_return(note, {1: "2"}, serials={1: ["SN-2", "SN-OTHER"]})
    assert "SN-OTHER nie został wydany" in err.value.errors["lines.0.serial_numbers"][0]
    rr = make_return(note, {1: "2"}, serials={1: ["sn-2", "SN-3"]})
    assert [(ln.serial_number, ln.quantity) for ln in rr.lines] == [
        ("SN-2", Decimal(1)),
        ("SN-3", Decimal(1)),
    ]
    with pytest.raises(ValidationFailed, match="jest już w innym zwrocie"):
        make_return(note, {1: None}, serials={1: ["SN-3"]})
    rest = make_return(note, {1: None})
    assert [ln.serial_number for ln in rest.lines] == ["SN-1"]
    assert other.lines[0].serial_numbers == ["SN-OTHER"]


def test_quantity_must_match_serials(db):
    drill = make_product(serial_tracked=True)
    note = make_returnable_note(lines=[(drill, "2", ["A1", "A2"])])
    with pytest.raises(ValidationFailed, match="liczbie podanych numerów seryjnych"):
        make_return(note, {1: "2"}, serials={1: ["A1"]})


def test_reason_and_condition_are_required_and_other_needs_a_description(db):
    note = make_returnable_note()
    draft = draft_for(note, {1: "1"})
    draft.lines[0].reason_id = None
    draft.lines[0].condition_id = 999999
    with pytest.raises(ValidationFailed) as err:
        file_return(actor_for(make_portal_user()), note.customer, note, draft)
    assert {"lines.0.reason_id", "lines.0.condition_id"} <= set(err.value.errors)
    other = make_reason(requires_description=True)
    with pytest.raises(ValidationFailed) as err:
        make_return(note, {1: "1"}, reason=other)
    assert "lines.0.description" in err.value.errors
    rr = make_return(note, {1: "1"}, reason=other, description="Nie pasuje do uchwytu")
    assert rr.lines[0].description == "Nie pasuje do uchwytu"


def test_inactive_reason_is_refused(db):
    note = make_returnable_note()
    with pytest.raises(ValidationFailed):
        make_return(note, {1: "1"}, reason=make_reason(active=False))


def test_note_of_another_customer_and_foreign_lines(db):
    note = make_returnable_note()
    other = make_returnable_note()
    with pytest.raises(NotFound):
        file_return(actor_for(make_portal_user()), other.customer, note, draft_for(note, {1: "1"}))
    draft = draft_for(note, {1: "1"})
    draft.lines[0].delivery_note_line_id = other.lines[0].id
    with pytest.raises(ValidationFailed) as err:
        file_return(actor_for(make_portal_user()), note.customer, note, draft)
    assert "nie ma na dokumencie WZ" in err.value.errors["lines.0.delivery_note_line_id"][0]


def test_numbers_are_sequential_per_year(db, app):
    assert next_return_number(dt.datetime(2031, 5, 1, tzinfo=dt.UTC)) == "RMA/2031/00001"
    assert next_return_number(dt.datetime(2031, 12, 1, tzinfo=dt.UTC)) == "RMA/2031/00002"
    assert next_return_number(dt.datetime(2032, 1, 1, tzinfo=dt.UTC)) == "RMA/2032/00001"


def test_find_by_code_ignores_case_and_spaces(db):
    rr = make_return()
    assert find_by_code(f"  {rr.number.lower()} ") is rr
    assert find_by_code("RMA/1999/99999") is None
    assert find_by_code("") is None


def test_filing_notifies_filer_customer_and_designated_contacts(db):
    customer = make_customer(email="biuro@klient.pl")
    designated = make_contact(customer, email="magazyn@klient.pl", receives_return_notices=True)
    make_contact(customer, email="ksiegowosc@klient.pl")
    filer = make_portal_user(customer=customer, email="jan@klient.pl", can_file_returns=True)
    note = make_returnable_note(customer)
    rr = make_return(note, {1: "2"}, portal_user=filer)
    messages = db.session.query(Message).filter_by(related_id=str(rr.id)).all()
    assert sorted(m.recipient for m in messages) == sorted(
        ["jan@klient.pl", "biuro@klient.pl", designated.email]
    )
    assert all(m.event == "return.submitted" for m in messages)
    assert rr.number in messages[0].subject
    assert "Wiertarka" in messages[0].body_text or "Szlifierka" in messages[0].body_text
    assert [e.action for e in rr.events] == ["submitted"]


def test_waybill_and_cancel_follow_the_status(db):
    rr = make_return()
    actor = actor_for(make_portal_user())
    set_waybill(actor, rr, " 6200123456789 ")
    assert rr.waybill_number == "6200123456789"
    with pytest.raises(ValidationFailed):
        set_waybill(actor, rr, "  ")
    cancel_return(actor, rr, "Pomyłka")
    assert rr.status == ReturnStatus.CANCELLED
    with pytest.raises(InvalidTransition):
        cancel_return(actor, rr)
    with pytest.raises(InvalidTransition):
        set_waybill(actor, rr, "123")


def test_contact_email_and_phone_are_checked(db):
    note = make_returnable_note()
    with pytest.raises(ValidationFailed) as err:
        make_return(note, {1: "1"}, contact_email="nie-email", contact_phone="12")
    assert set(err.value.errors) == {"contact_email", "contact_phone"}
    rr = make_return(note, {1: "1"}, contact_email="Jan@Firma.PL", contact_phone="601 234 567")
    assert (rr.contact_email, rr.contact_phone) == ("jan@firma.pl", "+48601234567")
