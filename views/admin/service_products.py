"""Console: registered products — the list, registration by staff, the product page with the
warranty and repair history, verification of customers' registrations, filing a ticket."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.services.service_lookup import (
    customer_options,
    product_options,
    resolve_customer,
    resolve_product,
)
from backoffice.services.service_products import (
    change_warranty_terms,
    register_product,
    reject_registration,
    verify_registration,
)
from backoffice.services.service_tickets import create_ticket
from backoffice.services.warranty import warranty_state, warsaw_today
from models.customers import Customer
from models.service_products import RegisteredProduct
from models.service_tickets import TicketSource
from models.users import Role
from views.admin.base import SecureModelView
from views.admin.service_filters import SubqueryFilter
from views.admin.service_ticket_page import flash_error, form_date
from views.service_forms import (
    CARRIERS,
    StaffRegistrationForm,
    StaffTicketForm,
    show_errors,
)
from views.service_texts import (
    KIND_LABELS,
    PURCHASE_SOURCE_LABELS,
    REGISTRATION_LABELS,
    SOURCE_LABELS,
    kind_badge,
    registration_badge,
    status_badge,
)


class WarrantyActiveFilter(BaseSQLAFilter):
    """Units whose warranty runs today (yes) or has ended (no)."""

    def validate(self, value):
        return value in ("1", "0")

    def apply(self, query, value, alias=None):
        today = warsaw_today()
        column = RegisteredProduct.warranty_ends_on
        return query.filter(column >= today if value == "1" else column < today)

    def operation(self):
        return _l("equals")


def _warranty(view, context, model, name):
    active = model.warranty_ends_on >= warsaw_today()
    tone = "success" if active else "secondary"
    return Markup(
        f'<span class="badge badge-{tone}" data-warranty="{int(active)}">'
        f"{escape(format_when(model.warranty_ends_on))}</span>"
    )


class RegisteredProductAdmin(SecureModelView):
    """Customers' units with serial numbers and their warranty."""

    roles = (Role.SERVICE,)
    list_template = "admin/service_tickets/products_list.html"
    #: Registration has its own page (create_view below), linked from the list template.
    allow_create = False
    allow_edit = False
    #: Relations are loaded by ``get_query`` (selectin), not joined by Flask-Admin.
    column_auto_select_related = False
    page_size = 50
    column_list = (
        "product",
        "serial",
        "customer",
        "purchase_date",
        "warranty_ends_on",
        "status",
        "tickets",
    )
    column_export_list = (
        "product",
        "serial",
        "customer",
        "purchase_date",
        "purchase_source",
        "warranty_months",
        "warranty_extension_days",
        "warranty_ends_on",
        "status",
        "source",
    )
    column_labels = {
        "product": _l("Product"),
        "serial": _l("Serial number"),
        "customer": _l("Customer"),
        "purchase_date": _l("Purchase date"),
        "warranty_ends_on": _l("Warranty until"),
        "status": _l("Registration"),
        "tickets": _l("Tickets"),
        "purchase_source": _l("Purchase date from"),
        "warranty_months": _l("Warranty months"),
        "warranty_extension_days": _l("Extension days"),
        "source": _l("Registered via"),
        "customer.name": _l("Customer"),
        "customer.nip": _l("NIP"),
        "product.sku": _l("SKU"),
        "product.name": _l("Product"),
    }
    column_searchable_list = (
        "serial",
        "customer.name",
        "customer.nip",
        "product.sku",
        "product.name",
    )
    column_sortable_list = ("serial", "purchase_date", "warranty_ends_on")
    column_default_sort = ("id", True)
    column_filters = (
        SubqueryFilter(
            RegisteredProduct.status,
            _l("Registration"),
            lambda v: [v],
            options=[(k, v) for k, v in REGISTRATION_LABELS.items()],
        ),
        WarrantyActiveFilter(
            RegisteredProduct.warranty_ends_on,
            _l("Under warranty"),
            options=[("1", _l("yes")), ("0", _l("no"))],
        ),
        SubqueryFilter(
            RegisteredProduct.customer_id,
            _l("Customer"),
            lambda v: select(Customer.id).where(
                func.lower(Customer.name).contains(v.lower(), autoescape=True)
            ),
            operation=_l("contains"),
        ),
    )
    column_formatters = {
        "product": lambda v, c, m, n: Markup(
            f'<a href="{url_for(".details_view", id=m.id)}" data-testid="unit-link">'
            f"{escape(m.product.sku)} — {escape(m.product.name)}</a>"
        ),
        "customer": lambda v, c, m, n: m.customer.name,
        "purchase_date": lambda v, c, m, n: format_when(m.purchase_date),
        "warranty_ends_on": _warranty,
        "status": lambda v, c, m, n: registration_badge(m),
        "tickets": lambda v, c, m, n: len(m.tickets),
    }
    column_formatters_export = {
        "product": lambda v, c, m, n: f"{m.product.sku} — {m.product.name}",
        "customer": lambda v, c, m, n: m.customer.name,
        "status": lambda v, c, m, n: str(REGISTRATION_LABELS[m.status.value]),
        "purchase_source": lambda v, c, m, n: str(PURCHASE_SOURCE_LABELS[m.purchase_source.value]),
    }

    def get_query(self):
        return self.scope(
            super()
            .get_query()
            .options(
                selectinload(RegisteredProduct.product),
                selectinload(RegisteredProduct.customer),
                selectinload(RegisteredProduct.tickets),
            )
        )

    def get_export_name(self, export_type="xlsx"):
        return f"produkty-zarejestrowane-{warsaw_today().isoformat()}.{export_type}"

    def audit_name(self) -> str:
        return "registered_product"

    def _unit(self, unit_id) -> RegisteredProduct:
        unit = self.get_one(str(unit_id))
        if unit is None:
            abort(404)
        return unit

    def _run(self, unit_id, action, success):
        unit = self._unit(unit_id)
        try:
            action(unit)
            db.session.commit()
            flash(success, "success")
        except DomainError as exc:
            db.session.rollback()
            flash_error(exc)
        return redirect(url_for(".details_view", id=unit_id))

    # --- pages --------------------------------------------------------------------------

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """Staff register a customer's unit."""
        form = StaffRegistrationForm()
        if form.validate_on_submit():
            try:
                unit = register_product(
                    current_actor(),
                    customer=resolve_customer(form.customer.data),
                    product=resolve_product(form.product.data),
                    serial=form.serial.data,
                    purchase_date=form.purchase_date.data,
                    warranty_months=form.warranty_months.data,
                    notes=form.notes.data,
                    proof=request.files.getlist(form.proof.name),
                    source="staff",
                )
                db.session.commit()
                flash(_("The product has been registered."), "success")
                return redirect(url_for(".details_view", id=unit.id))
            except DomainError as exc:
                db.session.rollback()
                show_errors(form, exc)
        return self.render(
            "admin/service_tickets/product_new.html",
            form=form,
            return_url=get_redirect_target() or url_for(".index_view"),
        )

    @expose("/lookup/<what>")
    def lookup_view(self, what: str):
        """Suggestions for the customer and product fields (type-ahead)."""
        finder = {"customers": customer_options, "products": product_options}.get(what)
        if finder is None:
            abort(404)
        return jsonify(finder(request.args.get("q", "")))

    @expose("/details/")
    def details_view(self):
        """The product page: warranty, its extensions and every repair."""
        unit = self._unit(request.args.get("id", ""))
        return self.render(
            "admin/service_tickets/product.html",
            unit=unit,
            state=warranty_state(unit),
            today=warsaw_today(),
            labels={
                "registration": REGISTRATION_LABELS,
                "purchase": PURCHASE_SOURCE_LABELS,
                "kind": KIND_LABELS,
                "source": SOURCE_LABELS,
            },
            status_badge=status_badge,
            kind_badge=kind_badge,
            registration_badge=registration_badge,
            ticket_url=lambda t: url_for("service_tickets.details_view", id=t.id),
            return_url=get_redirect_target() or url_for(".index_view"),
        )

    @expose("/<int:unit_id>/verify", methods=("POST",))
    def verify_view(self, unit_id: int):
        """Confirm a customer's registration (optionally correcting the date)."""
        return self._run(
            unit_id,
            lambda u: verify_registration(current_actor(), u, form_date("purchase_date")),
            _("The registration has been verified."),
        )

    @expose("/<int:unit_id>/reject", methods=("POST",))
    def reject_view(self, unit_id: int):
        """Refuse a customer's registration, with the reason."""
        return self._run(
            unit_id,
            lambda u: reject_registration(current_actor(), u, request.form.get("reason")),
            _("The registration has been rejected."),
        )

    @expose("/<int:unit_id>/terms", methods=("POST",))
    def terms_view(self, unit_id: int):
        """Correct the purchase date or the warranty period (audited with a reason)."""

        def change(unit):
            months = (request.form.get("warranty_months") or "").strip()
            change_warranty_terms(
                current_actor(),
                unit,
                purchase_date=form_date("purchase_date") or unit.purchase_date,
                warranty_months=int(months) if months.isdigit() else unit.warranty_months,
                reason=request.form.get("reason"),
            )

        return self._run(unit_id, change, _("The warranty has been recalculated."))

    @expose("/<int:unit_id>/ticket", methods=("GET", "POST"))
    def ticket_view(self, unit_id: int):
        """Staff file a service ticket for this unit."""
        unit = self._unit(unit_id)
        form = StaffTicketForm(contact_email=unit.customer.email, contact_phone=unit.customer.phone)
        if form.validate_on_submit():
            try:
                ticket = create_ticket(
                    current_actor(),
                    unit,
                    form.ticket_input(),
                    source=TicketSource.STAFF,
                    attachments=request.files.getlist(form.attachments.name),
                    kind=form.kind.data or None,
                    kind_reason=form.kind_reason.data,
                )
                db.session.commit()
                flash(_("Ticket %(number)s has been filed.", number=ticket.number), "success")
                return redirect(url_for("service_tickets.details_view", id=ticket.id))
            except DomainError as exc:
                db.session.rollback()
                show_errors(form, exc)
        return self.render(
            "admin/service_tickets/ticket_new.html",
            form=form,
            unit=unit,
            state=warranty_state(unit),
            carriers=CARRIERS,
        )
