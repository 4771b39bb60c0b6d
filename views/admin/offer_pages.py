"""The offer page in the console and its POST endpoints, one per service step.

Every endpoint loads the offer through the view's scope (a rep reaches only their own
offers), calls one service function, commits once and goes back to the page; a refusal is
flashed and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import offer_documents, offer_editing, offer_orders, offer_sending, offers
from backoffice.services.offer_sending import EmailChoice, address_options, default_email
from models.audit import AuditEntry
from models.messaging import Message
from models.offer_documents import DocumentStatus, OfferDocument
from models.offers import OfferRecipient, OfferStatus
from models.users import User


def _history(offer) -> list[dict]:
    """The offer's audit trail and its messages, newest first."""
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "Offer", AuditEntry.object_id == str(offer.id))
        .order_by(AuditEntry.id.desc())
        .limit(200)
    ).all()
    messages = db.session.scalars(
        select(Message)
        .where(Message.related_type == "Offer", Message.related_id == str(offer.id))
        .order_by(Message.id.desc())
        .limit(200)
    ).all()
    items = [{"at": e.at, "kind": "audit", "entry": e} for e in entries]
    items += [{"at": m.created_at, "kind": "message", "message": m} for m in messages]
    return sorted(items, key=lambda i: i["at"], reverse=True)


def document_state(doc: OfferDocument) -> dict:
    """A document's state for the page and its progress poll."""
    if doc.is_current:
        state = "ready"
    elif doc.status == DocumentStatus.FAILED:
        state = "failed"
    elif doc.status == DocumentStatus.READY:
        state = "outdated"
    else:
        state = "pending"
    return {
        "id": doc.id,
        "kind": doc.kind.value,
        "state": state,
        "filename": doc.filename,
        "size": doc.size,
        "sha256": doc.sha256,
        "error": doc.error,
        "url": url_for(".document_view", doc_id=doc.id) if doc.path else None,
    }


def _quantities(form, recipient) -> tuple[dict | None, set | None]:
    """The accepted lines and services posted by an acceptance form (None: accept all)."""
    if form.get("scope") != "part":
        return None, None
    lines = {}
    for line in recipient.offer.current_version.lines:
        raw = (form.get(f"qty_{line.id}") or "").strip().replace(",", ".").replace(" ", "")
        if not raw:
            continue
        try:
            lines[line.id] = Decimal(raw)
        except InvalidOperation:
            lines[line.id] = Decimal("-1")  # refused by the service with a clear message
    services = {int(s) for s in form.getlist("service") if s.isdigit()}
    return lines, services


