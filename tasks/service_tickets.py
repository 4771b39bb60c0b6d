"""Service jobs: render and keep the repair report when a ticket's goods go back."""

from __future__ import annotations

from backoffice.actors import SYSTEM
from backoffice.extensions import db
from backoffice.services.service_documents import repair_report
from models.service_tickets import ServiceTicket


def render_repair_report(ticket_id: int) -> None:
    """Store the ticket's repair report PDF (once; a second run finds it and stops)."""
    ticket = db.session.get(ServiceTicket, ticket_id)
    if ticket is None:
        return
    repair_report(SYSTEM, ticket)
    db.session.commit()
