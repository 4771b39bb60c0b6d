"""Filing service tickets: numbers, kind from the date, overrides, validation, messages."""

import datetime as dt

import pytest
from sqlalchemy import select

from backoffice.errors import Conflict, ValidationFailed
from backoffice.services.service_products import reject_registration
from backoffice.services.service_tickets import TicketInput, create_ticket
from backoffice.services.service_workflow import override_ticket_kind
from models.audit import AuditEntry
from models.messaging import Channel, Message
from models.service_procedures import TicketKind
from models.service_products import RegistrationStatus
from models.service_tickets import AttachmentKind, TicketSource
from tests.factories_service import STAFF, make_ticket, make_unit, png_bytes

D = dt.date


def _messages(ticket):
    return db_messages(ticket.id)


def db_messages(ticket_id):
    from backoffice.extensions import db

    return db.session.scalars(
        select(Message)
        .where(Message.related_type == "ServiceTicket", Message.related_id == str(ticket_id))
        .order_by(Message.id)
    ).all()


def test_numbers_are_sequential_per_year(db):
    first = make_ticket(filed_on=D(2026, 2, 1))
    second = make_ticket(filed_on=D(2026, 2, 2))
    other_year = make_ticket(filed_on=D(2025, 12, 31))
    assert first.number == "SRV/2026/00001"
    assert second.number == "SRV/2026/00002"
    assert other_year.number == "SRV/2025/00001"


@pytest.mark.parametrize(
    ("filed_on", "kind"),
    [(D(2027, 3, 10), TicketKind.WARRANTY), (D(2027, 3, 11), TicketKind.POST_WARRANTY)],
)
def test_kind_is_decided_by_the_filing_date(db, filed_on, kind):
    unit = make_unit(purchase_date=D(2025, 3, 10), months=24)
    ticket = make_ticket(unit, filed_on=filed_on)
    assert ticket.kind == kind and not ticket.kind_overridden
    assert ticket.warranty_end_at_filing == D(2027, 3, 10)
    assert ticket.procedure.kind == kind
    assert ticket.status.code == "submitted"


def test_override_at_filing_needs_a_reason_and_is_audited(db):
    unit = make_unit(purchase_date=D(2025, 3, 10), months=24)
    with pytest.raises(ValidationFailed) as exc:
        make_ticket(unit, filed_on=D(2026, 1, 5), kind=TicketKind.POST_WARRANTY)
    assert exc.value.field == "kind_reason"
    ticket = make_ticket(
        unit, filed_on=D(2026, 1, 5), kind=TicketKind.POST_WARRANTY, kind_reason="Zalanie"
    )
    assert ticket.kind == TicketKind.POST_WARRANTY and ticket.kind_overridden
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "service_ticket.create", AuditEntry.object_id == str(ticket.id)
        )
    )
    assert entry.changes["kind_overridden"] is True
    assert ticket.events[0].note == "Zalanie"


def test_override_later_needs_a_reason_and_is_audited(db):
    ticket = make_ticket(make_unit(purchase_date=D(2025, 3, 10)), filed_on=D(2026, 1, 5))
    with pytest.raises(ValidationFailed):
        override_ticket_kind(STAFF, ticket, TicketKind.POST_WARRANTY, "  ")
    override_ticket_kind(STAFF, ticket, TicketKind.POST_WARRANTY, "Uszkodzenie mechaniczne")
    assert ticket.kind == TicketKind.POST_WARRANTY
    assert ticket.procedure.kind == TicketKind.POST_WARRANTY
    assert ticket.status.code == "submitted" and ticket.status.procedure == ticket.procedure
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "service_ticket.override_kind")
    )
    assert entry.summary == "Uszkodzenie mechaniczne"
    assert entry.changes == {"kind": ["warranty", "post_warranty"]}
    assert entry.actor_label == STAFF.label


def test_every_bad_field_is_reported_at_once(db):
    unit = make_unit()
    data = TicketInput(
        fault_description=" ", contact_email="nie-email", notify_sms=True, contact_phone=""
    )
    with pytest.raises(ValidationFailed) as exc:
        create_ticket(STAFF, unit, data, source=TicketSource.PORTAL)
    assert set(exc.value.errors) == {"fault_description", "contact_email", "contact_phone"}


def test_customer_cannot_file_a_second_open_ticket_for_the_same_unit(db):
    unit = make_unit()
    first = make_ticket(unit, source=TicketSource.PORTAL)
    with pytest.raises(Conflict) as exc:
        make_ticket(unit, source=TicketSource.API)
    assert first.number in exc.value.message
    assert make_ticket(unit, source=TicketSource.STAFF).number != first.number


def test_repeated_external_id_returns_the_same_ticket(db):
    unit = make_unit()
    first = make_ticket(unit, source=TicketSource.API, external_id="shop-77")
    again = make_ticket(unit, source=TicketSource.API, external_id="shop-77")
    assert again is first


def test_rejected_registration_cannot_get_tickets(db):
    from backoffice.services.service_products import register_product
    from tests.factories import make_customer, make_product
    from tests.factories_service import pdf_bytes

    unit = register_product(
        STAFF,
        customer=make_customer(),
        product=make_product(),
        purchase_date=D(2026, 1, 1),
        by_customer=True,
        proof=[("faktura.pdf", pdf_bytes())],
    )
    assert unit.status == RegistrationStatus.TO_VERIFY
    reject_registration(STAFF, unit, "Faktura dotyczy innego towaru")
    with pytest.raises(ValidationFailed, match="innego towaru"):
        make_ticket(unit)


def test_filing_stores_attachments_and_notifies_by_chosen_channels(db):
    ticket = make_ticket(
        contact_phone="600 100 200",
        notify_sms=True,
        attachments=[("zdjęcie usterki.png", png_bytes())],
    )
    [photo] = ticket.attachments
    assert photo.kind == AttachmentKind.FAULT and photo.mimetype == "image/png"
    messages = _messages(ticket)
    assert {m.channel for m in messages} == {Channel.EMAIL, Channel.SMS}
    email = next(m for m in messages if m.channel == Channel.EMAIL)
    assert email.event == "service.ticket_submitted"
    assert email.recipient == "lukasz@klient.example.com"
    assert email.subject == f"Przyjęliśmy zgłoszenie serwisowe {ticket.number}"
    assert "Zgłoszone" in email.body_text and "/portal/service/tickets/" in email.body_text
    sms = next(m for m in messages if m.channel == Channel.SMS)
    assert sms.recipient == "+48600100200" and ticket.number in sms.body_text


def test_no_channel_chosen_sends_nothing(db):
    ticket = make_ticket(notify_email=False)
    assert _messages(ticket) == []


def test_english_customer_gets_english_messages(db):
    from tests.factories import make_customer

    unit = make_unit(customer=make_customer(locale="en"))
    ticket = make_ticket(unit)
    [email] = _messages(ticket)
    assert email.subject == f"We have received service ticket {ticket.number}"
