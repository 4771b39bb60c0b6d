"""Console dictionaries of the returns module (reasons, goods conditions) and the bulk
grant or withdrawal of customers' users' permission to file returns."""

from __future__ import annotations

from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backoffice.actors import current_actor
from backoffice.extensions import db
from backoffice.services import audit
from models.users import PortalUser, Role
from views.admin.base import ReadOnlyModelView, SecureModelView


class DictionaryAdmin(SecureModelView):
    """A dictionary RMA officers read and administrators edit; rows are deactivated."""

    roles = (Role.RMA,)
    edit_roles = (Role.ADMIN,)
    can_view_details = False
    column_list = ("position", "code", "name", "name_en", "active")
    form_columns = ("code", "name", "name_en", "position", "active")
    column_default_sort = ("position", False)
    column_searchable_list = ("code", "name", "name_en")
    column_labels = {
        "position": _l("Order"),
        "code": _l("Code"),
        "name": _l("Name (Polish)"),
        "name_en": _l("Name (English)"),
        "active": _l("Active"),
        "requires_description": _l("Description required"),
    }
    column_descriptions = {
        "code": _l("Short identifier used by the shop's API, e.g. defect."),
        "active": _l("Inactive entries are not offered to customers any more."),
    }
    form_args = {"code": {"filters": [lambda v: (v or "").strip() or None]}}


class ReturnReasonAdmin(DictionaryAdmin):
    column_list = ("position", "code", "name", "name_en", "requires_description", "active")
    form_columns = ("code", "name", "name_en", "requires_description", "position", "active")

    def audit_name(self) -> str:
        return "return_reason"


class ReturnConditionAdmin(DictionaryAdmin):
    def audit_name(self) -> str:
        return "return_condition"


class ReturnPermissionAdmin(ReadOnlyModelView):
    """Which customers' portal users may file returns; grant or revoke in bulk."""

    roles = (Role.RMA,)
    can_view_details = False
    column_list = ("name", "email", "customer", "can_file_returns", "active")
    column_labels = {
        "name": _l("Name"),
        "email": _l("E-mail"),
        "customer": _l("Customer"),
        "customer.name": _l("Customer"),
        "can_file_returns": _l("May file returns"),
        "active": _l("Active"),
    }
    column_searchable_list = ("name", "email", "customer.name")
    column_filters = (
        FilterEqual(
            PortalUser.can_file_returns,
            _l("May file returns"),
            options=(("1", _l("yes")), ("0", _l("no"))),
        ),
        "customer.name",
    )
    column_default_sort = ("name", False)

    def scope(self, query):
        return query.filter(PortalUser.customer_id.is_not(None))

    def _set_permission(self, ids, allowed: bool) -> None:
        # Flask-Admin passes the row ids as strings (PostgreSQL will not compare them to ints).
        numbers = [int(i) for i in ids if str(i).isdigit()]
        users = self.scope(db.session.query(PortalUser).filter(PortalUser.id.in_(numbers)))
        users = users.all()
        actor = current_actor()
        for user in users:
            if user.can_file_returns != allowed:
                user.can_file_returns = allowed
                audit.record(
                    actor, "portal.can_file_returns", user, changes={"can_file_returns": allowed}
                )
        db.session.commit()
        flash(_("Saved for %(n)d user(s).", n=len(users)), "success")

    @action("grant", _l("Allow filing returns"))
    def action_grant(self, ids):
        self._set_permission(ids, True)

    @action("revoke", _l("Withdraw the permission"), _l("Withdraw the permission?"))
    def action_revoke(self, ids):
        self._set_permission(ids, False)
