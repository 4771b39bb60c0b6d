"""Console views of the offers module: the offer list (search, filters, export), the offer
page and editor (mixins in offer_pages.py and offer_editor.py), the dictionaries."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import (
    BaseSQLAFilter,
    DateBetweenFilter,
    FilterEqual,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import exists, func, or_, select

from backoffice.i18n import format_when
from backoffice.services.offers import status_label
from models.customers import Customer
from models.offer_lines import OfferLine
from models.offers import Offer, OfferRecipient, OfferStatus, OfferVersion
from models.products import Product
from models.users import Role, User
from views.admin.base import Category, SecureModelView
from views.admin.dashboard import counter
from views.admin.offer_editor import OfferEditorMixin
from views.admin.offer_pages import OfferPagesMixin

STATUS_TONES = {
    OfferStatus.DRAFT: "secondary",
    OfferStatus.SENT: "primary",
    OfferStatus.ACCEPTED: "success",
    OfferStatus.PARTIALLY_ACCEPTED: "info",
    OfferStatus.REJECTED: "danger",
    OfferStatus.EXPIRED: "warning",
    OfferStatus.CANCELLED: "dark",
}


def status_badge(status: OfferStatus) -> Markup:
    return Markup(
        f'<span class="badge badge-{STATUS_TONES[status]}" data-status="{status.value}">'
        f"{escape(status_label(status))}</span>"
    )


def _like(value: str) -> str:
    text = (value or "").strip().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    return f"%{text}%"


def customer_clause(value: str):
    """Offers made to a customer whose name, NIP or ERP id matches."""
    like = _like(value)
    return exists(
        select(OfferRecipient.id)
        .join(Customer, Customer.id == OfferRecipient.customer_id)
        .where(
            OfferRecipient.offer_id == Offer.id,
            or_(
                Customer.name.ilike(like, escape="\\"),
                Customer.nip.ilike(like.replace("-", ""), escape="\\"),
                Customer.external_id.ilike(like, escape="\\"),
            ),
        )
    )


def product_clause(value: str):
    """Offers with a line (in any version) whose product SKU, EAN or name matches."""
    like = _like(value)
    return exists(
        select(OfferLine.id)
        .join(OfferVersion, OfferVersion.id == OfferLine.version_id)
        .outerjoin(Product, Product.id == OfferLine.product_id)
        .where(
            OfferVersion.offer_id == Offer.id,
            or_(
                OfferLine.sku.ilike(like, escape="\\"),
                OfferLine.name.ilike(like, escape="\\"),
                Product.ean.ilike(like, escape="\\"),
            ),
        )
    )


class ClauseFilter(BaseSQLAFilter):
    """A "contains" filter answered by an EXISTS clause."""

    def __init__(self, name, clause):
        super().__init__(Offer.id, name)
        self.clause = clause

    def apply(self, query, value, alias=None):
        return query.filter(self.clause(value))

    def operation(self):
        return _l("contains")


def _rep_options():
    """Sales reps and admins (read per request; empty while the console is being built)."""
    from flask import has_app_context

    from backoffice.extensions import db
    from models.users import UserRole

    if not has_app_context():
        return []
    users = db.session.scalars(
        select(User)
        .join(UserRole)
        .where(UserRole.role.in_([Role.SALES, Role.ADMIN]))
        .order_by(User.name)
        .distinct()
    ).all()
    return [(str(u.id), u.name) for u in users]


def _customers(view, context, model, name):
    names = [escape(r.customer.name) for r in model.recipients if r.status != "cancelled"]
    return Markup("<br>".join(names))


def _number(view, context, model, name):
    url = url_for(".details_view", id=model.id)
    return Markup(f'<a href="{url}" data-testid="offer-link">{escape(model.number)}</a>')


class OfferAdmin(OfferPagesMixin, OfferEditorMixin, SecureModelView):
    """All offers (admins) or the rep's own offers; create and edit go to the editor."""

    roles = (Role.SALES,)
    can_view_details = True
    allow_edit = True
    column_list = (
        "number",
        "title",
        "recipients",
        "rep",
        "status",
        "valid_until",
        "total_net",
        "total_gross",
        "created_at",
    )
    column_labels = {
        "number": _l("Number"),
        "title": _l("Offer title"),
        "recipients": _l("Customers"),
        "rep": _l("Sales rep"),
        "status": _l("Status"),
        "valid_until": _l("Valid until"),
        "total_net": _l("Net total"),
        "total_gross": _l("Gross total"),
        "created_at": _l("Created"),
    }
    column_sortable_list = (
        "number",
        "title",
        ("rep", "rep.name"),
        "status",
        "valid_until",
        "total_net",
        "total_gross",
        "created_at",
    )
    column_default_sort = ("created_at", True)
    column_searchable_list = ("number", "title")
    column_export_list = column_list
    column_formatters = {
        "number": _number,
        "recipients": _customers,
        "status": lambda v, c, m, n: status_badge(m.status),
        "total_net": lambda v, c, m, n: _money(m.total_net, m.currency),
        "total_gross": lambda v, c, m, n: _money(m.total_gross, m.currency),
        "rep": lambda v, c, m, n: m.rep.name,
        "valid_until": lambda v, c, m, n: format_when(m.valid_until),
        "created_at": lambda v, c, m, n: format_when(m.created_at),
    }
    column_formatters_export = {
        "recipients": lambda v, c, m, n: ", ".join(r.customer.name for r in m.recipients),
        "status": lambda v, c, m, n: status_label(m.status),
        "rep": lambda v, c, m, n: m.rep.name,
    }

    def __init__(self, *args, **kwargs):
        self.column_filters = (
            FilterEqual(
                Offer.status,
                _l("Status"),
                options=lambda: [(s.value, status_label(s)) for s in OfferStatus],
            ),
            FilterEqual(Offer.rep_id, _l("Sales rep"), options=_rep_options),
            ClauseFilter(_l("Customer (name, NIP)"), customer_clause),
            ClauseFilter(_l("Product (SKU, EAN, name)"), product_clause),
            DateBetweenFilter(Offer.created_at, _l("Created")),
            DateBetweenFilter(Offer.valid_until, _l("Valid until")),
        )
        super().__init__(*args, **kwargs)

    def search_placeholder(self):
        return str(_l("Number, title, customer, NIP, product SKU/EAN/name"))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        for term in search.split():
            clause = or_(
                Offer.number.ilike(_like(term), escape="\\"),
                Offer.title.ilike(_like(term), escape="\\"),
                customer_clause(term),
                product_clause(term),
            )
            query = query.filter(clause)
            if count_query is not None:
                count_query = count_query.filter(clause)
        return query, count_query, joins, count_joins

    def scope(self, query):
        """Reps see the offers they own; administrators (sales managers) see all."""
        if current_user.has_role(Role.ADMIN):
            return query
        return query.filter(Offer.rep_id == current_user.id)

    def audit_name(self) -> str:
        return "offer"

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        return self.new_offer_view()

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        return redirect(url_for(".editor_view", id=request.args.get("id", type=int) or 0))


