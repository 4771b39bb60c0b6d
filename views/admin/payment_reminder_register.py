"""Console (role finance): the register of every reminder, dunning notice and thank-you with
its receivables, stage, channel, recipients and delivery status; the runs."""

from __future__ import annotations

from flask import abort, g, send_file
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike, IntEqualFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from backoffice.i18n import format_money, format_when
from backoffice.services.dunning_reports import notice_messages
from backoffice.services.uploads import absolute_path
from models.messaging import MessageStatus
from models.payment_reminders import (
    NoticeKind,
    NoticeStatus,
    PaymentNotice,
    ReminderRun,
    RunStatus,
)
from models.users import Role
from views.admin.base import ReadOnlyModelView
from views.admin.loyalty_common import badge
from views.admin.messaging import CHANNEL_LABELS, STATUS_LABELS, status_badge
from views.admin.system_audit import WarsawDateFrom, WarsawDateTo

FINANCE = (Role.FINANCE,)
KIND_LABELS = {
    NoticeKind.REMINDER: (_l("reminder"), "info"),
    NoticeKind.NOTICE: (_l("dunning notice"), "warning"),
    NoticeKind.THANK_YOU: (_l("thank-you"), "success"),
}
NOTICE_STATUS_LABELS = {
    NoticeStatus.PLANNED: (_l("planned"), "secondary"),
    NoticeStatus.QUEUED: (_l("handed to sending"), "primary"),
    NoticeStatus.SKIPPED: (_l("not sent"), "light"),
    NoticeStatus.FAILED: (_l("failed"), "danger"),
}
REASONS = {
    "hold": _l("the customer was on hold"),
    "no recipient": _l("no address or consent for payment reminders"),
    "paid before sending": _l("paid before it was sent"),
}
RUN_STATUS_LABELS = {
    RunStatus.RUNNING: (_l("sending"), "info"),
    RunStatus.DONE: (_l("done"), "success"),
    RunStatus.FAILED: (_l("failed"), "danger"),
}


def kind_badge(kind: NoticeKind) -> Markup:
    label, tone = KIND_LABELS[kind]
    return badge(label, tone)


def notice_status_badge(notice: PaymentNotice) -> Markup:
    label, tone = NOTICE_STATUS_LABELS[notice.status]
    out = badge(label, tone)
    if notice.reason:
        out += Markup(' <span class="small text-muted">{}</span>').format(
            REASONS.get(notice.reason, notice.reason)
        )
    return out


def totals_text(notice: PaymentNotice) -> str:
    return ", ".join(format_money(v, c) for c, v in sorted((notice.totals or {}).items()))


def delivery_summary(messages) -> str:
    """ "2 × delivered, 1 × failed" — for exports."""
    counts: dict[MessageStatus, int] = {}
    for m in messages:
        counts[m.status] = counts.get(m.status, 0) + 1
    return ", ".join(f"{n} × {STATUS_LABELS[s]}" for s, n in counts.items())


def _messages_of(model):
    cache = g.get("payment_notice_messages") or {}
    if model.id not in cache:
        cache = {**cache, **notice_messages([model.id])}
        g.payment_notice_messages = cache
    return cache[model.id]


def _delivery(view, context, model, name):
    rows = _messages_of(model)
    if not rows:
        return Markup('<span class="text-muted">—</span>')
    return Markup("<br>").join(
        Markup("{} {} {}").format(CHANNEL_LABELS[m.channel], m.recipient, status_badge(m.status))
        for m in rows
    )


def _stage(view, context, model, name):
    if model.stage_offset is None:
        return ""
    return f"{model.stage_name} ({model.stage_offset:+d})"


def _customer_link(view, context, model, name):
    url = view.get_url("payment_customer.customer_view", customer_id=model.customer_id)
    return Markup('<a href="{}">{}</a>').format(url, model.customer.name)


def _documents(view, context, model, name):
    return ", ".join(i.document_number for i in model.items)


