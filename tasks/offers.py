"""Offer jobs: render a document (documents queue), expire offers past their date (daily)."""

from __future__ import annotations

import logging

from backoffice.actors import SYSTEM
from backoffice.extensions import db
from backoffice.schedule import Periodic
from models.offer_documents import DocumentStatus, OfferDocument

log = logging.getLogger(__name__)

SCHEDULE = [
    Periodic("offers-expire", "tasks.offers.expire_offers", "5 0 * * *"),
]


def render_offer_document(document_id: int) -> None:
    """Render and store one offer document, then send e-mails that were waiting for it.

    Idempotent: a current document is not rendered again. A failure is written on the
    document (the console shows it) and re-raised so the queue retries.
    """
    from backoffice.services.offer_documents import load_for_rendering, render_document
    from backoffice.services.offer_sending import deliver_waiting_dispatches

    document = load_for_rendering(document_id)
    if document is None:
        return
    offer_id = document.version.offer_id
    try:
        render_document(document)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        _record_failure(document_id, exc)
        raise
    deliver_waiting_dispatches(offer_id)
    db.session.commit()


def _record_failure(document_id: int, exc: Exception) -> None:
    document = db.session.get(OfferDocument, document_id)
    if document is not None and document.status != DocumentStatus.READY:
        document.status = DocumentStatus.FAILED
        document.error = f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()


def expire_offers() -> None:
    """Offers whose validity date has passed without an answer become expired."""
    from backoffice.services.offers import expire_due_offers

    count = expire_due_offers(actor=SYSTEM)
    db.session.commit()
    if count:
        log.info("expired %d offer(s)", count)
