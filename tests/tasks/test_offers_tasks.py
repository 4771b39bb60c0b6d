"""Offer jobs: documents rendered once and kept, e-mails waiting for them sent once, failures
shown, the daily expiry."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from backoffice.actors import SYSTEM
from backoffice.services import offer_editing, offer_sending
from backoffice.services.offer_documents import request_documents
from models.messaging import Message
from models.offer_documents import DispatchStatus, DocumentStatus, OfferDispatch, OfferDocument
from models.offers import OfferStatus
from tasks import offers as offer_tasks
from tests.factories import make_contact, make_customer, make_product
from tests.factories_offers import draft_payload, make_offer, run_offer_jobs, send


def _docs(db):
    return db.session.scalars(select(OfferDocument).order_by(OfferDocument.id)).all()


def test_documents_render_once_and_are_kept(db, app):
    offer = send(make_offer(customers=[make_customer(), make_customer()]))
    db.session.commit()
    assert run_offer_jobs() == 4
    docs = _docs(db)
    assert [d.status for d in docs] == [DocumentStatus.READY] * 4
    stored = {d.id: (d.sha256, d.path, d.rendered_at) for d in docs}
    for doc in docs:
        path = Path(app.config["STORAGE_DIR"]) / doc.path
        assert path.is_file() and path.stat().st_size == doc.size
        offer_tasks.render_offer_document(doc.id)  # a second run changes nothing
    db.session.expire_all()
    assert {d.id: (d.sha256, d.path, d.rendered_at) for d in _docs(db)} == stored
    request_documents(offer.current_version)  # asking again for a sent version: nothing new
    db.session.commit()
    assert run_offer_jobs() == 0


def test_email_waits_for_its_attachments_and_goes_once(db):
    customer = make_customer()
    make_contact(customer, receives_offers=True)
    offer = send(make_offer(customers=[customer]), email=True, attach_xlsx=True)
    db.session.commit()
    dispatch = db.session.scalars(select(OfferDispatch)).one()
    assert dispatch.status == DispatchStatus.WAITING
    assert db.session.scalars(select(Message)).all() == []
    for doc in _docs(db):
        offer_tasks.render_offer_document(doc.id)
        offer_tasks.render_offer_document(doc.id)
    db.session.refresh(dispatch)
    assert dispatch.status == DispatchStatus.QUEUED and dispatch.message_count == 2
    messages = db.session.scalars(select(Message).where(Message.event == "offer.sent")).all()
    assert sorted(m.recipient for m in messages) == sorted(
        [customer.email, customer.contacts[0].email]
    )
    assert {a["filename"].rsplit(".", 1)[1] for a in messages[0].attachments} == {"pdf", "xlsx"}
    assert messages[0].related_type == "Offer" and messages[0].related_id == str(offer.id)
    assert offer.number in messages[0].subject


def test_a_render_failure_is_shown_and_retried(db, monkeypatch):
    offer = send(make_offer())
    db.session.commit()
    doc = _docs(db)[0]

    def broken(view, kind):
        raise RuntimeError("logo unreadable")

    monkeypatch.setattr("backoffice.services.offer_documents.render_bytes", broken)
    with pytest.raises(RuntimeError):
        offer_tasks.render_offer_document(doc.id)
    db.session.expire_all()
    assert doc.status == DocumentStatus.FAILED and "logo unreadable" in doc.error
    monkeypatch.undo()
    offer_tasks.render_offer_document(doc.id)
    db.session.expire_all()
    assert doc.status == DocumentStatus.READY and doc.error is None
    assert offer.status == OfferStatus.SENT


def test_draft_documents_follow_the_latest_revision(db):
    offer = make_offer()
    request_documents(offer.current_version)
    db.session.commit()
    run_offer_jobs()
    first = {d.id: d.sha256 for d in _docs(db)}
    offer_editing.save_draft(SYSTEM, offer, draft_payload(offer, [(make_product(), 5, "9.99")]))
    db.session.commit()
    assert not any(d.is_current for d in _docs(db))
    request_documents(offer.current_version)
    db.session.commit()
    run_offer_jobs()
    docs = _docs(db)
    assert all(d.is_current for d in docs) and {d.id: d.sha256 for d in docs} != first


def test_expiry_job(db, app):
    offer = send(make_offer())
    offer.valid_until = offer_editing.today() - dt.timedelta(days=1)
    db.session.commit()
    offer_tasks.expire_offers()
    db.session.refresh(offer)
    assert offer.status == OfferStatus.EXPIRED
    assert offer.recipients[0].status == OfferStatus.EXPIRED
    offer_tasks.expire_offers()  # nothing left to do
    assert offer_sending.deliver_waiting_dispatches(offer.id) == 0
