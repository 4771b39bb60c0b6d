"""Console: receivables (with their payments) and payments, read-only, for all staff."""

from __future__ import annotations

import datetime as dt

from flask import redirect
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, BooleanEqualFilter, FilterEqual
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload

from backoffice.i18n import format_money, format_when
from backoffice.services.orders import WARSAW
from models.receivables import Payment, Receivable
from views.admin.base import Category, ReadOnlyModelView
from views.admin.system_audit import WarsawDateBetween


def _today() -> dt.date:
    return dt.datetime.now(WARSAW).date()


class OverdueFilter(BaseSQLAFilter):
    """Open receivables past their due date (yes) or not (no)."""

    def __init__(self, column, name):
        super().__init__(column, name, options=(("1", _l("Yes")), ("0", _l("No"))))

    def apply(self, query, value, alias=None):
        overdue = (Receivable.is_open.is_(True)) & (Receivable.due_date < _today())
        return query.filter(overdue if value == "1" else ~overdue)

    def operation(self):
        return _l("equals")


def details_link(view, context, model, name):
    """The row's document number as a link to its details page."""
    url = view.get_url(".details_view", id=model.id)
    return Markup(f'<a href="{escape(url)}">{escape(getattr(model, name))}</a>')


def _money(view, context, model, name):
    return format_money(getattr(model, name), model.currency)


def _due(view, context, model, name):
    text = escape(format_when(model.due_date))
    if model.is_open and model.due_date < _today():
        days = (_today() - model.due_date).days
        late = escape(_l("%(days)s days late", days=days))
        return Markup(f'{text} <span class="badge badge-danger">{late}</span>')
    return text


def _state(view, context, model, name):
    if not model.is_open:
        return Markup(f'<span class="badge badge-success">{escape(_l("paid"))}</span>')
    return Markup(f'<span class="badge badge-warning">{escape(_l("open"))}</span>')


class ReceivableAdmin(ReadOnlyModelView):
    """What customers owe, document by document; overdue ones stand out."""

    details_template = "admin/integration/receivable_details.html"
    column_list = (
        "document_number",
        "customer",
        "issued_at",
        "due_date",
        "amount",
        "paid_amount",
        "outstanding",
        "is_open",
    )
    column_searchable_list = (
        "document_number",
        "external_id",
        "customer.name",
        "customer.nip",
        "customer.external_id",
    )
    column_filters = (
        BooleanEqualFilter(Receivable.is_open, _l("Open")),
        OverdueFilter(Receivable.due_date, _l("Overdue")),
        WarsawDateBetween(Receivable.due_date, _l("Due")),
        FilterEqual(Receivable.currency, _l("Currency")),
    )
    column_default_sort = ("due_date", False)
    column_labels = {
        "document_number": _l("Document"),
        "external_id": _l("External id"),
        "customer": _l("Customer"),
        "customer.name": _l("Customer"),
        "customer.nip": _l("NIP"),
        "customer.external_id": _l("Customer's external id"),
        "issued_at": _l("Issued"),
        "due_date": _l("Due"),
        "amount": _l("Amount"),
        "paid_amount": _l("Paid"),
        "outstanding": _l("Outstanding"),
        "is_open": _l("State"),
        "currency": _l("Currency"),
        "paid_at": _l("Paid on"),
    }
    column_formatters = {
        "document_number": details_link,
        "customer": lambda v, c, m, n: m.customer.name,
        "issued_at": lambda v, c, m, n: format_when(m.issued_at),
        "due_date": _due,
        "amount": _money,
        "paid_amount": _money,
        "outstanding": _money,
        "is_open": _state,
    }
    column_export_list = (
        "document_number",
        "external_id",
        "customer.name",
        "customer.nip",
        "issued_at",
        "due_date",
        "currency",
        "amount",
        "paid_amount",
        "outstanding",
        "is_open",
        "paid_at",
    )
    column_formatters_export = {
        "customer.name": lambda v, c, m, n: m.customer.name,
        "customer.nip": lambda v, c, m, n: m.customer.nip,
        "outstanding": lambda v, c, m, n: m.outstanding,
    }

    def is_overdue(self, receivable: Receivable) -> bool:
        return receivable.is_open and receivable.due_date < _today()

    @expose("/overdue/")
    def overdue_view(self):
        """The list filtered to overdue receivables (linked from the dashboard)."""
        for index, flt in enumerate(self._filters or ()):
            if isinstance(flt, OverdueFilter):
                return redirect(self.get_url(".index_view", **{f"flt0_{index}": "1"}))
        return redirect(self.get_url(".index_view"))


class PaymentAdmin(ReadOnlyModelView):
    """Payments booked against receivables, as the ERP or the bank reported them."""

    column_list = ("paid_at", "receivable", "customer", "amount", "external_id")
    column_searchable_list = (
        "external_id",
        "receivable.document_number",
        "receivable.customer.name",
    )
    column_filters = (WarsawDateBetween(Payment.paid_at, _l("Paid")),)
    column_default_sort = ("paid_at", True)
    column_labels = {
        "paid_at": _l("Paid"),
        "receivable": _l("Document"),
        "receivable.document_number": _l("Document"),
        "receivable.customer.name": _l("Customer"),
        "customer": _l("Customer"),
        "amount": _l("Amount"),
        "external_id": _l("External id"),
    }
    column_formatters = {
        "paid_at": lambda v, c, m, n: format_when(m.paid_at),
        "customer": lambda v, c, m, n: m.receivable.customer.name,
        "amount": lambda v, c, m, n: format_money(m.amount, m.receivable.currency),
    }
    column_export_list = ("paid_at", "receivable", "customer", "amount", "external_id")
    column_formatters_export = {"customer": lambda v, c, m, n: m.receivable.customer.name}

    def get_query(self):
        return (
            super()
            .get_query()
            .options(joinedload(Payment.receivable).joinedload(Receivable.customer))
        )


def register(admin) -> None:
    """Receivables and payments under Finance."""
    admin.add_view(
        ReceivableAdmin(
            Receivable, name=_l("Receivables"), category=Category.FINANCE, endpoint="receivables"
        )
    )
    admin.add_view(
        PaymentAdmin(Payment, name=_l("Payments"), category=Category.FINANCE, endpoint="payments")
    )
