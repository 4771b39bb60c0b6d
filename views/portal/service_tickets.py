"""Portal pages of the service module: the company's registered products and service
tickets, registering a product, filing a ticket, the ticket's status and history, quote
decisions, the service label, files and the inbound waybill.

Every user of the customer sees the company's products and tickets; registering, filing and
deciding quotes needs the "may file service tickets" permission. Another company's product,
ticket or file answers 403.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.security import portal_required
from backoffice.services import service_ticket_edits as edits
from backoffice.services.service_attachments import attachment_path
from backoffice.services.service_documents import ticket_label
from backoffice.services.service_lookup import delivered_products, resolve_product
from backoffice.services.service_products import register_product
from backoffice.services.service_tickets import create_ticket
from backoffice.services.service_workflow import change_ticket_status
from backoffice.services.warranty import warranty_state
from models.service_procedures import StatusEffect
from models.service_products import RegisteredProduct, RegistrationStatus
from models.service_tickets import ServiceAttachment, ServiceTicket, TicketSource
from views.portal import customers_only, nav_item, portal
from views.service_forms import CARRIERS, PortalRegistrationForm, TicketForm, show_errors
from views.service_texts import (
    ATTACHMENT_LABELS,
    EVENT_LABELS,
    KIND_LABELS,
    REGISTRATION_LABELS,
    kind_badge,
    registration_badge,
    status_badge,
    status_label,
)

PER_PAGE = 20


def _service_summary(user) -> str:
    count = db.session.scalar(
        select(func.count(ServiceTicket.id)).where(
            ServiceTicket.customer_id == user.customer_id, ServiceTicket.is_open.is_(True)
        )
    )
    if not count:
        return _("No open service tickets.")
    return ngettext("%(num)d open service ticket.", "%(num)d open service tickets.", count)


nav_item(
    "portal.service", _l("Service"), order=40, visible=customers_only, summary=_service_summary
)


def _customer_id() -> int:
    if not current_user.customer_id:
        abort(403)
    return current_user.customer_id


def _may_file() -> None:
    _customer_id()
    if not current_user.can_file_service_tickets:
        abort(403)


def _own(model, object_id: int):
    row = db.session.get(model, object_id)
    if row is None:
        abort(404)
    if row.customer_id != _customer_id():
        abort(403)
    return row


def _render(template: str, **context):
    return render_template(
        f"portal/service_tickets/{template}",
        status_badge=status_badge,
        status_label=status_label,
        kind_badge=kind_badge,
        registration_badge=registration_badge,
        ticket_url=lambda t: url_for("portal.service_ticket", ticket_id=t.id),
        labels={
            "kind": KIND_LABELS,
            "registration": REGISTRATION_LABELS,
            "event": EVENT_LABELS,
            "attachment": ATTACHMENT_LABELS,
        },
        may_file=bool(current_user.can_file_service_tickets),
        **context,
    )


@portal.get("/service")
@portal_required
def service():
    """The company's service tickets (open first) and registered products."""
    customer_id = _customer_id()
    raw = request.args.get("page", "1")
    page = max(int(raw), 1) if raw.isdigit() else 1
    query = select(ServiceTicket).where(ServiceTicket.customer_id == customer_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    tickets = db.session.scalars(
        query.order_by(ServiceTicket.is_open.desc(), ServiceTicket.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    units = db.session.scalars(
        select(RegisteredProduct)
        .where(RegisteredProduct.customer_id == customer_id)
        .order_by(RegisteredProduct.id.desc())
    ).all()
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return _render("index.html", tickets=tickets, units=units, page=page, pages=pages)


@portal.route("/service/products/new", methods=["GET", "POST"])
@portal_required
def service_register():
    """Register a product bought from us (by its serial number) or elsewhere (with a proof)."""
    _may_file()
    customer = current_user.customer
    form = PortalRegistrationForm()
    products = delivered_products(customer.id)
    form.product_id.choices = [("", _("— choose —"))] + [
        (str(p.id), f"{p.name} ({p.sku})") for p in products
    ]
    if form.validate_on_submit():
        try:
            unit = register_product(
                current_actor(),
                customer=customer,
                product=_chosen_product(form, products),
                serial=form.serial.data,
                purchase_date=form.purchase_date.data,
                proof=request.files.getlist(form.proof.name),
                by_customer=True,
                source="portal",
            )
            db.session.commit()
            if unit.status == RegistrationStatus.TO_VERIFY:
                flash(
                    _(
                        "The product has been registered; our service will verify the proof "
                        "of purchase."
                    ),
                    "info",
                )
            else:
                flash(_("The product has been registered."), "success")
            return redirect(url_for("portal.service_product", unit_id=unit.id))
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc, {"product": "product_id", "proof": "proof"})
    return _render("product_new.html", form=form)


def _chosen_product(form: PortalRegistrationForm, products):
    from backoffice.errors import ValidationFailed

    if form.product_id.data:
        chosen = next((p for p in products if str(p.id) == form.product_id.data), None)
        if chosen is not None:
            return chosen
    if form.product_code.data:
        return resolve_product(form.product_code.data, field="product_code")
    raise ValidationFailed(_("Choose the product or give its SKU or EAN."), field="product_id")


@portal.get("/service/products/<int:unit_id>")
@portal_required
def service_product(unit_id: int):
    """A registered product: its warranty, the extensions and every repair."""
    unit = _own(RegisteredProduct, unit_id)
    return _render("product.html", unit=unit, state=warranty_state(unit))


@portal.route("/service/tickets/new", methods=["GET", "POST"])
@portal_required
def service_new_ticket():
    """Report a fault of a registered product."""
    _may_file()
    units = _fileable_units()
    if not units:
        flash(_("Register the product first."), "info")
        return redirect(url_for("portal.service_register"))
    raw = request.values.get("unit", "")
    unit = next((u for u in units if str(u.id) == raw), None)
    form = TicketForm(
        contact_name=current_user.name,
        contact_email=current_user.email,
        contact_phone=current_user.phone,
    )
    if unit is not None and form.validate_on_submit():
        try:
            ticket = create_ticket(
                current_actor(),
                unit,
                form.ticket_input(),
                source=TicketSource.PORTAL,
                attachments=request.files.getlist(form.attachments.name),
            )
            db.session.commit()
            flash(
                _("Thank you. Your ticket number is %(number)s.", number=ticket.number), "success"
            )
            return redirect(url_for("portal.service_ticket", ticket_id=ticket.id))
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc)
    elif request.method == "POST" and unit is None:
        flash(_("Choose the product."), "danger")
    return _render(
        "ticket_new.html",
        form=form,
        units=units,
        unit=unit,
        state=warranty_state(unit) if unit else None,
        carriers=CARRIERS,
    )


def _fileable_units() -> list[RegisteredProduct]:
    """The company's units a ticket may be filed for (not rejected), newest first."""
    return list(
        db.session.scalars(
            select(RegisteredProduct)
            .where(
                RegisteredProduct.customer_id == current_user.customer_id,
                RegisteredProduct.status != RegistrationStatus.REJECTED,
            )
            .order_by(RegisteredProduct.id.desc())
        )
    )


@portal.get("/service/tickets/<int:ticket_id>")
@portal_required
def service_ticket(ticket_id: int):
    """A ticket's status, history, quote, files and label."""
    ticket = _own(ServiceTicket, ticket_id)
    choices = [s for s in ticket.status.next_statuses if s.customer_may_choose]
    return _render(
        "ticket.html",
        ticket=ticket,
        unit=ticket.registered_product,
        choices=choices,
        quote_pending=ticket.is_open and ticket.status.effect == StatusEffect.QUOTE_SENT,
        carriers=CARRIERS,
    )


def _act(ticket_id: int, action, success: str, anchor: str = ""):
    _may_file()
    ticket = _own(ServiceTicket, ticket_id)
    try:
        action(ticket)
        db.session.commit()
        flash(success, "success")
    except DomainError as exc:
        db.session.rollback()
        flash(
            " ".join(
                [exc.message, *[m for v in exc.errors.values() for m in v if m != exc.message]]
            ),
            "danger",
        )
    return redirect(url_for("portal.service_ticket", ticket_id=ticket_id) + anchor)


@portal.post("/service/tickets/<int:ticket_id>/decision")
@portal_required
def service_decision(ticket_id: int):
    """Accept or reject the repair quote (or another step offered to the customer)."""
    to = request.form.get("to", "")
    return _act(
        ticket_id,
        lambda t: change_ticket_status(
            current_actor(), t, to, note=request.form.get("note"), by_customer=True
        ),
        _("Thank you, your decision has been recorded."),
    )


@portal.post("/service/tickets/<int:ticket_id>/shipment")
@portal_required
def service_shipment(ticket_id: int):
    """Give the courier and waybill of the parcel sent to the service."""
    return _act(
        ticket_id,
        lambda t: edits.set_shipment(
            current_actor(),
            t,
            "inbound",
            carrier=request.form.get("carrier"),
            waybill=request.form.get("waybill"),
            by_customer=True,
        ),
        _("The waybill has been saved."),
        "#shipment",
    )


@portal.post("/service/tickets/<int:ticket_id>/files")
@portal_required
def service_files(ticket_id: int):
    """Add photos or documents to an open ticket."""
    return _act(
        ticket_id,
        lambda t: edits.add_files(
            current_actor(), t, request.files.getlist("files"), by_customer=True
        ),
        _("The files have been added."),
        "#files",
    )


@portal.get("/service/tickets/<int:ticket_id>/label")
@portal_required
def service_label(ticket_id: int):
    """The service label to stick on the parcel (PDF with the ticket's barcode)."""
    ticket = _own(ServiceTicket, ticket_id)
    row = ticket_label(current_actor(), ticket)
    db.session.commit()
    return send_file(attachment_path(row), mimetype=row.mimetype, download_name=row.filename)


@portal.get("/service/files/<int:attachment_id>")
@portal_required
def service_file(attachment_id: int):
    """A file of the company's ticket or product (staff-only files are not shown)."""
    row = db.session.get(ServiceAttachment, attachment_id)
    if row is None or not row.public:
        abort(404)
    owner = row.ticket or row.registered_product
    if owner.customer_id != _customer_id():
        abort(403)
    return send_file(
        attachment_path(row),
        mimetype=row.mimetype,
        download_name=row.filename,
        as_attachment=request.args.get("inline") != "1",
    )
