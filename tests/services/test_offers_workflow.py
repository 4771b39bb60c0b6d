"""The offer workflow: every transition allowed and refused, versions, answers, numbering,
duplication, expiry and conversion into an order."""

import datetime as dt
import itertools
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from backoffice.actors import SYSTEM, actor_for
from backoffice.errors import Conflict, InvalidTransition, ValidationFailed
from backoffice.services import offer_editing, offer_orders, offers
from models.audit import AuditEntry
from models.offers import OFFER_TRANSITIONS, RECIPIENT_TRANSITIONS, OfferStatus
from models.orders import Order
from tests.factories import make_customer, make_product
from tests.factories_offers import draft_payload, make_offer, run_offer_jobs, send

S = OfferStatus
ALL = list(OfferStatus)


def test_transition_tables_are_exactly_these():
    expected = {
        (S.DRAFT, S.SENT), (S.DRAFT, S.CANCELLED),
        (S.SENT, S.ACCEPTED), (S.SENT, S.PARTIALLY_ACCEPTED), (S.SENT, S.REJECTED),
        (S.SENT, S.EXPIRED), (S.SENT, S.CANCELLED), (S.SENT, S.DRAFT),
        (S.PARTIALLY_ACCEPTED, S.ACCEPTED), (S.REJECTED, S.DRAFT), (S.EXPIRED, S.DRAFT),
    }  # fmt: skip
    for a, b in itertools.product(ALL, ALL):
        assert (b in OFFER_TRANSITIONS[a]) == ((a, b) in expected), (a, b)
    answered = {S.ACCEPTED, S.PARTIALLY_ACCEPTED}
    for a, b in itertools.product(ALL, ALL):
        allowed = b in RECIPIENT_TRANSITIONS[a]
        assert allowed == (
            (a, b) in expected and a not in answered or (a, b) == (S.CANCELLED, S.DRAFT)
        ), (a, b)


def _forced(status: OfferStatus, recipient_status: OfferStatus | None = None):
    """An offer put in ``status``; an accepted one gets a second customer who accepted."""
    answered = status in (S.ACCEPTED, S.PARTIALLY_ACCEPTED)
    offer = make_offer(customers=[make_customer() for _ in range(2 if answered else 1)])
    if status != S.DRAFT:
        send(offer)
    offer.status = status
    offer.recipients[0].status = recipient_status or (S.SENT if status != S.DRAFT else S.DRAFT)
    if answered:
        offer.recipients[1].status = status
    return offer


OPERATIONS = {
    "send": (lambda o: offers.send_offer(SYSTEM, o), {S.DRAFT}),
    "cancel": (lambda o: offers.cancel_offer(SYSTEM, o, "x"), {S.DRAFT, S.SENT}),
    "revise": (lambda o: offers.revise_offer(SYSTEM, o), {S.SENT, S.REJECTED, S.EXPIRED}),
    # Customers still waiting expire, also when another customer already accepted.
    "expire": (
        lambda o: offers.expire_offer(SYSTEM, o),
        {S.SENT, S.PARTIALLY_ACCEPTED, S.ACCEPTED},
    ),
}


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_offer_operations_from_every_status(db, name, status):
    run, allowed = OPERATIONS[name]
    offer = _forced(status)
    if status in (S.REJECTED, S.EXPIRED):
        offer.recipients[0].status = status
    if status in allowed:
        run(offer)
    else:
        with pytest.raises(InvalidTransition):
            run(offer)


ANSWERS = {
    "accept": lambda r: offers.accept_offer(SYSTEM, r),
    "reject": lambda r: offers.reject_offer(SYSTEM, r, reason="za drogo"),
}


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_answers_only_from_sent(db, name, status):
    offer = _forced(S.SENT if status != S.DRAFT else S.DRAFT, status)
    recipient = offer.recipients[0]
    if status == S.SENT:
        ANSWERS[name](recipient)
        assert recipient.status == (S.ACCEPTED if name == "accept" else S.REJECTED)
        assert offer.status == recipient.status
    else:
        with pytest.raises(InvalidTransition):
            ANSWERS[name](recipient)


