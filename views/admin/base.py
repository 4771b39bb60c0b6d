"""The one secured base for every console view, menu categories with their roles, exports."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.utils import secure_filename

from backoffice.actors import current_actor
from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.security import is_staff
from backoffice.services.audit import diff, record
from models.users import Role
from reports.tables import table_csv, table_xlsx


#: Menu categories (one object each, so Flask-Admin groups views under it).
class Category:
    SALES = _l("Sales")
    ORDERS = _l("Orders")
    RETURNS = _l("Returns")
    SERVICE = _l("Service")
    MARKETING = _l("Marketing")
    MESSAGES = _l("Communication")
    FINANCE = _l("Finance")
    PURCHASING = _l("Purchasing")
    LOGISTICS = _l("Logistics")
    MASTER_DATA = _l("Master data")
    ADMIN = _l("Administration")


ALL_STAFF: tuple[str, ...] = ()


class SecureMixin:
    """Access for logged-in staff holding one of ``roles`` (any staff if empty; admins always).

    Anonymous visitors are sent to the login page; portal users and staff without the role
    get 403.
    """

    roles: tuple[str, ...] = ALL_STAFF

    def is_accessible(self) -> bool:
        if not is_staff():
            return False
        return not self.roles or current_user.has_role(*self.roles)

    def inaccessible_callback(self, name, **kwargs):
        # Anonymous visitors log in; portal users and staff without the role are refused.
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class SecureIndexView(SecureMixin, AdminIndexView):
    """The console home page (dashboard) for any staff user."""


class SecureView(SecureMixin, BaseView):
    """A custom console page (forms, workflows, reports)."""


class ConsoleForm(FlaskForm):
    """Flask-WTF form that remembers the edited object, as Flask-Admin's own BaseForm does.

    Flask-Admin's ``Unique`` validator (added to every unique column) compares with
    ``form._obj``; without it, saving an edited row with an unchanged unique value failed
    with "Already exists.".
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._obj = kwargs.get("obj")


def _when(view, value, name) -> str:
    return format_when(value)


#: Dates and times in the user's language and Warsaw time wherever a view has no formatter of
#: its own (lists and detail pages); exports keep the raw values.
_DATE_FORMATTERS = {dt.date: _when}  # datetime is a date too


