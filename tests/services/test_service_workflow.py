"""Ticket status changes follow the procedure: every allowed and forbidden pair, effects."""

import datetime as dt
from decimal import Decimal

import pytest

from backoffice.errors import Forbidden, InvalidTransition, ValidationFailed
from backoffice.services.service_procedures import DEFAULTS
from backoffice.services.service_workflow import change_ticket_status
from backoffice.services.warranty import warsaw_today
from models.messaging import Message
from models.service_procedures import StatusEffect, TicketKind
from tests.factories_service import STAFF, WARRANTY_PATH, make_ticket, make_unit, walk

D = dt.date
CUSTOMER = STAFF.__class__("portal", 1, "Klient")


def _sources(kind):
    _name, rows, steps = DEFAULTS[kind]
    codes = [r[0] for r in rows]
    return [(kind, src, codes, set(steps.get(src, []))) for src in codes]


def _ticket_in(kind, code):
    purchase = D(2025, 3, 10) if kind == TicketKind.WARRANTY else D(2020, 1, 1)
    ticket = make_ticket(make_unit(purchase_date=purchase), filed_on=D(2026, 1, 5))
    assert ticket.kind == kind
    ticket.status = ticket.procedure.status_by_code(code)
    ticket.is_open = not ticket.status.is_final
    ticket.goods_received_on = D(2026, 1, 6)
    ticket.quote_amount = Decimal("120.00")
    return ticket


@pytest.mark.parametrize(
    ("kind", "src", "codes", "allowed"),
    _sources(TicketKind.WARRANTY) + _sources(TicketKind.POST_WARRANTY),
    ids=lambda v: getattr(v, "value", v) if not isinstance(v, list | set) else "",
)
def test_transition_table(db, kind, src, codes, allowed):
    """From ``src`` every target is tried (each in a savepoint rolled back afterwards)."""
    ticket = _ticket_in(kind, src)
    db.session.flush()
    for dst in codes:
        savepoint = db.session.begin_nested()
        if dst in allowed:
            change_ticket_status(STAFF, ticket, dst)
            assert ticket.status.code == dst, (src, dst)
            assert ticket.events[-1].from_status.code == src
            assert ticket.is_open is not ticket.status.is_final
        else:
            with pytest.raises(InvalidTransition):
                change_ticket_status(STAFF, ticket, dst)
            assert ticket.status.code == src, (src, dst)
        savepoint.rollback()
        assert ticket.status.code == src


def test_each_change_notifies_the_customer(db):
    ticket = make_ticket(make_unit(purchase_date=D(2025, 3, 10)), filed_on=D(2026, 1, 5))
    walk(ticket, WARRANTY_PATH + ["closed"], {"goods_received": D(2026, 1, 5)})
    events = [
        m.event
        for m in db.session.query(Message).filter_by(related_id=str(ticket.id)).order_by(Message.id)
    ]
    assert events == ["service.ticket_submitted"] + ["service.status_changed"] * 7
    last = db.session.query(Message).order_by(Message.id.desc()).first()
    assert last.subject == f"Zgłoszenie serwisowe {ticket.number}: Zamknięte"


def test_quote_needs_an_amount_and_the_customer_decides(db):
    ticket = make_ticket(make_unit(purchase_date=D(2020, 1, 1)))
    walk(ticket, ["accepted", "goods_received", "diagnosis"])
    with pytest.raises(ValidationFailed):
        change_ticket_status(STAFF, ticket, "quote_sent")
    ticket.quote_amount = Decimal("349.90")
    change_ticket_status(STAFF, ticket, "quote_sent")
    quote = db.session.query(Message).filter_by(event="service.quote_sent").one()
    assert "349,90" in quote.body_text
    with pytest.raises(InvalidTransition):
        change_ticket_status(CUSTOMER, ticket, "ready", by_customer=True)
    change_ticket_status(CUSTOMER, ticket, "quote_accepted", by_customer=True)
    assert ticket.quote_decision == "accepted" and ticket.quote_decided_at is not None


def test_customer_cannot_move_other_statuses(db):
    ticket = make_ticket()
    with pytest.raises(Forbidden):
        change_ticket_status(CUSTOMER, ticket, "accepted", by_customer=True)


def test_dates_cannot_be_in_the_future_or_out_of_order(db):
    ticket = make_ticket(make_unit(purchase_date=D(2025, 3, 10)), filed_on=D(2026, 1, 5))
    walk(ticket, ["accepted"])
    with pytest.raises(ValidationFailed):
        change_ticket_status(
            STAFF, ticket, "goods_received", effective_on=warsaw_today() + dt.timedelta(days=1)
        )
    walk(
        ticket,
        ["goods_received", "diagnosis", "repair", "ready"],
        {"goods_received": D(2026, 1, 10)},
    )
    with pytest.raises(ValidationFailed):
        change_ticket_status(STAFF, ticket, "returned", effective_on=D(2026, 1, 9))
    assert ticket.status.code == "ready" and ticket.returned_on is None


def test_goods_received_defaults_to_today(db):
    ticket = walk(make_ticket(), ["accepted", "goods_received"])
    assert ticket.goods_received_on == warsaw_today()
    assert ticket.status.effect == StatusEffect.GOODS_RECEIVED


def test_closed_ticket_refuses_changes(db):
    ticket = walk(make_ticket(), ["rejected"])
    assert not ticket.is_open and ticket.closed_at is not None
    with pytest.raises(InvalidTransition, match="closed|zamknięte"):
        change_ticket_status(STAFF, ticket, "accepted")


def test_returned_defers_the_repair_report(db):
    from models.jobs import Job

    ticket = make_ticket(make_unit(purchase_date=D(2025, 3, 10)), filed_on=D(2026, 1, 5))
    walk(ticket, WARRANTY_PATH, {"goods_received": D(2026, 1, 5)})
    job = db.session.query(Job).filter_by(func="tasks.service_tickets.render_repair_report").one()
    assert job.args == [ticket.id] and job.queue == "documents"


def test_first_staff_member_to_move_the_ticket_handles_it(db):
    from backoffice.actors import actor_for
    from tests.factories import make_user

    first, second = make_user(roles=("service",)), make_user(roles=("service",))
    ticket = make_ticket()
    change_ticket_status(actor_for(first), ticket, "accepted")
    change_ticket_status(actor_for(second), ticket, "goods_received")
    assert ticket.assigned_to == first