def test_numbers_follow_the_configured_format(db, app):
    app.config["OFFER_NUMBER_FORMAT"] = "OH-{year}-{seq:04d}"
    try:
        a, b = make_offer(), make_offer()
    finally:
        app.config["OFFER_NUMBER_FORMAT"] = "OF/{year}/{seq:05d}"
    year = offer_editing.today().year
    assert (a.sequence + 1, a.year) == (b.sequence, year)
    assert b.number == f"OH-{year}-{b.sequence:04d}"


def test_a_sent_version_cannot_be_edited_and_revising_starts_v2(db):
    offer = send(make_offer())
    db.session.commit()
    run_offer_jobs()
    v1 = offer.current_version
    hashes = sorted(d.sha256 for d in v1.documents)
    with pytest.raises(InvalidTransition):
        offer_editing.save_draft(SYSTEM, offer, draft_payload(offer, [(make_product(), 1, "5")]))
    v2 = offers.revise_offer(SYSTEM, offer)
    assert (offer.status, offer.current_version_no, v2.number) == (S.DRAFT, 2, 2)
    assert v1.is_frozen and not v2.is_frozen
    assert [ln.name for ln in v2.lines] == [ln.name for ln in v1.lines]
    offer_editing.save_draft(SYSTEM, offer, draft_payload(offer, [(make_product(), 7, "5")]))
    assert [ln.quantity for ln in v1.lines] == [D("2")]  # v1 untouched
    assert sorted(d.sha256 for d in v1.documents) == hashes
    send(offer)
    assert offer.status == S.SENT and v2.is_frozen


def test_acceptance_of_more_than_offered_is_refused(db):
    product = make_product(packaging=[("karton", "6")])
    offer = send(
        make_offer(lines=[(product, 12, "10", {"packaging_unit_id": product.packaging[0].id})])
    )
    recipient, line = offer.recipients[0], offer.current_version.lines[0]
    with pytest.raises(ValidationFailed) as too_many:
        offers.accept_offer(SYSTEM, recipient, lines={line.id: D("13")})
    assert "12" in str(too_many.value.errors)
    with pytest.raises(ValidationFailed):
        offers.accept_offer(SYSTEM, recipient, lines={line.id: D("5")})  # not whole cartons
    with pytest.raises(ValidationFailed):
        offers.accept_offer(SYSTEM, recipient, lines={line.id: D("0")})  # nothing
    offers.accept_offer(SYSTEM, recipient, lines={line.id: D("6")})
    assert recipient.status == S.PARTIALLY_ACCEPTED and recipient.accepted_net == D("60.00")
    assert recipient.accepted_gross == D("73.80")


def test_many_customers_answer_separately(db):
    a, b, c = make_customer(), make_customer(), make_customer()
    offer = send(make_offer(customers=[a, b, c]))
    ra, rb, rc = offer.recipients
    offers.reject_offer(SYSTEM, ra, reason="Mamy innego dostawcę")
    assert offer.status == S.SENT
    line = offer.current_version.lines[0]
    offers.accept_offer(SYSTEM, rb, lines={line.id: D("1")})
    assert offer.status == S.PARTIALLY_ACCEPTED
    offers.accept_offer(SYSTEM, rc)
    assert offer.status == S.ACCEPTED
    assert [r.status for r in offer.recipients] == [S.REJECTED, S.PARTIALLY_ACCEPTED, S.ACCEPTED]


def test_answer_to_an_old_version_or_after_validity_is_refused(db):
    offer = send(make_offer())
    with pytest.raises(Conflict):
        offers.accept_offer(SYSTEM, offer.recipients[0], version_no=7)
    offer.valid_until = offer_editing.today() - dt.timedelta(days=1)
    with pytest.raises(InvalidTransition):
        offers.accept_offer(SYSTEM, offer.recipients[0])


