"""The console's ticket page: everything about one ticket and every workflow button.

Each button posts to an endpoint that calls one service function, commits once and comes
back to the page; a refusal (``DomainError``) is shown as a message and changes nothing.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import current_actor
from backoffice.errors import DomainError, ValidationFailed
from backoffice.extensions import db
from backoffice.services import service_ticket_edits as edits
from backoffice.services.service_attachments import attachment_path
from backoffice.services.service_documents import ticket_label
from backoffice.services.service_lookup import resolve_product
from backoffice.services.service_workflow import (
    change_ticket_status,
    correct_repair_dates,
    override_ticket_kind,
)
from backoffice.services.warranty import warranty_state, warsaw_today
from models.service_tickets import ServiceAttachment, ServiceTicket
from models.users import Role, User, UserRole
from views.service_forms import CARRIERS
from views.service_texts import (
    ATTACHMENT_LABELS,
    EVENT_LABELS,
    KIND_LABELS,
    LINE_KIND_LABELS,
    SOURCE_LABELS,
    ageing_badge,
    kind_badge,
    status_badge,
    status_label,
)


def flash_error(exc: DomainError) -> None:
    """The refusal's message plus each field's message, as one alert."""
    details = [m for msgs in (exc.errors or {}).values() for m in msgs if m != exc.message]
    flash(" ".join([exc.message, *details]), "danger")


def form_date(name: str) -> dt.date | None:
    """A YYYY-MM-DD form value; ValidationFailed when it is not a date."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(_("Enter a valid date."), field=name) from None


def service_staff() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.SERVICE, User.active.is_(True))
            .order_by(User.name)
            .distinct()
        )
    )


