"""Console filters of the service module (subqueries on the model's own columns, so they
never collide with the joins Flask-Admin adds for search)."""

from __future__ import annotations

import datetime as dt

from flask import has_app_context
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.services.warranty import WARSAW, warsaw_today
from models.service_procedures import ProcedureStatus
from models.service_tickets import ServiceTicket
from models.users import Role, User, UserRole


class SubqueryFilter(BaseSQLAFilter):
    """A filter on a ticket column matched against a subquery (no joins to collide)."""

    def __init__(self, column, name, subquery, options=None, operation=_l("equals")):
        super().__init__(column, name, options=options)
        self.subquery = subquery
        self._operation = operation

    def get_options(self, view):
        # Options read from the database are only available inside a request.
        if callable(self.options) and not has_app_context():
            return None
        return super().get_options(view)

    def validate(self, value):
        if isinstance(self.options, list | tuple):
            return str(value) in {str(k) for k, _label in self.options}
        try:
            self.subquery(value)
        except (ValueError, TypeError):
            return False
        return True

    def apply(self, query, value, alias=None):
        return query.filter(self.column.in_(self.subquery(value)))

    def operation(self):
        return self._operation


class DaysInStatusFilter(BaseSQLAFilter):
    """Tickets that have been in their current status at least N days."""

    def clean(self, value):
        return max(int(value), 0)

    def validate(self, value):
        return str(value).strip().isdigit()

    def apply(self, query, value, alias=None):
        cutoff_day = warsaw_today() - dt.timedelta(days=value - 1)
        cutoff = dt.datetime.combine(cutoff_day, dt.time(), tzinfo=WARSAW).astimezone(dt.UTC)
        return query.filter(ServiceTicket.status_changed_at < cutoff)

    def operation(self):
        return _l("at least")


def status_options():
    rows = db.session.execute(
        select(ProcedureStatus.code, ProcedureStatus.name, ProcedureStatus.name_en).order_by(
            ProcedureStatus.position
        )
    ).all()
    english = str(get_locale() or "pl") == "en"
    seen: dict[str, str] = {}
    for code, name, name_en in rows:
        seen.setdefault(code, (name_en or name) if english else name)
    return list(seen.items())


def service_staff_options():
    rows = db.session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_([Role.SERVICE, Role.ADMIN]), User.active.is_(True))
        .order_by(User.name)
        .distinct()
    )
    return [(str(u.id), u.name) for u in rows]
