"""Console views of the service module: the open-ticket queue with ageing and the scanner
field, the ticket register (XLSX), registered products, the procedures editor, counters."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import DateBetweenFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.services.service_lookup import find_by_code
from backoffice.services.warranty import warsaw_today
from models.customers import Customer
from models.service_procedures import ProcedureStatus
from models.service_products import RegisteredProduct, RegistrationStatus
from models.service_tickets import ServiceTicket
from models.users import Role
from views.admin.base import Category, ReadOnlyModelView
from views.admin.dashboard import counter
from views.admin.service_filters import (
    DaysInStatusFilter,
    SubqueryFilter,
    service_staff_options,
    status_options,
)
from views.admin.service_ticket_page import TicketPageMixin
from views.service_texts import (
    KIND_LABELS,
    SOURCE_LABELS,
    ageing_badge,
    kind_badge,
    status_badge,
    status_label,
)


def _number_link(view, context, model, name):
    url = url_for("service_tickets.details_view", id=model.id)
    return Markup(f'<a href="{url}" data-testid="ticket-link">{escape(model.number)}</a>')


def _customer(view, context, model, name):
    return model.customer.name


def _unit(view, context, model, name):
    unit = model.registered_product
    return unit.product.name if name == "product" else (unit.serial or "")


class ServiceTicketAdmin(TicketPageMixin, ReadOnlyModelView):
    """Every service ticket: search, filters, XLSX export; the ticket's workflow page."""

    roles = (Role.SERVICE,)
    list_template = "admin/service_tickets/list.html"
    #: Relations are loaded by ``get_query`` (selectin), not joined by Flask-Admin.
    column_auto_select_related = False
    page_size = 50
    column_list = (
        "number",
        "status",
        "days_in_status",
        "kind",
        "customer",
        "product",
        "serial",
        "assigned_to",
        "filed_on",
        "source",
    )
    column_export_list = (
        "number",
        "status",
        "days_in_status",
        "kind",
        "customer",
        "product",
        "serial",
        "assigned_to",
        "filed_on",
        "goods_received_on",
        "returned_on",
        "source",
        "inbound_waybill",
        "outbound_waybill",
        "cost_net",
        "is_open",
    )
    column_labels = {
        "number": _l("Number"),
        "status": _l("Status"),
        "days_in_status": _l("Days in status"),
        "kind": _l("Type"),
        "customer": _l("Customer"),
        "product": _l("Product"),
        "serial": _l("Serial number"),
        "assigned_to": _l("Handled by"),
        "filed_on": _l("Filed on"),
        "source": _l("Source"),
        "goods_received_on": _l("Goods received"),
        "returned_on": _l("Returned"),
        "inbound_waybill": _l("Inbound waybill"),
        "outbound_waybill": _l("Outbound waybill"),
        "cost_net": _l("Cost net"),
        "is_open": _l("Open ticket"),
        "status_changed_at": _l("In status since"),
        "customer.name": _l("Customer"),
        "customer.nip": _l("NIP"),
        "registered_product.serial": _l("Serial number"),
        "registered_product.product.name": _l("Product"),
        "registered_product.product.sku": _l("SKU"),
    }
    column_searchable_list = (
        "number",
        "inbound_waybill",
        "outbound_waybill",
        "customer.name",
        "customer.nip",
        "registered_product.serial",
        "registered_product.product.sku",
        "registered_product.product.name",
    )
    column_sortable_list = ("number", "filed_on", "status_changed_at")
    column_default_sort = ("filed_on", True)
    column_formatters = {
        "number": _number_link,
        "status": lambda v, c, m, n: status_badge(m.status),
        "days_in_status": lambda v, c, m, n: ageing_badge(m.days_in_status(warsaw_today())),
        "kind": lambda v, c, m, n: kind_badge(m),
        "customer": _customer,
        "product": _unit,
        "serial": _unit,
        "assigned_to": lambda v, c, m, n: m.assigned_to.name if m.assigned_to else "",
        "filed_on": lambda v, c, m, n: format_when(m.filed_on),
        "source": lambda v, c, m, n: SOURCE_LABELS[m.source.value],
    }
    column_formatters_export = {
        "status": lambda v, c, m, n: status_label(m.status),
        "days_in_status": lambda v, c, m, n: m.days_in_status(warsaw_today()),
        "kind": lambda v, c, m, n: str(KIND_LABELS[m.kind.value]),
        "customer": _customer,
        "product": _unit,
        "serial": _unit,
        "assigned_to": lambda v, c, m, n: m.assigned_to.name if m.assigned_to else None,
        "source": lambda v, c, m, n: str(SOURCE_LABELS[m.source.value]),
        "cost_net": lambda v, c, m, n: m.cost_net,
    }

    column_filters = (
        SubqueryFilter(
            ServiceTicket.status_id,
            _l("Status"),
            lambda v: select(ProcedureStatus.id).where(ProcedureStatus.code == v),
            options=status_options,
        ),
        DaysInStatusFilter(ServiceTicket.status_changed_at, _l("Days in status")),
        SubqueryFilter(
            ServiceTicket.kind,
            _l("Type"),
            lambda v: [v],
            options=[(k, v) for k, v in KIND_LABELS.items()],
        ),
        SubqueryFilter(
            ServiceTicket.customer_id,
            _l("Customer"),
            lambda v: select(Customer.id).where(
                func.lower(Customer.name).contains(v.lower(), autoescape=True)
            ),
            operation=_l("contains"),
        ),
        SubqueryFilter(
            ServiceTicket.assigned_to_id,
            _l("Handled by"),
            lambda v: [int(v)],
            options=service_staff_options,
        ),
        SubqueryFilter(
            ServiceTicket.source,
            _l("Source"),
            lambda v: [v],
            options=[(k, v) for k, v in SOURCE_LABELS.items()],
        ),
        SubqueryFilter(
            ServiceTicket.is_open,
            _l("Open ticket"),
            lambda v: [v == "1"],
            options=[("1", _l("yes")), ("0", _l("no"))],
        ),
        DateBetweenFilter(ServiceTicket.filed_on, _l("Filed on")),
    )

    def get_query(self):
        return self.scope(
            super()
            .get_query()
            .options(
                selectinload(ServiceTicket.customer),
                selectinload(ServiceTicket.status),
                selectinload(ServiceTicket.assigned_to),
                selectinload(ServiceTicket.registered_product).selectinload(
                    RegisteredProduct.product
                ),
            )
        )

    def _get_filter_groups(self):
        # Refresh options that come from the database (statuses, staff) on every page.
        self._refresh_filters_cache()
        return super()._get_filter_groups()

    def get_export_name(self, export_type="xlsx"):
        return f"zgloszenia-serwisowe-{warsaw_today().isoformat()}.{export_type}"

    def audit_name(self) -> str:
        return "service_ticket"

    @expose("/scan/")
    def scan_view(self):
        """Open what a scanned or typed code names: a ticket, a waybill or a serial number."""
        code = (request.args.get("code") or "").strip()
        found = find_by_code(code) if code else None
        if found is None:
            if code:
                flash(_("Nothing matches the code %(code)s.", code=code), "warning")
            return redirect(url_for(".index_view"))
        kind, obj = found
        if kind == "ticket":
            return redirect(url_for("service_tickets.details_view", id=obj.id))
        return redirect(url_for("service_products.details_view", id=obj.id))