def test_sending_needs_lines_customers_and_a_future_date(db):
    offer = make_offer(customers=[], lines=[])
    with pytest.raises(ValidationFailed) as exc:
        offers.send_offer(SYSTEM, offer)
    assert {"lines", "recipients"} <= set(exc.value.errors)
    assert offer.status == S.DRAFT


def test_expiry_job_expires_unanswered_offers_only(db):
    waiting, accepted = send(make_offer()), send(make_offer())
    offers.accept_offer(SYSTEM, accepted.recipients[0])
    later = offer_editing.today() + dt.timedelta(days=400)
    assert offers.expire_due_offers(on=later) == 1
    assert waiting.status == S.EXPIRED and accepted.status == S.ACCEPTED


def test_duplicate_gets_a_new_number_and_the_content(db):
    offer = send(make_offer(customers=[make_customer(), make_customer()]))
    copy = offer_editing.duplicate_offer(SYSTEM, offer, offer.rep)
    assert copy.number != offer.number and copy.status == S.DRAFT
    assert [r.customer_id for r in copy.recipients] == [r.customer_id for r in offer.recipients]
    assert copy.current_version.total_net == offer.current_version.total_net
    assert copy.duplicated_from is offer


def test_save_draft_validates_every_field(db):
    offer = make_offer()
    payload = draft_payload(offer, [(None, "abc", "-1"), (make_product(), "0", "1")])
    payload["valid_until"] = "jutro"
    payload["pricing_mode"] = "final_total"
    with pytest.raises(ValidationFailed) as exc:
        offer_editing.save_draft(SYSTEM, offer, payload)
    assert {
        "valid_until",
        "final_total_net",
        "lines.0.quantity",
        "lines.0.unit_price",
        "lines.1.quantity",
    } <= set(exc.value.errors)


def test_stale_editor_revision_is_a_conflict(db):
    offer = make_offer()
    stale = draft_payload(offer, [(make_product(), 1, "1")])
    offer_editing.save_draft(SYSTEM, offer, draft_payload(offer, [(make_product(), 2, "1")]))
    with pytest.raises(Conflict):
        offer_editing.save_draft(SYSTEM, offer, stale)


def test_convert_accepted_lines_into_an_order_once(db):
    p1, p2 = make_product(), make_product()
    offer = send(
        make_offer(
            lines=[(p1, 4, "10.00"), (p2, 2, "25.50")],
            services=[
                {"name": "Transport", "quantity": "1", "unit_price": "100", "vat_rate": "23"}
            ],
        )
    )
    recipient = offer.recipients[0]
    version = offer.current_version
    offers.accept_offer(
        actor_for(offer.rep), recipient,
        lines={version.lines[0].id: D("3")}, services={version.services[0].id},
    )  # fmt: skip
    order = offer_orders.convert_to_order(SYSTEM, recipient)
    assert (order.source, order.source_ref, order.customer_id) == (
        "offer",
        offer.number,
        recipient.customer_id,
    )
    assert [(ln.product_id, ln.quantity, ln.unit_price_net) for ln in order.lines] == [
        (p1.id, D("3"), D("10.00")),
        (None, D("1.000"), D("100.00")),
    ]
    assert order.total_net == D("130.00") and order.total_gross == D("159.90")
    with pytest.raises(Conflict):
        offer_orders.convert_to_order(SYSTEM, recipient)
    assert len(db.session.scalars(select(Order).where(Order.source == "offer")).all()) == 1


def test_conversion_needs_an_acceptance(db):
    offer = send(make_offer())
    with pytest.raises(InvalidTransition):
        offer_orders.convert_to_order(SYSTEM, offer.recipients[0])


def test_every_step_is_audited(db):
    offer = send(make_offer())
    offers.accept_offer(SYSTEM, offer.recipients[0])
    actions = db.session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.object_id == str(offer.id), AuditEntry.object_type == "Offer"
        )
    ).all()
    assert {"offer.create", "offer.update", "offer.send", "offer.accept"} <= set(actions)
