"""Portal pages of the returns module: the company's returns and delivery notes, filing a
return, its status and history, the label, files and the waybill.

Any user of the customer sees the company's returns, labels and files; filing, cancelling
and adding files or a waybill needs the "may file returns" permission. Another company's
return or file answers 403.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.security import portal_required
from backoffice.services import return_quantities, uploads
from backoffice.services import returns as service
from backoffice.services.return_notices import return_id_from_label_token
from backoffice.services.return_texts import (
    ACTION_LABELS,
    ATTACHMENT_KIND_LABELS,
    DECISION_LABELS,
    DISPOSITION_LABELS,
    STATUS_LABELS,
    STATUS_TONES,
)
from models.delivery_notes import DeliveryNote
from models.returns import AttachmentKind, ReturnAttachment, ReturnRequest, ReturnStatus
from views.admin.returns_detail import files_from_request
from views.portal import customers_only, nav_item, portal
from views.portal.returns_form import NoteForm, note_form_lines

PER_PAGE = 20
LABELS = {
    "status": STATUS_LABELS,
    "tone": STATUS_TONES,
    "decision": DECISION_LABELS,
    "disposition": DISPOSITION_LABELS,
    "action": ACTION_LABELS,
    "kind": ATTACHMENT_KIND_LABELS,
}

_IN_PROGRESS = (
    ReturnStatus.SUBMITTED,
    ReturnStatus.ACCEPTED,
    ReturnStatus.RECEIVED,
    ReturnStatus.ASSESSED,
)


def _returns_summary(user) -> str:
    count = db.session.scalar(
        select(func.count(ReturnRequest.id)).where(
            ReturnRequest.customer_id == user.customer_id,
            ReturnRequest.status.in_(_IN_PROGRESS),
        )
    )
    if not count:
        return _("No returns in progress.")
    return ngettext("%(num)d return in progress.", "%(num)d returns in progress.", count)


nav_item(
    "portal.returns", _l("Returns"), order=30, visible=customers_only, summary=_returns_summary
)


def _customer_user():
    if not current_user.customer_id:
        abort(403)
    return current_user


def _may_file():
    user = _customer_user()
    if not user.can_file_returns:
        abort(403)
    return user


def _own_return(return_id: int) -> ReturnRequest:
    rr = db.session.get(ReturnRequest, return_id)
    if rr is None:
        abort(404)
    if rr.customer_id != _customer_user().customer_id:
        abort(403)
    return rr


def _page() -> int:
    raw = request.args.get("page", "1")
    return max(int(raw), 1) if raw.isdigit() else 1


def day(value) -> str:
    """A date (no time) in the Warsaw calendar, e.g. 28 paź 2026."""
    return format_date(value, "medium") if value is not None else ""


def _render(template: str, **context):
    return render_template(f"portal/returns/{template}", labels=LABELS, day=day, **context)


@portal.get("/returns")
@portal_required
def returns():
    """The company's returns, newest first, filterable by status and number."""
    user = _customer_user()
    query = select(ReturnRequest).where(ReturnRequest.customer_id == user.customer_id)
    status = request.args.get("status") or ""
    if status in {s.value for s in ReturnStatus}:
        query = query.where(ReturnRequest.status == ReturnStatus(status))
    q = (request.args.get("q") or "").strip()
    if q:
        query = query.join(DeliveryNote).where(
            or_(ReturnRequest.number.ilike(f"%{q}%"), DeliveryNote.number.ilike(f"%{q}%"))
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = _page()
    rows = db.session.scalars(
        query.order_by(ReturnRequest.created_at.desc(), ReturnRequest.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return _render(
        "index.html", rows=rows, total=total, page=page, per_page=PER_PAGE, status=status, q=q
    )


@portal.get("/returns/delivery-notes")
@portal_required
def return_notes():
    """Delivery notes (also from before this system) that may still be returned."""
    user = _may_file()
    customer = user.customer
    query = return_quantities.notes_in_window(customer)
    q = (request.args.get("q") or "").strip()
    if q:
        query = query.where(DeliveryNote.number.ilike(f"%{q}%"))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = _page()
    notes = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    left = {n.id: 0 for n in notes}
    for line in return_quantities.line_summaries(list(left)):
        left[line.delivery_note_id] += 1 if line.returnable > 0 else 0
    return _render(
        "notes.html",
        notes=notes,
        left=left,
        total=total,
        page=page,
        per_page=PER_PAGE,
        q=q,
        months=return_quantities.window_months(customer),
    )


@portal.route("/returns/new/<int:note_id>", methods=["GET", "POST"])
@portal_required
def new_return(note_id: int):
    """File a return for a whole delivery note, whole lines or parts of lines."""
    user = _may_file()
    note = db.session.get(DeliveryNote, note_id)
    if note is None or note.customer_id != user.customer_id:
        abort(404)
    form = NoteForm.from_request(note, user)
    if request.method == "POST":
        try:
            files = files_from_request()
            rr = service.file_return(
                current_actor(),
                user.customer,
                note,
                form.draft(),
                filed_by=user,
                channel="portal",
                files=files,
            )
            db.session.commit()
            flash(_("Return %(number)s has been filed.", number=rr.number), "success")
            return redirect(url_for("portal.return_detail", return_id=rr.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_errors(exc)
    return _render(
        "new.html",
        note=note,
        form=form,
        lines=note_form_lines(note),
        reasons=service.active_reasons(),
        conditions=service.active_conditions(),
        within_window=return_quantities.within_window(note),
        until=return_quantities.returnable_until(note),
    )


@portal.get("/returns/<int:return_id>")
@portal_required
def return_detail(return_id: int):
    """The return's status, lines, history (public steps), label, files and waybill."""
    rr = _own_return(return_id)
    history = [e for e in rr.events if e.public]
    return _render("detail.html", rr=rr, history=history)


def _customer_step(return_id: int, run, done: str):
    _may_file()
    rr = _own_return(return_id)
    try:
        run(rr)
        db.session.commit()
        flash(done, "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for("portal.return_detail", return_id=rr.id))


@portal.post("/returns/<int:return_id>/waybill")
@portal_required
def return_waybill(return_id: int):
    """Add or correct the waybill number of the shipment (and optionally its file)."""
    number = request.form.get("waybill_number") or ""

    def run(rr):
        files = files_from_request("waybill_file", AttachmentKind.WAYBILL)
        if number.strip() or not files:
            service.set_waybill(current_actor(), rr, number)
        if files:
            service.add_files(current_actor(), rr, files)

    return _customer_step(return_id, run, _("The waybill has been saved."))


@portal.post("/returns/<int:return_id>/files")
@portal_required
def return_files(return_id: int):
    """Add photos or documents to the return."""
    return _customer_step(
        return_id,
        lambda rr: service.add_files(current_actor(), rr, files_from_request()),
        _("The files have been added."),
    )


@portal.post("/returns/<int:return_id>/cancel")
@portal_required
def return_cancel(return_id: int):
    """Withdraw a return that has not been received yet."""
    note = request.form.get("note")
    return _customer_step(
        return_id,
        lambda rr: service.cancel_return(current_actor(), rr, note),
        _("The return has been cancelled."),
    )


@portal.get("/returns/<int:return_id>/label.pdf")
@portal_required
def return_label(return_id: int):
    """The RMA label PDF (available once the return is accepted)."""
    rr = _own_return(return_id)
    if not rr.label_available:
        flash(_("The label will be available once the return is accepted."), "warning")
        return redirect(url_for("portal.return_detail", return_id=rr.id))
    return send_file(
        uploads.absolute_path(rr.label_path),
        mimetype="application/pdf",
        download_name=f"etykieta-{rr.number.replace('/', '-')}.pdf",
    )


@portal.get("/returns/label/<token>")
@portal_required
def return_label_link(token: str):
    """The label link from the e-mail: signed, opened after the portal login if needed."""
    return_id = return_id_from_label_token(token)
    if return_id is None:
        flash(_("The link is invalid or has expired; open the return from the list."), "warning")
        return redirect(url_for("portal.returns"))
    return return_label(return_id)


@portal.get("/returns/<int:return_id>/files/<int:attachment_id>")
@portal_required
def return_file(return_id: int, attachment_id: int):
    """A file of the company's return (403 for anyone else's)."""
    attachment = db.session.get(ReturnAttachment, attachment_id)
    if attachment is None or attachment.return_id != return_id:
        abort(404)
    _own_return(return_id)
    return send_file(
        uploads.absolute_path(attachment.path),
        mimetype=attachment.mimetype,
        download_name=attachment.filename,
        as_attachment=request.args.get("inline") != "1",
    )