def _money(value, currency):
    from backoffice.i18n import format_money

    return format_money(value, currency)


def _scoped_offers():
    query = select(func.count()).select_from(Offer)
    if not current_user.has_role(Role.ADMIN):
        query = query.where(Offer.rep_id == current_user.id)
    return query


@counter(_l("Offers awaiting an answer"), endpoint="offers.index_view", roles=(Role.SALES,))
def _awaiting() -> int:
    from backoffice.extensions import db

    return db.session.scalar(_scoped_offers().where(Offer.status == OfferStatus.SENT)) or 0


@counter(
    _l("Accepted offers to convert"),
    endpoint="offers.index_view",
    roles=(Role.SALES,),
    tone="success",
)
def _to_convert() -> int:
    from backoffice.extensions import db

    query = _scoped_offers().where(
        exists(
            select(OfferRecipient.id).where(
                OfferRecipient.offer_id == Offer.id,
                OfferRecipient.status.in_([OfferStatus.ACCEPTED, OfferStatus.PARTIALLY_ACCEPTED]),
                OfferRecipient.order_id.is_(None),
            )
        )
    )
    return db.session.scalar(query) or 0


def register(admin) -> None:
    """Add this module's views to the console."""
    from views.admin.offer_catalog import ConditionTemplateAdmin, ExtraServiceAdmin

    admin.add_view(OfferAdmin(Offer, name=_l("Offers"), category=Category.SALES, endpoint="offers"))
    admin.add_view(
        ExtraServiceAdmin(
            name=_l("Extra services"), category=Category.SALES, endpoint="offer_services"
        )
    )
    admin.add_view(
        ConditionTemplateAdmin(
            name=_l("Offer conditions"), category=Category.SALES, endpoint="offer_conditions"
        )
    )
