"""The return's workflow page in the console and its POST endpoints (one per service step).

Every endpoint loads the return through the view's scope, calls one service function,
commits once and goes back to the page; a refusal is shown as a message and nothing is
saved.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import return_labels, return_workflow, uploads
from backoffice.services import returns as return_service
from backoffice.services.return_quantities import returnable_until
from backoffice.services.return_texts import (
    ACTION_LABELS,
    ATTACHMENT_KIND_LABELS,
    CHANNEL_LABELS,
    DECISION_LABELS,
    DISPOSITION_LABELS,
    STATUS_LABELS,
    STATUS_TONES,
)
from backoffice.services.return_workflow import Assessment, Resolution
from models.audit import AuditEntry
from models.returns import AttachmentKind, Disposition, ReturnAttachment, ReturnRequest


def files_from_request(field: str = "files", kind: AttachmentKind | None = None):
    """Checked uploads of a multi-file input, each with its kind (photos detected)."""
    out = []
    for storage in request.files.getlist(field):
        if not storage or not storage.filename:
            continue
        checked = uploads.check_upload(storage, field=field)
        chosen = kind or (
            AttachmentKind.PHOTO if checked.kind in ("jpeg", "png") else AttachmentKind.DOCUMENT
        )
        out.append((checked, chosen))
    return out


def _flag(name: str) -> bool | None:
    """A checkbox that may be left to the service's default (None when not on the form)."""
    if not request.form.get(f"{name}_shown"):
        return None
    return request.form.get(name) == "1"