class OfferPagesMixin:
    """Offer page, documents, sending and workflow steps (mixed into OfferAdmin)."""

    def _back(self, offer, anchor: str = ""):
        return redirect(url_for(".details_view", id=offer.id) + (f"#{anchor}" if anchor else ""))

    def _step(self, offer, run: Callable[[], object], done: str, anchor: str = ""):
        try:
            result = run()
            db.session.commit()
            flash(done, "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            for messages in (exc.errors or {}).values():
                for message in messages:
                    if message != exc.message:
                        flash(message, "danger")
            return self._back(offer, anchor)
        return result if callable(getattr(result, "get_data", None)) else self._back(offer, anchor)

    @expose("/details/")
    def details_view(self):
        offer = self._offer_or_404(request.args.get("id"))
        documents = {
            v.id: {(d.recipient_id, d.kind.value): document_state(d) for d in v.documents}
            for v in offer.versions
        }
        margins = {v.id: offer_editing.version_totals(v) for v in offer.versions}
        return self.render(
            "admin/offers/details.html",
            offer=offer,
            documents=documents,
            totals=margins,
            history=_history(offer),
            status_label=offers.status_label,
            OfferStatus=OfferStatus,
            return_url=url_for(".index_view"),
        )

    @expose("/<int:id>/documents.json")
    def documents_json_view(self, id: int):
        offer = self._offer_or_404(id)
        docs = [document_state(d) for v in offer.versions for d in v.documents]
        return jsonify({"documents": docs, "pending": any(d["state"] == "pending" for d in docs)})

    @expose("/document/<int:doc_id>")
    def document_view(self, doc_id: int):
        doc = db.session.get(OfferDocument, doc_id)
        if doc is None or not doc.path:
            abort(404)
        self._offer_or_404(doc.version.offer_id)  # scope: the rep's own offers
        return send_file(
            offer_documents.absolute_path(doc),
            mimetype=doc.mimetype,
            as_attachment=True,
            download_name=doc.filename,
        )

    @expose("/<int:id>/export", methods=("POST",))
    def export_view(self, id: int):
        offer = self._offer_or_404(id)
        return self._step(
            offer,
            lambda: offer_documents.request_documents(offer.current_version),
            _("The documents are being prepared; download links appear below when ready."),
            "documents",
        )

    @expose("/<int:id>/send", methods=("GET", "POST"))
    def send_view(self, id: int):
        offer = self._offer_or_404(id)
        resend = offer.status != OfferStatus.DRAFT
        if request.method == "POST":
            return self._send(offer, resend)
        first = offer.active_recipients[0] if offer.active_recipients else None
        locale = (first.customer.locale if first else None) or "pl"
        subject, message = default_email(offer, first, locale) if first else ("", "")
        return self.render(
            "admin/offers/send.html",
            offer=offer,
            resend=resend,
            options={r.id: address_options(r) for r in offer.active_recipients},
            subject=subject,
            message=message,
            locale=locale,
        )

    def _send(self, offer, resend: bool):
        form = request.form
        choice = None
        if form.get("email") == "1":
            choice = EmailChoice(
                to={r.id: form.getlist(f"to_{r.id}") for r in offer.active_recipients},
                attach_pdf=form.get("attach_pdf") == "1",
                attach_xlsx=form.get("attach_xlsx") == "1",
                subject=_changed(form.get("subject"), form.get("default_subject")),
                message=_changed(form.get("message"), form.get("default_message")),
            )
        publish = form.get("publish") == "1"
        if resend:
            if choice is None:
                flash(_("Choose the addresses to e-mail the offer to."), "danger")
                return redirect(url_for(".send_view", id=offer.id))
            run = lambda: offer_sending.resend_offer(current_actor(), offer, choice)  # noqa: E731
        else:
            run = lambda: offers.send_offer(current_actor(), offer, publish=publish, email=choice)  # noqa: E731
        try:
            run()
            if resend and publish:
                offers.publish_offer(current_actor(), offer)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            for messages in (exc.errors or {"_": [exc.message]}).values():
                for message in messages:
                    flash(message, "danger")
            return redirect(url_for(".send_view", id=offer.id))
        flash(_("Offer %(number)s has been sent.", number=offer.number), "success")
        return self._back(offer, "documents")

    @expose("/<int:id>/revise", methods=("POST",))
    def revise_view(self, id: int):
        offer = self._offer_or_404(id)
        result = self._step(
            offer,
            lambda: offers.revise_offer(current_actor(), offer),
            _("A new version has been started; the earlier one is kept with its documents."),
        )
        if offer.status == OfferStatus.DRAFT:
            return redirect(url_for(".editor_view", id=offer.id))
        return result

    @expose("/<int:id>/duplicate", methods=("POST",))
    def duplicate_view(self, id: int):
        offer = self._offer_or_404(id)
        rep = db.session.get(User, current_user.id)
        try:
            copy = offer_editing.duplicate_offer(current_actor(), offer, rep)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return self._back(offer)
        flash(
            _("Offer %(number)s is a copy of %(source)s.", number=copy.number, source=offer.number),
            "success",
        )
        return redirect(url_for(".editor_view", id=copy.id))

    @expose("/<int:id>/cancel", methods=("POST",))
    def cancel_view(self, id: int):
        offer = self._offer_or_404(id)
        reason = request.form.get("reason")
        return self._step(
            offer,
            lambda: offers.cancel_offer(current_actor(), offer, reason),
            _("The offer has been cancelled."),
        )

    @expose("/<int:id>/publish", methods=("POST",))
    def publish_view(self, id: int):
        offer = self._offer_or_404(id)
        if request.form.get("publish") == "0":
            return self._step(
                offer,
                lambda: offers.unpublish_offer(current_actor(), offer),
                _("The offer is no longer shown in the portal."),
            )
        return self._step(
            offer,
            lambda: offers.publish_offer(current_actor(), offer),
            _("The offer is shown in the customers' portal."),
        )

    def _recipient(self, offer, rid: int) -> OfferRecipient:
        recipient = db.session.get(OfferRecipient, rid)
        if recipient is None or recipient.offer_id != offer.id:
            abort(404)
        return recipient

    @expose("/<int:id>/recipients/<int:rid>/answer", methods=("POST",))
    def answer_view(self, id: int, rid: int):
        """The rep records the customer's answer given by phone or e-mail."""
        offer = self._offer_or_404(id)
        recipient = self._recipient(offer, rid)
        form = request.form
        version_no = form.get("version", type=int)
        if form.get("answer") == "reject":
            return self._step(
                offer,
                lambda: offers.reject_offer(
                    current_actor(), recipient, reason=form.get("reason", ""), version_no=version_no
                ),
                _("The rejection has been recorded."),
                "recipients",
            )
        lines, services = _quantities(form, recipient)
        return self._step(
            offer,
            lambda: offers.accept_offer(
                current_actor(),
                recipient,
                lines=lines,
                services=services,
                version_no=version_no,
                note=form.get("note"),
            ),
            _("The acceptance has been recorded."),
            "recipients",
        )

    @expose("/<int:id>/recipients/<int:rid>/convert", methods=("POST",))
    def convert_view(self, id: int, rid: int):
        offer = self._offer_or_404(id)
        recipient = self._recipient(offer, rid)
        return self._step(
            offer,
            lambda: offer_orders.convert_to_order(current_actor(), recipient),
            _("The order has been created."),
            "recipients",
        )

    @expose("/<int:id>/recipients/<int:rid>/logo", methods=("POST",))
    def logo_view(self, id: int, rid: int):
        """Upload (or remove) the partner's logo printed on its documents."""
        from backoffice.services import customers

        offer = self._offer_or_404(id)
        recipient = self._recipient(offer, rid)
        if request.form.get("remove") == "1":
            run = lambda: customers.remove_logo(current_actor(), recipient.customer)  # noqa: E731
        else:
            upload = request.files.get("logo")
            run = lambda: customers.set_logo(current_actor(), recipient.customer, upload)  # noqa: E731
        return self._step(
            offer,
            run,
            _("The partner's logo is saved; documents prepared from now on show it."),
            "recipients",
        )


def _changed(value: str | None, default: str | None) -> str | None:
    """The rep's text, or None when it is the untouched template text."""
    norm = lambda s: " ".join((s or "").split())  # noqa: E731
    if not (value or "").strip() or norm(value) == norm(default):
        return None
    return value.replace("\r\n", "\n").strip()
