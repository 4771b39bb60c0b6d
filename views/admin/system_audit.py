"""Console: the audit log (admins only), read-only, with filters, search and XLSX export."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from flask import request
from flask_admin.contrib.sqla.filters import (
    DateBetweenFilter,
    FilterEqual,
    FilterLike,
)
from flask_admin.model.filters import BaseDateFilter
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.i18n import format_when
from models.audit import AuditEntry
from models.users import Role
from views.admin.base import Category, ReadOnlyModelView

WARSAW = ZoneInfo("Europe/Warsaw")
ACTOR_KINDS = (
    ("staff", _l("staff")),
    ("portal", _l("portal user")),
    ("api", _l("API")),
    ("system", _l("system")),
    ("anonymous", _l("anonymous")),
)


def warsaw_day_start(day: dt.date) -> dt.datetime:
    """Midnight of a Warsaw calendar day, as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time(), tzinfo=WARSAW).astimezone(dt.UTC)


class WarsawDateBetween(DateBetweenFilter):
    """Entries made on the given Warsaw calendar days (both ends inclusive)."""

    def apply(self, query, value, alias=None):
        start, end = value
        column = self.get_column(alias)
        return query.filter(
            column >= warsaw_day_start(start),
            column < warsaw_day_start(end + dt.timedelta(days=1)),
        )


class WarsawDateFrom(FilterEqual, BaseDateFilter):
    """Entries made on or after a Warsaw calendar day."""

    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias) >= warsaw_day_start(value))

    def operation(self):
        return _l("from")


class WarsawDateTo(FilterEqual, BaseDateFilter):
    """Entries made on or before a Warsaw calendar day."""

    def apply(self, query, value, alias=None):
        next_day = warsaw_day_start(value + dt.timedelta(days=1))
        return query.filter(self.get_column(alias) < next_day)

    def operation(self):
        return _l("until")


def _change_rows(entry: AuditEntry) -> list[tuple[str, object, object, bool]]:
    """(field, old, new, is_pair) rows of the entry's changes, for the details table."""
    rows = []
    for field, value in sorted((entry.changes or {}).items()):
        if isinstance(value, list) and len(value) == 2:
            rows.append((field, value[0], value[1], True))
        else:
            rows.append((field, None, value, False))
    return rows


def _show_value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _changes_column(view, context, model, name):
    if not model.changes:
        return ""
    fields = ", ".join(sorted(model.changes))
    return Markup(f'<span class="small text-muted">{escape(fields)}</span>')


class AuditLogAdmin(ReadOnlyModelView):
    """Who did what to which object, and when; nothing here can be edited or deleted."""

    roles = (Role.ADMIN,)
    details_template = "admin/system/audit_details.html"
    list_template = "admin/system/audit_list.html"
    can_view_details = True
    page_size = 50
    column_list = ("at", "actor_label", "action", "object_type", "object_id", "summary", "changes")
    column_export_list = (
        "at",
        "actor_kind",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "summary",
        "changes",
        "ip",
    )
    column_labels = {
        "at": _l("Time"),
        "actor_kind": _l("Actor type"),
        "actor_id": _l("Actor id"),
        "actor_label": _l("Who"),
        "action": _l("Action"),
        "object_type": _l("Object type"),
        "object_id": _l("Object id"),
        "summary": _l("Summary"),
        "changes": _l("Changes"),
        "ip": _l("IP address"),
    }
    column_searchable_list = ("actor_label", "action", "object_type", "object_id", "summary")
    column_sortable_list = ("at", "actor_label", "action", "object_type", "object_id")
    column_default_sort = ("id", True)
    column_filters = (
        FilterLike(AuditEntry.actor_label, _l("Who")),
        FilterEqual(AuditEntry.actor_kind, _l("Actor type"), options=ACTOR_KINDS),
        FilterLike(AuditEntry.action, _l("Action")),
        FilterEqual(AuditEntry.object_type, _l("Object type")),
        FilterEqual(AuditEntry.object_id, _l("Object id")),
        WarsawDateBetween(AuditEntry.at, _l("Date")),
        WarsawDateFrom(AuditEntry.at, _l("Date")),
        WarsawDateTo(AuditEntry.at, _l("Date")),
    )
    column_formatters = {
        "at": lambda v, c, m, n: format_when(m.at),
        "changes": _changes_column,
    }
    column_formatters_export = {
        "changes": lambda v, c, m, n: (
            json.dumps(m.changes, ensure_ascii=False) if m.changes else None
        ),
    }
    #: Simple links from other pages: ?object_type=User&object_id=5, ?actor_kind=staff&actor_id=3
    LINK_ARGS = ("object_type", "object_id", "actor_kind", "actor_id")

    def audit_name(self) -> str:
        return "audit"

    def link_filters(self) -> dict[str, str]:
        """The LINK_ARGS present in the request (shown above the list with a reset link)."""
        return {k: request.args[k][:64] for k in self.LINK_ARGS if request.args.get(k)}

    def scope(self, query):
        for key, value in self.link_filters().items():
            if key == "actor_id":
                value = int(value) if value.isdigit() else -1
            query = query.filter(getattr(AuditEntry, key) == value)
        return query

    def get_one(self, id):
        return db.session.get(AuditEntry, int(id)) if str(id).isdigit() else None

    # --- for the details page --------------------------------------------------------------
    change_rows = staticmethod(_change_rows)

    @staticmethod
    def actor_kind_label(kind: str) -> str:
        return str(dict(ACTOR_KINDS).get(kind, kind))

    show_value = staticmethod(_show_value)

    def related_entries(self, entry: AuditEntry, limit: int = 20) -> list[AuditEntry]:
        """Other entries about the same object, newest first."""
        if entry.object_id is None:
            return []
        return db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.object_type == entry.object_type,
                AuditEntry.object_id == entry.object_id,
                AuditEntry.id != entry.id,
            )
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        ).all()


def register(admin) -> None:
    """Add the audit log to the console."""
    admin.add_view(
        AuditLogAdmin(
            AuditEntry,
            name=_l("Audit log"),
            category=Category.ADMIN,
            endpoint="audit",
            url="/admin/audit",
        )
    )
