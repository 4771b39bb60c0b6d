"""The returns module's demo data: real filings on suitable notes, walked to mixed statuses."""

from collections import Counter
from decimal import Decimal

from backoffice.actors import SYSTEM
from backoffice.services.return_dictionaries import seed_dictionaries
from backoffice.services.returns_demo import seed_returns
from models.returns import ReturnRequest, ReturnStatus
from tests.factories import make_customer, make_portal_user, make_product
from tests.factories_returns import make_returnable_note


def _notes(count: int):
    """``count`` recent notes of different customers: a serial-tracked line, then a plain one."""
    tracked = make_product(name="Wkrętarka akumulatorowa", serial_tracked=True)
    plain = make_product(name="Tarcza do cięcia stali")
    return [
        make_returnable_note(
            make_customer(),
            lines=[(tracked, "2", [f"SN-{i}-A", f"SN-{i}-B"]), (plain, "5")],
        )
        for i in range(count)
    ]


def test_files_six_returns_with_mixed_statuses(db):
    seed_dictionaries(SYSTEM)
    notes = _notes(7)
    portal_customer = notes[-1].customer
    filer = make_portal_user(customer=portal_customer, can_file_returns=True)
    make_returnable_note(make_customer(), months_ago=14)  # outside the return window
    make_returnable_note(lines=[(make_product(returnable=False), "3")])  # nothing returnable

    assert seed_returns(SYSTEM) == {"returns": 6}

    returns = db.session.query(ReturnRequest).order_by(ReturnRequest.id).all()
    assert Counter(rr.status for rr in returns) == {
        ReturnStatus.SUBMITTED: 3,
        ReturnStatus.ACCEPTED: 1,
        ReturnStatus.REJECTED: 1,
        ReturnStatus.RECEIVED: 1,
    }
    assert len({rr.customer_id for rr in returns}) == 6
    first = returns[0]  # customers with a portal user come first and file in the portal
    assert (first.customer_id, first.filed_by_id, first.channel) == (
        portal_customer.id,
        filer.id,
        "portal",
    )
    assert {rr.channel for rr in returns[1:]} == {"staff"}
    lines = [line for rr in returns for line in rr.lines]
    assert all(line.serial_number is None for line in lines)
    assert all(Decimal(0) < line.quantity <= 5 for line in lines)
    assert all(line.product.name == "Tarcza do cięcia stali" for line in lines)
    assert all(line.reason and line.condition and line.description for line in lines)
    assert any("pęknięty uchwyt" in line.description for line in lines)
    rejected = next(rr for rr in returns if rr.status == ReturnStatus.REJECTED)
    assert "ślady użytkowania" in rejected.decision_note


def test_files_fewer_when_notes_are_few_and_none_without_dictionaries(db):
    _notes(2)
    assert seed_returns(SYSTEM) == {"returns": 0}
    seed_dictionaries(SYSTEM)
    assert seed_returns(SYSTEM) == {"returns": 2}
    statuses = {rr.status for rr in db.session.query(ReturnRequest)}
    assert statuses == {ReturnStatus.SUBMITTED}
