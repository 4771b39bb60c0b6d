"""Console views of the returns module: the register and the queue of new returns (with
the scanner field), dictionaries, return permissions and B2B account applications."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.security import safe_next
from backoffice.services.return_texts import CHANNEL_LABELS, STATUS_LABELS, STATUS_TONES
from backoffice.services.returns import find_by_code
from models.returns import (
    AccountApplication,
    ApplicationStatus,
    ReturnCondition,
    ReturnLine,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)
from models.users import PortalUser, Role
from reports.return_register import RegisterLine, RegisterRow, render_return_register
from views.admin.base import Category, ReadOnlyModelView
from views.admin.dashboard import counter
from views.admin.returns_detail import ReturnWorkflowMixin
from views.admin.system_audit import WarsawDateBetween, WarsawDateFrom, WarsawDateTo

STATUS_OPTIONS = tuple((s.value, STATUS_LABELS[s]) for s in ReturnStatus)
CHANNEL_OPTIONS = tuple(CHANNEL_LABELS.items())


def status_badge(status: ReturnStatus) -> Markup:
    return Markup(
        f'<span class="badge badge-{STATUS_TONES[status]} badge-status" '
        f'data-status="{status.value}">{escape(STATUS_LABELS[status])}</span>'
    )


def _number_link(view, context, model, name):
    url = url_for("returns.details_view", id=model.id)
    return Markup(f'<a href="{url}" data-testid="return-link">{escape(model.number)}</a>')


class ReturnListAdmin(ReadOnlyModelView):
    """Columns, filters and search shared by the register and the queue."""

    roles = (Role.RMA,)
    list_template = "admin/returns/list.html"
    page_size = 50
    column_list = (
        "number",
        "status",
        "customer",
        "delivery_note",
        "created_at",
        "channel",
        "waybill_number",
        "decided_at",
    )
    column_labels = {
        "number": _l("Number"),
        "status": _l("Status"),
        "customer": _l("Customer"),
        "customer.name": _l("Customer"),
        "customer.nip": _l("NIP"),
        "delivery_note": _l("Delivery note"),
        "delivery_note.number": _l("Delivery note"),
        "created_at": _l("Filed"),
        "channel": _l("Channel"),
        "waybill_number": _l("Waybill"),
        "decided_at": _l("Decided"),
    }
    column_searchable_list = (
        "number",
        "waybill_number",
        "customer.name",
        "customer.nip",
        "delivery_note.number",
    )
    column_sortable_list = (
        "number",
        "status",
        ("customer", "customer.name"),
        "created_at",
        "decided_at",
    )
    column_default_sort = ("created_at", True)
    column_filters = (
        FilterEqual(ReturnRequest.status, _l("Status"), options=STATUS_OPTIONS),
        "customer.name",
        "customer.nip",
        "delivery_note.number",
        FilterEqual(ReturnRequest.channel, _l("Channel"), options=CHANNEL_OPTIONS),
        WarsawDateBetween(ReturnRequest.created_at, _l("Filed")),
        WarsawDateFrom(ReturnRequest.created_at, _l("Filed")),
        WarsawDateTo(ReturnRequest.created_at, _l("Filed")),
    )
    column_formatters = {
        "number": _number_link,
        "status": lambda v, c, m, n: status_badge(m.status),
        "created_at": lambda v, c, m, n: format_when(m.created_at),
        "decided_at": lambda v, c, m, n: format_when(m.decided_at),
        "channel": lambda v, c, m, n: dict(CHANNEL_OPTIONS).get(m.channel, m.channel),
    }
    column_formatters_export = {
        "status": lambda v, c, m, n: str(STATUS_LABELS[m.status]),
    }

    def audit_name(self) -> str:
        return "return"


class ReturnRegisterAdmin(ReturnWorkflowMixin, ReturnListAdmin):
    """Every return: search, filters, XLSX export (filters applied), and the workflow page."""

    @expose("/scan/")
    def scan_view(self):
        """Open the return whose label code was scanned (scanner keystrokes + Enter) or typed."""
        code = (request.args.get("code") or "").strip()
        rr = find_by_code(code) if code else None
        if rr is None or self.get_one(str(rr.id)) is None:
            if code:
                flash(_("No return has the code %(code)s.", code=code), "warning")
            back = safe_next(request.args.get("back"), url_for(".index_view"), prefix="/admin")
            return redirect(back)
        return redirect(url_for("returns.details_view", id=rr.id))

    def _export_tablib(self, export_type, return_url):
        """XLSX of the register as filtered: a sheet of returns and a sheet of their lines."""
        if export_type != "xlsx":
            return super()._export_tablib(export_type, return_url)
        _count, data = self._export_data()
        ids = [rr.id for rr in data]
        texts = _register_texts()
        rows = [_register_row(rr, texts) for rr in self._with_lines(ids)]
        body = render_return_register(rows, texts, str(get_locale() or "pl"))
        return self._download(
            body, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )

    def _with_lines(self, ids: list[int]) -> list[ReturnRequest]:
        loaded = {}
        for chunk in (ids[i : i + 1000] for i in range(0, len(ids), 1000)):
            for rr in db.session.scalars(
                select(ReturnRequest)
                .where(ReturnRequest.id.in_(chunk))
                .options(
                    selectinload(ReturnRequest.customer),
                    selectinload(ReturnRequest.delivery_note),
                    selectinload(ReturnRequest.lines).selectinload(ReturnLine.product),
                    selectinload(ReturnRequest.lines).selectinload(ReturnLine.reason),
                    selectinload(ReturnRequest.lines).selectinload(ReturnLine.condition),
                    selectinload(ReturnRequest.lines).selectinload(ReturnLine.found_condition),
                )
            ):
                loaded[rr.id] = rr
        return [loaded[i] for i in ids if i in loaded]


def _register_texts() -> dict:
    from backoffice.services.return_texts import DECISION_LABELS, DISPOSITION_LABELS

    return {
        "statuses": {k.value: str(v) for k, v in STATUS_LABELS.items()},
        "decisions": {k.value: str(v) for k, v in DECISION_LABELS.items()},
        "dispositions": {k.value: str(v) for k, v in DISPOSITION_LABELS.items()},
        "returns_sheet": _("Returns"),
        "lines_sheet": _("Lines"),
    }


def _register_row(rr: ReturnRequest, texts: dict) -> RegisterRow:
    """One return as plain values for the XLSX register."""
    lines = [
        RegisterLine(
            line_no=ln.line_no,
            sku=ln.product.sku,
            product=ln.product.name,
            quantity=ln.quantity,
            unit=ln.product.unit,
            serial=ln.serial_number,
            reason=ln.reason.name,
            condition=ln.condition.name,
            decision=texts["decisions"][ln.decision.value],
            found=ln.found_condition.name if ln.found_condition else None,
            disposition=texts["dispositions"][ln.disposition.value] if ln.disposition else None,
            reference=ln.resolution_reference,
            service_ticket=ln.service_ticket_number,
        )
        for ln in rr.lines
    ]
    return RegisterRow(
        number=rr.number,
        status=texts["statuses"][rr.status.value],
        customer=rr.customer.name,
        nip=rr.customer.nip,
        delivery_note=rr.delivery_note.number,
        note_date=rr.delivery_note.issued_at,
        filed_at=rr.created_at,
        channel=rr.channel,
        filed_by=rr.filed_by_label,
        decided_at=rr.decided_at,
        received_at=rr.received_at,
        resolved_at=rr.resolved_at,
        closed_at=rr.closed_at,
        waybill=rr.waybill_number,
        decision_note=rr.decision_note,
        lines=lines,
    )


class ReturnQueueAdmin(ReturnListAdmin):
    """New returns waiting for a decision, oldest first."""

    column_default_sort = [("created_at", False), ("id", False)]
    column_list = ("number", "customer", "delivery_note", "created_at", "channel")
    can_export = False
    can_view_details = False  # the number links to the register's workflow page

    def scope(self, query):
        return query.filter(ReturnRequest.status == ReturnStatus.SUBMITTED)


def _count_status(status: ReturnStatus) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ReturnRequest).where(ReturnRequest.status == status)
    )


@counter(
    _l("Returns to decide"), endpoint="returns_queue.index_view", roles=(Role.RMA,), tone="warning"
)
def _to_decide() -> int:
    return _count_status(ReturnStatus.SUBMITTED)


@counter(_l("Returns awaiting goods"), endpoint="returns.index_view", roles=(Role.RMA,))
def _awaiting_goods() -> int:
    return _count_status(ReturnStatus.ACCEPTED)


@counter(_l("Returns to assess"), endpoint="returns.index_view", roles=(Role.RMA,), tone="info")
def _to_assess() -> int:
    return _count_status(ReturnStatus.RECEIVED)


@counter(
    _l("B2B account applications"),
    endpoint="account_applications.index_view",
    roles=(Role.SALES,),
    tone="warning",
)
def _applications() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AccountApplication)
        .where(AccountApplication.status == ApplicationStatus.PENDING)
    )


def register(admin) -> None:
    """Add this module's views to the console."""
    from views.admin.returns_applications import AccountApplicationAdmin
    from views.admin.returns_dictionaries import (
        ReturnConditionAdmin,
        ReturnPermissionAdmin,
        ReturnReasonAdmin,
    )

    views = (
        (
            ReturnQueueAdmin,
            ReturnRequest,
            _l("New returns"),
            "returns_queue",
            "/admin/returns/queue",
        ),
        (ReturnRegisterAdmin, ReturnRequest, _l("Return register"), "returns", "/admin/returns"),
        (ReturnReasonAdmin, ReturnReason, _l("Return reasons"), "return_reasons", None),
        (ReturnConditionAdmin, ReturnCondition, _l("Goods conditions"), "return_conditions", None),
        (
            ReturnPermissionAdmin,
            PortalUser,
            _l("Return permissions"),
            "return_permissions",
            "/admin/returns/permissions",
        ),
    )
    for view, model, name, endpoint, url in views:
        admin.add_view(
            view(model, name=name, category=Category.RETURNS, endpoint=endpoint, url=url)
        )
    admin.add_view(
        AccountApplicationAdmin(
            AccountApplication,
            name=_l("B2B account applications"),
            category=Category.MASTER_DATA,
            endpoint="account_applications",
        )
    )
