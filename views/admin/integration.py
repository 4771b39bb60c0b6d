"""Console views of the data the ERP and the shop push: orders (with lines and events) and
delivery notes (with lines and serial numbers) — read-only, searchable, exportable — plus
the dashboard counters. Receivables are in ``integration_receivables``, API tokens in
``integration_tokens``."""

from __future__ import annotations

import datetime as dt

from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from backoffice.i18n import format_money, format_when
from backoffice.services.orders import WARSAW, count_orders_placed_on
from backoffice.services.receivables import count_receivables
from models.delivery_notes import DeliveryNote, DeliveryNoteLine
from models.orders import Order, OrderLine, OrderStatus
from models.users import Role
from views.admin import integration_receivables, integration_tokens
from views.admin.base import Category, ReadOnlyModelView
from views.admin.dashboard import counter
from views.admin.system_audit import WarsawDateBetween

STATUS_LABELS = {
    "placed": _l("placed"),
    "paid": _l("paid"),
    "shipped": _l("shipped"),
    "delivered": _l("delivered"),
    "cancelled": _l("cancelled"),
}
SOURCE_LABELS = {"shop": _l("shop"), "erp": _l("ERP"), "offer": _l("offer")}
STATUS_TONES = {"cancelled": "secondary", "delivered": "success", "shipped": "info"}
FINANCE_VIEWERS = (Role.FINANCE, Role.SALES)


def warsaw_today() -> dt.date:
    return dt.datetime.now(WARSAW).date()


def money_column(view, context, model, name):
    return format_money(getattr(model, name), getattr(model, "currency", "PLN"))


def when_column(view, context, model, name):
    return format_when(getattr(model, name))


def status_badge(view, context, model, name):
    status = model.status.value
    tone = STATUS_TONES.get(status, "primary")
    label = STATUS_LABELS.get(status, status)
    return Markup(f'<span class="badge badge-{tone}">{escape(label)}</span>')


def details_link(view, context, model, name):
    """The row's number as a link to its details page."""
    url = view.get_url(".details_view", id=model.id)
    return Markup(f'<a href="{escape(url)}">{escape(getattr(model, name))}</a>')


def customer_column(view, context, model, name):
    customer = model.customer
    return f"{customer.name} ({customer.nip})" if customer.nip else customer.name


class OrderAdmin(ReadOnlyModelView):
    """Orders from the shop, the ERP and converted offers; details show lines and events."""

    details_template = "admin/integration/order_details.html"
    column_list = (
        "number",
        "customer",
        "status",
        "source",
        "placed_at",
        "total_gross",
        "waybill",
        "updated_at",
    )
    column_searchable_list = (
        "number",
        "external_id",
        "waybill",
        "customer.name",
        "customer.nip",
        "customer.external_id",
    )
    column_filters = (
        FilterEqual(
            Order.status,
            _l("Status"),
            options=[(s.value, STATUS_LABELS[s.value]) for s in OrderStatus],
        ),
        FilterEqual(Order.source, _l("Source"), options=list(SOURCE_LABELS.items())),
        WarsawDateBetween(Order.placed_at, _l("Placed")),
        FilterLike(Order.carrier, _l("Carrier")),
        FilterEqual(Order.currency, _l("Currency")),
    )
    column_default_sort = ("updated_at", True)
    column_labels = {
        "number": _l("Number"),
        "external_id": _l("External id"),
        "customer": _l("Customer"),
        "customer.name": _l("Customer"),
        "customer.nip": _l("NIP"),
        "customer.external_id": _l("Customer's external id"),
        "status": _l("Status"),
        "source": _l("Source"),
        "placed_at": _l("Placed"),
        "total_net": _l("Net"),
        "total_gross": _l("Gross"),
        "currency": _l("Currency"),
        "waybill": _l("Waybill"),
        "carrier": _l("Carrier"),
        "cod_amount": _l("Cash on delivery"),
        "updated_at": _l("Changed"),
    }
    column_formatters = {
        "number": details_link,
        "customer": customer_column,
        "status": status_badge,
        "source": lambda v, c, m, n: SOURCE_LABELS.get(m.source, m.source),
        "placed_at": when_column,
        "updated_at": when_column,
        "total_gross": money_column,
    }
    column_export_list = (
        "number",
        "external_id",
        "customer.name",
        "customer.nip",
        "status",
        "source",
        "placed_at",
        "currency",
        "total_net",
        "total_gross",
        "waybill",
        "carrier",
        "cod_amount",
    )
    column_formatters_export = {
        "customer.name": lambda v, c, m, n: m.customer.name,
        "customer.nip": lambda v, c, m, n: m.customer.nip,
        "status": lambda v, c, m, n: m.status.value,
    }

    def lines(self, order: Order) -> list[OrderLine]:
        """The order's lines with their products, for the details page."""
        return list(order.lines)

    def status_label(self, value) -> str:
        return str(STATUS_LABELS.get(getattr(value, "value", value), value))

    def source_label(self, value) -> str:
        return str(SOURCE_LABELS.get(value, value))