class ServiceQueueAdmin(ServiceTicketAdmin):
    """Open tickets, longest in their current status first."""

    column_default_sort = ("status_changed_at", False)

    def scope(self, query):
        return query.filter(ServiceTicket.is_open.is_(True))

    @expose("/details/")
    def details_view(self):
        return redirect(url_for("service_tickets.details_view", id=request.args.get("id")))


def _open_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(ServiceTicket).where(ServiceTicket.is_open.is_(True))
    )


def _stale_count() -> int:
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
    return db.session.scalar(
        select(func.count())
        .select_from(ServiceTicket)
        .where(ServiceTicket.is_open.is_(True), ServiceTicket.status_changed_at < cutoff)
    )


def _to_verify_count() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RegisteredProduct)
        .where(RegisteredProduct.status == RegistrationStatus.TO_VERIFY)
    )


counter(_l("Open service tickets"), endpoint="service_queue.index_view", roles=(Role.SERVICE,))(
    _open_count
)
counter(
    _l("Service tickets waiting 7+ days"),
    endpoint="service_queue.index_view",
    roles=(Role.SERVICE,),
    tone="danger",
)(_stale_count)
counter(
    _l("Registered products to verify"),
    endpoint="service_products.index_view",
    roles=(Role.SERVICE,),
    tone="warning",
)(_to_verify_count)


def register(admin) -> None:
    """Add this module's views to the console."""
    from views.admin.service_procedures import ServiceProcedureAdmin
    from views.admin.service_products import RegisteredProductAdmin

    admin.add_view(
        ServiceQueueAdmin(
            ServiceTicket,
            name=_l("Open tickets"),
            category=Category.SERVICE,
            endpoint="service_queue",
            url="/admin/service-queue",
        )
    )
    admin.add_view(
        ServiceTicketAdmin(
            ServiceTicket,
            name=_l("All tickets"),
            category=Category.SERVICE,
            endpoint="service_tickets",
            url="/admin/service-tickets",
        )
    )
    admin.add_view(
        RegisteredProductAdmin(
            RegisteredProduct,
            name=_l("Registered products"),
            category=Category.SERVICE,
            endpoint="service_products",
            url="/admin/service-products",
        )
    )
    admin.add_view(
        ServiceProcedureAdmin(
            name=_l("Service procedures"),
            category=Category.SERVICE,
            endpoint="service_procedures",
            url="/admin/service-procedures",
        )
    )