class SecureModelView(SecureMixin, ModelView):
    """A model list/edit view: CSRF on every form, audited changes, XLSX/CSV export.

    ``edit_roles`` limits create/edit/delete to some of the viewing roles (None: the same).
    ``scope(query)`` restricts rows (e.g. a rep's own offers) for lists, counts, exports
    *and* single-row pages.
    """

    form_base_class = ConsoleForm
    page_size = 25
    page_size_options = (25, 50, 100)
    can_set_page_size = True
    can_view_details = True
    can_export = True
    export_types = ["xlsx", "csv"]
    export_max_rows = 100_000
    column_type_formatters = {**typefmt.BASE_FORMATTERS, **_DATE_FORMATTERS}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, **_DATE_FORMATTERS}
    edit_roles: tuple[str, ...] | None = None
    allow_create = True
    allow_edit = True
    allow_delete = False

    def __init__(self, model, name=None, category=None, endpoint=None, url=None, **kwargs):
        super().__init__(
            model, db, name=name, category=category, endpoint=endpoint, url=url, **kwargs
        )

    def validate_form(self, form):
        valid = super().validate_form(form)
        _plain_error_strings(form)
        return valid

    # --- permissions ---------------------------------------------------------------
    def _may_edit(self) -> bool:
        roles = self.roles if self.edit_roles is None else self.edit_roles
        return is_staff() and (not roles or current_user.has_role(*roles))

    @property
    def can_create(self) -> bool:
        return self.allow_create and self._may_edit()

    @property
    def can_edit(self) -> bool:
        return self.allow_edit and self._may_edit()

    @property
    def can_delete(self) -> bool:
        return self.allow_delete and self._may_edit()

    # --- row scoping -----------------------------------------------------------------
    def scope(self, query):
        """Restrict the rows this user may see; override per view."""
        return query

    def get_query(self):
        return self.scope(super().get_query())

    def get_count_query(self):
        return self.scope(super().get_count_query())

    def get_one(self, id):
        if not _is_valid_key(self.model, id):
            return None  # ?id=abc is "no such record", not a database error (500)
        obj = super().get_one(id)
        if obj is None:
            return None
        allowed = self.scope(db.session.query(self.model).filter(self.model.id == obj.id))
        return obj if allowed.first() is not None else None

    # --- audit -------------------------------------------------------------------------
    def on_model_change(self, form, model, is_created):
        # Audited in the same transaction as the change: flush first so a new row has its id.
        changes = diff(model)
        db.session.flush()
        action = f"{self.audit_name()}.{'create' if is_created else 'update'}"
        record(current_actor(), action, model, changes=changes)

    def on_model_delete(self, model):
        record(current_actor(), f"{self.audit_name()}.delete", model, summary=str(model))

    def audit_name(self) -> str:
        return self.model.__tablename__.rstrip("s")

    # --- export ------------------------------------------------------------------------
    def _export_rows(self):
        _count, data = self._export_data()
        headers = [str(c[1]) for c in self._export_columns]
        rows = ([self.get_export_value(row, c[0]) for c in self._export_columns] for row in data)
        return headers, rows

    def get_export_value(self, model, name):
        value = getattr(model, name, None) if isinstance(name, str) else None
        if name in self.column_formatters_export:
            return self.column_formatters_export[name](self, None, model, name)
        if value is None or isinstance(value, int | float | bool) or hasattr(value, "quantize"):
            return value
        if hasattr(value, "isoformat"):
            return value
        if hasattr(value, "value") and hasattr(value, "name"):
            return value.value
        return str(value)

    def _export_csv(self, return_url):
        headers, rows = self._export_rows()
        return self._download(table_csv(headers, rows), "csv", "text/csv; charset=utf-8")

    def _export_tablib(self, export_type, return_url):
        if export_type != "xlsx":
            abort(404)
        headers, rows = self._export_rows()
        body = table_xlsx(headers, rows, title=str(self.name))
        return self._download(
            body, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )

    def _download(self, body: bytes, ext: str, mimetype: str) -> Response:
        filename = secure_filename(self.get_export_name(export_type=ext))
        return Response(
            body,
            mimetype=mimetype,
            headers={"Content-Disposition": f"attachment; filename={filename}"},
        )


def _is_valid_key(model, key) -> bool:
    """Whether ``key`` (from ``?id=``) can be a primary key of ``model``: integer parts must be
    whole numbers within BIGINT, else PostgreSQL refuses the query."""
    from flask_admin.contrib.sqla.tools import iterdecode
    from sqlalchemy import inspect

    columns = inspect(model).primary_key
    parts = iterdecode(key) if len(columns) > 1 else (key,)
    if len(parts) != len(columns):
        return False
    for column, part in zip(columns, parts, strict=True):
        try:
            is_int = column.type.python_type is int
        except NotImplementedError:
            continue
        if is_int and not (str(part).isdigit() and int(part) < 2**63):
            return False
    return True


def _plain_error_strings(form) -> None:
    """Turn lazy (``_l``) validator messages into str: Flask-Admin shows only str errors."""
    for field in form:
        errors = getattr(field, "errors", None)
        if isinstance(errors, list | tuple):
            field.errors = [str(e) if isinstance(e, LazyString) else e for e in errors]


class ReadOnlyModelView(SecureModelView):
    """A register to search, filter and export, but not to edit."""

    allow_create = False
    allow_edit = False
    allow_delete = False


__all__ = [
    "ALL_STAFF",
    "Category",
    "ReadOnlyModelView",
    "Role",
    "SecureIndexView",
    "SecureModelView",
    "SecureView",
]
