"""notify(): channels from the matrix, recipients, consents, templates, dedupe of events."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.services import consents
from backoffice.services.messaging import Recipient, notify
from backoffice.services.order_hooks import dispatch as order_hook
from models.consents import ConsentSource
from models.messaging import Channel, Message, MessageStatus, Purpose, SuppressionReason
from tests.factories import make_contact, make_customer, make_group, make_order, make_product
from tests.factories_messaging import make_order_event, make_template, set_rule


def messages(db, **filters):
    query = select(Message).order_by(Message.id)
    for name, value in filters.items():
        query = query.where(getattr(Message, name) == value)
    return db.session.scalars(query).all()


@pytest.fixture
def customer(db):
    customer = make_customer(email="biuro@zazolc.example.pl", phone="+48 600 100 200")
    make_contact(
        customer,
        name="Łucja Gęślak",
        email="lucja@zazolc.example.pl",
        phone="601 200 300",
        receives_order_notices=True,
    )
    make_contact(customer, name="Bez powiadomień", email="inny@zazolc.example.pl")
    return customer


def test_placed_order_emails_customer_and_flagged_contacts_only(db, customer):
    product = make_product(name="Wiertarka Łucznik")
    order = make_order(
        customer,
        lines=[(product, 2, "150.00")],
        total_gross=Decimal("369.00"),
        total_net=Decimal("300.00"),
        total_vat=Decimal("69.00"),
    )
    order_hook(SYSTEM, order, make_order_event(order, "placed"))
    rows = messages(db)
    assert sorted(m.recipient for m in rows) == [
        "biuro@zazolc.example.pl",
        "lucja@zazolc.example.pl",
    ]
    assert {m.channel for m in rows} == {Channel.EMAIL}  # SMS is off by default
    first = rows[0]
    assert first.subject == f"Przyjęliśmy zamówienie {order.number}"
    assert "Wiertarka Łucznik" in first.body_html and "369,00" in first.body_html
    assert "Wiertarka Łucznik" in first.body_text and "&" not in first.body_text
    assert first.related_type == "Order" and first.related_id == str(order.id)
    assert first.template_source == "file:order.placed.pl.html"
    assert first.status == MessageStatus.QUEUED


def test_sms_switched_on_sends_one_email_and_one_sms_per_recipient(db, customer):
    set_rule("order.shipped", "sms", True)
    order = make_order(customer, waybill="6200123456789", carrier="InPost")
    order_hook(
        SYSTEM, order, make_order_event(order, "shipped", waybill="6200123456789", carrier="InPost")
    )
    rows = messages(db)
    assert sorted((m.channel.value, m.recipient) for m in rows) == [
        ("email", "biuro@zazolc.example.pl"),
        ("email", "lucja@zazolc.example.pl"),
        ("sms", "+48600100200"),
        ("sms", "+48601200300"),
    ]
    email = rows[0]
    assert "6200123456789" in email.body_html and "InPost" in email.body_html
    assert "inpost.pl/sledzenie-przesylek?number=6200123456789" in email.body_html
    sms = [m for m in rows if m.channel == Channel.SMS][0]
    assert sms.subject is None and "6200123456789" in sms.body_text


def test_repeated_event_writes_nothing_more(db, customer):
    order = make_order(customer)
    event = make_order_event(order, "paid")
    order_hook(SYSTEM, order, event)
    order_hook(SYSTEM, order, event)
    assert len(messages(db)) == 2


def test_customer_override_beats_the_matrix(db, customer):
    set_rule("order.paid", "email", False, customer=customer)
    order = make_order(customer)
    order_hook(SYSTEM, order, make_order_event(order, "paid"))
    assert messages(db) == []
    other = make_customer()
    order2 = make_order(other)
    order_hook(SYSTEM, order2, make_order_event(order2, "paid"))
    assert len(messages(db)) == 1


def test_contact_who_opted_out_of_a_channel_gets_nothing_there(db, customer):
    set_rule("order.placed", "sms", True)
    consents.set_consent(
        SYSTEM,
        "lucja@zazolc.example.pl",
        "email",
        "transactional",
        False,
        source=ConsentSource.PORTAL,
    )
    order = make_order(customer)
    order_hook(SYSTEM, order, make_order_event(order, "placed"))
    got = {(m.channel.value, m.recipient) for m in messages(db)}
    assert ("email", "lucja@zazolc.example.pl") not in got
    assert ("sms", "+48601200300") in got  # opted out of e-mail only


def test_same_address_twice_gets_one_message(db):
    customer = make_customer(email="Wspolny@Example.pl")
    make_contact(customer, email="wspolny@example.pl", receives_order_notices=True)
    order = make_order(customer)
    order_hook(SYSTEM, order, make_order_event(order, "delivered"))
    assert [m.recipient for m in messages(db)] == ["wspolny@example.pl"]


def test_malformed_phone_gives_a_failed_row_saying_why(db):
    set_rule("order.placed", "sms", True)
    set_rule("order.placed", "email", False)
    customer = make_customer(phone="12")
    order = make_order(customer)
    order_hook(SYSTEM, order, make_order_event(order, "placed"))
    [row] = messages(db)
    assert row.status == MessageStatus.FAILED and row.last_error == "invalid phone number"


def test_marketing_needs_consent_and_no_suppression(db):
    customer = make_customer(email="zgoda@example.pl")
    kwargs = dict(
        context={"order": {"number": "X"}, "customer": {"name": "K"}},
        customer=customer,
        purpose=Purpose.MARKETING,
    )
    assert notify(SYSTEM, "order.placed", **kwargs) == []
    consents.set_consent(
        SYSTEM, "zgoda@example.pl", "email", "marketing", True, source=ConsentSource.CONSOLE
    )
    assert len(notify(SYSTEM, "order.placed", **kwargs)) == 1
    consents.suppress(SYSTEM, "zgoda@example.pl", SuppressionReason.HARD_BOUNCE)
    assert notify(SYSTEM, "order.placed", **kwargs) == []
    assert consents.is_suppressed("ZGODA@example.pl")


def test_console_template_and_group_template_win_over_the_file(db):
    group = make_group()
    general = make_customer()
    grouped = make_customer(group_id=group.id)
    make_template(subject="Ogólny {{ order.number }}")
    make_template(subject="Dla grupy {{ order.number }}", customer_group_id=group.id)
    for customer in (general, grouped):
        order = make_order(customer, number=f"Z/{customer.id}")
        order_hook(SYSTEM, order, make_order_event(order, "placed"))
    rows = messages(db)
    assert rows[0].subject == f"Ogólny Z/{general.id}"
    assert rows[1].subject == f"Dla grupy Z/{grouped.id}"
    assert "Własna treść" in rows[1].body_html and "<!DOCTYPE html>" in rows[1].body_html


def test_english_customer_gets_english_text(db):
    customer = make_customer(locale="en")
    order = make_order(customer)
    order_hook(SYSTEM, order, make_order_event(order, "paid"))
    [row] = messages(db)
    assert row.subject == f"Payment for order {order.number} received" and row.locale == "en"


def test_explicit_recipients_and_channels_for_unregistered_events(db):
    rows = notify(
        SYSTEM,
        "order.paid",
        context={"order": {"number": "A/1"}},
        recipients=[Recipient("a@example.pl", "+48 500 600 700", "Ania")],
        channels=("email", "sms"),
    )
    assert [m.channel for m in rows] == [Channel.EMAIL, Channel.SMS]


@pytest.mark.postgres
@pytest.mark.committed
def test_two_copies_of_an_event_racing_write_one_message_each(app, db):
    import threading

    customer = make_customer(email="wyscig@example.pl")
    order = make_order(customer)
    db.session.commit()
    order_id, barrier, errors = order.id, threading.Barrier(2), []

    def deliver():
        with app.app_context():
            try:
                from models.orders import Order

                mine = db.session.get(Order, order_id)
                barrier.wait(timeout=10)
                notify(
                    SYSTEM,
                    "order.paid",
                    context={"order": {"number": mine.number}},
                    customer=mine.customer,
                    related=mine,
                    dedupe_key=f"order:{order_id}:e1",
                )
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len(messages(db)) == 1