class PaymentNoticeAdmin(ReadOnlyModelView):
    """Every reminder, notice and thank-you: filter, open, export."""

    roles = FINANCE
    details_template = "admin/payment_reminders/notice_details.html"
    page_size = 50
    column_list = ("created_at", "kind", "customer", "stage", "documents", "totals", "status",
                   "delivery")  # fmt: skip
    column_labels = {
        "id": _l("No."),
        "created_at": _l("Created"),
        "kind": _l("Kind"),
        "customer": _l("Customer"),
        "customer.name": _l("Customer"),
        "customer.nip": _l("NIP"),
        "stage": _l("Stage"),
        "stage_name": _l("Stage"),
        "documents": _l("Documents"),
        "items.document_number": _l("Document"),
        "totals": _l("Outstanding"),
        "status": _l("Status"),
        "delivery": _l("Channel, recipient, delivery"),
        "run_id": _l("Run"),
        "delivered_at": _l("Handed to sending"),
    }
    column_formatters = {
        "created_at": lambda v, c, m, n: format_when(m.created_at),
        "kind": lambda v, c, m, n: kind_badge(m.kind),
        "customer": _customer_link,
        "stage": _stage,
        "documents": _documents,
        "totals": lambda v, c, m, n: totals_text(m),
        "status": lambda v, c, m, n: notice_status_badge(m),
        "delivery": _delivery,
    }
    column_export_list = (
        *("id", "created_at", "kind", "customer.name", "customer.nip", "stage"),
        *("documents", "totals", "status", "reason", "delivery", "run_id"),
    )
    column_formatters_export = {
        "kind": lambda v, c, m, n: str(KIND_LABELS[m.kind][0]),
        "customer.name": lambda v, c, m, n: m.customer.name,
        "customer.nip": lambda v, c, m, n: m.customer.nip,
        "stage": _stage,
        "documents": _documents,
        "totals": lambda v, c, m, n: totals_text(m),
        "status": lambda v, c, m, n: str(NOTICE_STATUS_LABELS[m.status][0]),
        "reason": lambda v, c, m, n: str(REASONS.get(m.reason, m.reason or "")),
        "delivery": lambda v, c, m, n: "; ".join(
            f"{x.channel.value} {x.recipient}: {STATUS_LABELS[x.status]}"
            for x in notice_messages([m.id])[m.id]
        ),
    }
    column_searchable_list = ("customer.name", "customer.nip", "items.document_number")
    column_filters = (
        FilterEqual(PaymentNotice.kind, _l("Kind"),
                    options=[(k.value, str(v[0])) for k, v in KIND_LABELS.items()]),
        FilterEqual(PaymentNotice.status, _l("Status"),
                    options=[(k.value, str(v[0])) for k, v in NOTICE_STATUS_LABELS.items()]),
        FilterLike(PaymentNotice.stage_name, _l("Stage")),
        IntEqualFilter(PaymentNotice.customer_id, _l("Customer id")),
        IntEqualFilter(PaymentNotice.run_id, _l("Run")),
        WarsawDateFrom(PaymentNotice.created_at, _l("Created")),
        WarsawDateTo(PaymentNotice.created_at, _l("Created")),
    )  # fmt: skip
    column_default_sort = ("id", True)

    def get_query(self):
        return super().get_query().options(joinedload(PaymentNotice.customer))

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, rows = super().get_list(
            page, sort_column, sort_desc, search, filters, execute, page_size
        )
        if execute:
            rows = list(rows)
            g.payment_notice_messages = notice_messages([r.id for r in rows])
        return count, rows

    def messages(self, notice: PaymentNotice):
        return notice_messages([notice.id])[notice.id]

    def message_status(self, message) -> Markup:
        return status_badge(message.status)

    def channel_label(self, message) -> str:
        return str(CHANNEL_LABELS[message.channel])

    def reason_text(self, notice: PaymentNotice) -> str:
        return str(REASONS.get(notice.reason, notice.reason or ""))

    @expose("/file/<int:notice_id>/<kind>")
    def file_view(self, notice_id: int, kind: str):
        """The PDF or XLSX statement sent with a notice, exactly as it was sent."""
        notice = self.get_one(str(notice_id))
        path = getattr(notice, f"{kind}_path", None) if kind in ("pdf", "xlsx") else None
        if notice is None or not path:
            abort(404)
        name = _("statement-%(day)s", day=notice.created_at.date().isoformat())
        return send_file(absolute_path(path), as_attachment=True, download_name=f"{name}.{kind}")


def run_status(run: ReminderRun) -> Markup:
    label, tone = RUN_STATUS_LABELS[run.status]
    return badge(label, tone)


def _run_status(view, context, model, name):
    return run_status(model)


def _run_notices(view, context, model, name):
    url = view.get_url("payment_notices.index_view", flt0_4=model.id)
    return Markup('<a href="{}">{}</a>').format(url, model.notices)


class ReminderRunAdmin(ReadOnlyModelView):
    """The daily runs and the runs started by hand, with their counts."""

    roles = FINANCE
    can_view_details = False
    column_list = ("run_date", "auto_key", "status", "notices", "skipped", "receivables",
                   "started_at", "finished_at", "started_by")  # fmt: skip
    column_labels = {
        "run_date": _l("Day"),
        "auto_key": _l("Daily run"),
        "status": _l("Status"),
        "notices": _l("Notices"),
        "skipped": _l("Not sent (hold)"),
        "receivables": _l("Receivables"),
        "started_at": _l("Started"),
        "finished_at": _l("Finished"),
        "started_by": _l("Started by"),
    }
    column_formatters = {
        "run_date": lambda v, c, m, n: format_when(m.run_date),
        "auto_key": lambda v, c, m, n: _("yes") if m.auto_key else _("no (by hand)"),
        "status": _run_status,
        "notices": _run_notices,
        "started_at": lambda v, c, m, n: format_when(m.started_at),
        "finished_at": lambda v, c, m, n: format_when(m.finished_at),
    }
    column_default_sort = ("id", True)