class TicketPageMixin:
    """The workflow page and its POST endpoints, mixed into the ticket register view."""

    def _ticket(self, ticket_id) -> ServiceTicket:
        ticket = self.get_one(str(ticket_id))
        if ticket is None:
            abort(404)
        return ticket

    def _run(self, ticket_id: int, action, success: str, anchor: str = ""):
        ticket = self._ticket(ticket_id)
        try:
            action(ticket)
            db.session.commit()
            flash(success, "success")
        except DomainError as exc:
            db.session.rollback()
            flash_error(exc)
        return redirect(url_for(".details_view", id=ticket_id) + anchor)

    @expose("/details/")
    def details_view(self):
        """Everything about one ticket, with the buttons that move it on."""
        ticket = self._ticket(request.args.get("id", ""))
        unit = ticket.registered_product
        return self.render(
            "admin/service_tickets/ticket.html",
            ticket=ticket,
            unit=unit,
            state=warranty_state(unit),
            today=warsaw_today(),
            staff=service_staff(),
            carriers=CARRIERS,
            other_tickets=[t for t in unit.tickets if t.id != ticket.id],
            labels={
                "kind": KIND_LABELS,
                "source": SOURCE_LABELS,
                "line": LINE_KIND_LABELS,
                "attachment": ATTACHMENT_LABELS,
                "event": EVENT_LABELS,
            },
            status_badge=status_badge,
            status_label=status_label,
            kind_badge=kind_badge,
            ageing_badge=ageing_badge,
            return_url=get_redirect_target() or url_for(".index_view"),
        )

    @expose("/<int:ticket_id>/status", methods=("POST",))
    def status_view(self, ticket_id: int):
        """Move the ticket to the chosen next status."""
        to = request.form.get("to", "")
        return self._run(
            ticket_id,
            lambda t: change_ticket_status(
                current_actor(),
                t,
                to,
                note=request.form.get("note"),
                effective_on=form_date("effective_on"),
            ),
            _("The status has been changed."),
        )

    @expose("/<int:ticket_id>/findings", methods=("POST",))
    def findings_view(self, ticket_id: int):
        """Save the diagnosis and the work done."""
        return self._run(
            ticket_id,
            lambda t: edits.update_findings(
                current_actor(),
                t,
                diagnosis=request.form.get("diagnosis"),
                repair_notes=request.form.get("repair_notes"),
            ),
            _("Saved."),
            "#findings",
        )

    @expose("/<int:ticket_id>/quote", methods=("POST",))
    def quote_view(self, ticket_id: int):
        """Save the repair quote."""
        return self._run(
            ticket_id,
            lambda t: edits.set_quote(
                current_actor(),
                t,
                request.form.get("quote_amount"),
                request.form.get("quote_notes"),
            ),
            _("The quote has been saved."),
            "#quote",
        )

    @expose("/<int:ticket_id>/lines", methods=("POST",))
    def add_line_view(self, ticket_id: int):
        """Add a part or work line."""

        def add(ticket):
            code = (request.form.get("product") or "").strip()
            edits.add_work_line(
                current_actor(),
                ticket,
                kind=request.form.get("kind", "part"),
                description=request.form.get("description"),
                quantity=request.form.get("quantity") or "1",
                unit_price_net=request.form.get("unit_price_net") or "0",
                vat_rate=request.form.get("vat_rate") or "23",
                product=resolve_product(code) if code else None,
            )

        return self._run(ticket_id, add, _("The line has been added."), "#lines")

    @expose("/<int:ticket_id>/lines/<int:line_id>/delete", methods=("POST",))
    def delete_line_view(self, ticket_id: int, line_id: int):
        """Remove a part or work line."""
        return self._run(
            ticket_id,
            lambda t: edits.remove_work_line(current_actor(), t, line_id),
            _("The line has been removed."),
            "#lines",
        )

    @expose("/<int:ticket_id>/shipment", methods=("POST",))
    def shipment_view(self, ticket_id: int):
        """Record an inbound or outbound waybill."""
        return self._run(
            ticket_id,
            lambda t: edits.set_shipment(
                current_actor(),
                t,
                request.form.get("direction", ""),
                carrier=request.form.get("carrier"),
                waybill=request.form.get("waybill"),
            ),
            _("The shipment has been saved."),
            "#shipment",
        )

    @expose("/<int:ticket_id>/assign", methods=("POST",))
    def assign_view(self, ticket_id: int):
        """Choose who handles the ticket."""
        raw = request.form.get("user_id") or ""
        user = db.session.get(User, int(raw)) if raw.isdigit() else None
        return self._run(
            ticket_id, lambda t: edits.assign_ticket(current_actor(), t, user), _("Saved.")
        )

    @expose("/<int:ticket_id>/kind", methods=("POST",))
    def kind_view(self, ticket_id: int):
        """Change warranty ↔ post-warranty, with a reason."""
        return self._run(
            ticket_id,
            lambda t: override_ticket_kind(
                current_actor(), t, request.form.get("kind", ""), request.form.get("reason")
            ),
            _("The ticket type has been changed."),
        )

    @expose("/<int:ticket_id>/dates", methods=("POST",))
    def dates_view(self, ticket_id: int):
        """Correct when the goods were received and returned."""
        return self._run(
            ticket_id,
            lambda t: correct_repair_dates(
                current_actor(),
                t,
                received_on=form_date("received_on"),
                returned_on=form_date("returned_on"),
                reason=request.form.get("reason"),
            ),
            _("The dates have been corrected; the warranty follows them."),
        )

    @expose("/<int:ticket_id>/note", methods=("POST",))
    def note_view(self, ticket_id: int):
        """Add a note to the history (public or internal)."""
        return self._run(
            ticket_id,
            lambda t: edits.add_note(
                current_actor(), t, request.form.get("note"), bool(request.form.get("public"))
            ),
            _("The note has been added."),
            "#history",
        )

    @expose("/<int:ticket_id>/files", methods=("POST",))
    def files_view(self, ticket_id: int):
        """Attach files."""
        return self._run(
            ticket_id,
            lambda t: edits.add_files(
                current_actor(),
                t,
                request.files.getlist("files"),
                public=bool(request.form.get("public")),
            ),
            _("The files have been added."),
            "#files",
        )

    @expose("/<int:ticket_id>/label", methods=("GET", "POST"))
    def label_view(self, ticket_id: int):
        """The service label PDF (POST renders it anew, e.g. after an address change)."""
        ticket = self._ticket(ticket_id)
        try:
            row = ticket_label(current_actor(), ticket, regenerate=request.method == "POST")
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash_error(exc)
            return redirect(url_for(".details_view", id=ticket_id))
        return self._send(row)

    @expose("/files/<int:attachment_id>")
    def file_view(self, attachment_id: int):
        """Download a file of a ticket or of its unit."""
        row = db.session.get(ServiceAttachment, attachment_id)
        if row is None:
            abort(404)
        if row.ticket_id is not None:
            self._ticket(row.ticket_id)
        return self._send(row)

    def _send(self, row: ServiceAttachment):
        return send_file(
            attachment_path(row),
            mimetype=row.mimetype,
            download_name=row.filename,
            as_attachment=request.args.get("inline") != "1",
        )