class ReturnWorkflowMixin:
    """Details page and workflow steps for ``ReturnRegisterAdmin``."""

    details_template = "admin/returns/details.html"

    def _load(self, raw_id=None) -> ReturnRequest:
        raw = raw_id if raw_id is not None else (request.form.get("id") or request.args.get("id"))
        rr = self.get_one(str(raw)) if str(raw or "").isdigit() else None
        if rr is None:
            abort(404)
        return rr

    def _back(self, rr: ReturnRequest, anchor: str = ""):
        return redirect(url_for(".details_view", id=rr.id) + (f"#{anchor}" if anchor else ""))

    def _step(self, rr: ReturnRequest, run: Callable[[], object], done: str, anchor: str = ""):
        try:
            run()
            db.session.commit()
            flash(done, "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            for messages in (exc.errors or {}).values():
                for message in messages:
                    if message != exc.message:
                        flash(message, "danger")
        return self._back(rr, anchor)

    @expose("/details/")
    def details_view(self):
        rr = self._load()
        return self.render(
            self.details_template,
            rr=rr,
            model=rr,
            history=rr.events,
            audit_entries=self._audit_entries(rr),
            conditions=return_service.active_conditions(),
            dispositions=list(Disposition),
            returnable_until=returnable_until(rr.delivery_note),
            day=lambda value: format_date(value, "medium") if value is not None else "",
            labels={
                "status": STATUS_LABELS,
                "tone": STATUS_TONES,
                "decision": DECISION_LABELS,
                "disposition": DISPOSITION_LABELS,
                "action": ACTION_LABELS,
                "kind": ATTACHMENT_KIND_LABELS,
                "channel": CHANNEL_LABELS,
            },
            return_url=request.args.get("url") or url_for(".index_view"),
        )

    def _audit_entries(self, rr: ReturnRequest) -> list[AuditEntry]:
        return db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "ReturnRequest", AuditEntry.object_id == str(rr.id))
            .order_by(AuditEntry.id.desc())
            .limit(50)
        ).all()

    @expose("/decide/", methods=["POST"])
    def decide_view(self):
        rr = self._load()
        if request.form.get("decision") == "reject_all":
            accepted: set[int] = set()
        else:
            accepted = {int(i) for i in request.form.getlist("accept") if i.isdigit()}
        note = request.form.get("note")
        inform = {"yes": True, "no": False}.get(request.form.get("inform_manager", "auto"))
        return self._step(
            rr,
            lambda: return_workflow.decide_return(current_actor(), rr, accepted, note, inform),
            _("The decision has been saved and the customer informed."),
        )

    @expose("/receive/", methods=["POST"])
    def receive_view(self):
        rr = self._load()
        note = request.form.get("note")
        return self._step(
            rr,
            lambda: return_workflow.receive_return(current_actor(), rr, note),
            _("The goods are recorded as received."),
        )

    @expose("/assess/", methods=["POST"])
    def assess_view(self):
        rr = self._load()
        found = {
            line.id: Assessment(
                _int(request.form.get(f"found-{line.id}")), request.form.get(f"notes-{line.id}")
            )
            for line in rr.accepted_lines
        }
        return self._step(
            rr,
            lambda: return_workflow.assess_return(current_actor(), rr, found),
            _("The assessment has been saved."),
        )

    @expose("/resolve/", methods=["POST"])
    def resolve_view(self):
        rr = self._load()
        choices = {
            line.id: Resolution(
                request.form.get(f"disposition-{line.id}") or None,
                request.form.get(f"reference-{line.id}"),
            )
            for line in rr.accepted_lines
        }
        notes = request.form.get("notes")
        inform = _flag("inform_manager")
        return self._step(
            rr,
            lambda: return_workflow.resolve_return(
                current_actor(), rr, choices, notes, inform if inform is not None else True
            ),
            _("The return has been resolved and the customer informed."),
        )

    @expose("/close/", methods=["POST"])
    def close_view(self):
        rr = self._load()
        note = request.form.get("note")
        return self._step(
            rr,
            lambda: return_workflow.close_return(current_actor(), rr, note),
            _("The return has been closed."),
        )

    @expose("/cancel/", methods=["POST"])
    def cancel_view(self):
        rr = self._load()
        note = request.form.get("note")
        return self._step(
            rr,
            lambda: return_service.cancel_return(current_actor(), rr, note),
            _("The return has been cancelled."),
        )

    @expose("/note/", methods=["POST"])
    def note_view(self):
        rr = self._load()
        text = request.form.get("note")
        return self._step(
            rr,
            lambda: return_workflow.add_internal_note(current_actor(), rr, text),
            _("The note has been added."),
            "history",
        )

    @expose("/waybill/", methods=["POST"])
    def waybill_view(self):
        rr = self._load()
        number = request.form.get("waybill_number") or ""
        return self._step(
            rr,
            lambda: return_service.set_waybill(current_actor(), rr, number),
            _("The waybill number has been saved."),
        )

    @expose("/attach/", methods=["POST"])
    def attach_view(self):
        rr = self._load()
        return self._step(
            rr,
            lambda: return_service.add_files(current_actor(), rr, files_from_request()),
            _("The files have been added."),
            "files",
        )

    @expose("/label/", methods=["POST"])
    def label_view(self):
        """Generate the label now (normally the job does it right after acceptance)."""
        rr = self._load()

        def generate():
            if not return_labels.ensure_label(current_actor(), rr):
                raise DomainError(_("The label already exists; use Print label."))

        return self._step(rr, generate, _("The label is ready."))

    @expose("/label.pdf")
    def label_pdf_view(self):
        """Print the stored label again (the same file the customer received)."""
        rr = self._load()
        if not rr.label_path:
            abort(404)
        return_labels.record_reprint(current_actor(), rr)
        db.session.commit()
        return send_file(
            uploads.absolute_path(rr.label_path),
            mimetype="application/pdf",
            download_name=f"{rr.number.replace('/', '-')}.pdf",
        )

    @expose("/file/<int:attachment_id>")
    def file_view(self, attachment_id: int):
        """Download an attachment of a return the user may see."""
        attachment = db.session.get(ReturnAttachment, attachment_id)
        if attachment is None:
            abort(404)
        self._load(attachment.return_id)
        return send_file(
            uploads.absolute_path(attachment.path),
            mimetype=attachment.mimetype,
            download_name=attachment.filename,
            as_attachment=request.args.get("inline") != "1",
        )


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None