def _serials(view, context, model, name):
    count = sum(len(line.serials) for line in model.lines)
    return count or ""


class DeliveryNoteAdmin(ReadOnlyModelView):
    """Delivery notes (WZ), also ones issued before this system; search by serial number."""

    details_template = "admin/integration/delivery_note_details.html"
    column_list = ("number", "customer", "order", "issued_at", "lines", "serials")
    column_searchable_list = (
        "number",
        "external_id",
        "customer.name",
        "customer.nip",
        "order.number",
        "lines.serials.serial",
    )
    column_filters = (WarsawDateBetween(DeliveryNote.issued_at, _l("Issued")),)
    column_default_sort = ("issued_at", True)
    column_labels = {
        "number": _l("Number"),
        "external_id": _l("External id"),
        "customer": _l("Customer"),
        "customer.name": _l("Customer"),
        "customer.nip": _l("NIP"),
        "order": _l("Order"),
        "order.number": _l("Order"),
        "issued_at": _l("Issued"),
        "lines": _l("Lines"),
        "serials": _l("Serial numbers"),
        "lines.serials.serial": _l("Serial number"),
    }
    column_formatters = {
        "number": details_link,
        "customer": customer_column,
        "issued_at": when_column,
        "lines": lambda v, c, m, n: len(m.lines),
        "serials": _serials,
    }
    column_export_list = (
        "number",
        "external_id",
        "customer.name",
        "customer.nip",
        "order",
        "issued_at",
    )
    column_formatters_export = {
        "customer.name": lambda v, c, m, n: m.customer.name,
        "customer.nip": lambda v, c, m, n: m.customer.nip,
    }

    def get_query(self):
        return (
            super()
            .get_query()
            .options(selectinload(DeliveryNote.lines).selectinload(DeliveryNoteLine.serials))
        )


@counter(_l("Orders today"), endpoint="orders.index_view")
def orders_today() -> int:
    return count_orders_placed_on(warsaw_today())


@counter(_l("Open receivables"), endpoint="receivables.index_view", roles=FINANCE_VIEWERS)
def open_receivables() -> int:
    return count_receivables()


@counter(
    _l("Overdue receivables"),
    endpoint="receivables.overdue_view",
    roles=FINANCE_VIEWERS,
    tone="danger",
)
def overdue_receivables() -> int:
    return count_receivables(overdue_on=warsaw_today())


def register(admin) -> None:
    """Add this module's views to the console."""
    admin.add_view(
        OrderAdmin(Order, name=_l("Orders"), category=Category.ORDERS, endpoint="orders")
    )
    admin.add_view(
        DeliveryNoteAdmin(
            DeliveryNote,
            name=_l("Delivery notes"),
            category=Category.ORDERS,
            endpoint="delivery_notes",
        )
    )
    integration_receivables.register(admin)
    integration_tokens.register(admin)
