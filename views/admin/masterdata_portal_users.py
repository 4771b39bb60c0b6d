"""Console: portal accounts of customers' and suppliers' employees (admins and sales edit).

Creating, editing, (de)activating and resetting passwords go through
``backoffice.services.users``; a generated password is shown exactly once.
"""

from __future__ import annotations

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BooleanEqualFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import LANGUAGES, format_when
from backoffice.services import users as user_service
from models.users import PortalUser, Role
from views.admin.base import Category, SecureModelView
from views.admin.masterdata_common import active_badge, attach_error, grid_rules, yes_no

FLAG_LABELS = {
    "is_company_admin": _l("Company administrator"),
    "can_file_returns": _l("May file returns"),
    "can_accept_offers": _l("May accept offers"),
    "can_file_service_tickets": _l("May file service tickets"),
    "can_redeem_points": _l("May redeem loyalty points"),
}


class PortalUserForm(FlaskForm):
    """Profile and permissions (status and password have their own buttons)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(
        _l("E-mail"), validators=[DataRequired(), Length(max=254)], render_kw={"type": "email"}
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    locale = SelectField(_l("Language"), choices=list(LANGUAGES.items()), default="pl")
    is_company_admin = BooleanField(
        FLAG_LABELS["is_company_admin"], description=_l("Manages the company's other portal users.")
    )
    can_file_returns = BooleanField(FLAG_LABELS["can_file_returns"])
    can_accept_offers = BooleanField(FLAG_LABELS["can_accept_offers"], default=True)
    can_file_service_tickets = BooleanField(FLAG_LABELS["can_file_service_tickets"], default=True)
    can_redeem_points = BooleanField(FLAG_LABELS["can_redeem_points"], default=True)


def _company_badge(view, context, model, name):
    if model.customer is not None:
        url = url_for("customers.details_view", id=model.customer_id)
        kind = _("customer")
    else:
        url = url_for("suppliers.details_view", id=model.supplier_id)
        kind = _("supplier")
    return Markup(
        f'<a href="{escape(url)}">{escape(model.company)}</a> '
        f'<span class="badge badge-light">{escape(kind)}</span>'
    )


def _flags(view, context, model, name):
    return ", ".join(str(label) for flag, label in FLAG_LABELS.items() if getattr(model, flag))


class PortalUserAdmin(SecureModelView):
    """Portal users: all staff see them; admins and sales manage them."""

    edit_roles = (Role.SALES,)
    form = PortalUserForm
    details_template = "admin/masterdata/portal_user_details.html"
    column_list = ("name", "email", "company", "flags", "active", "last_login_at")
    column_details_list = (
        "name",
        "email",
        "phone",
        "company",
        "locale",
        *FLAG_LABELS,
        "active",
        "last_login_at",
        "created_at",
    )
    column_export_list = (
        "name",
        "email",
        "phone",
        "company",
        *FLAG_LABELS,
        "active",
        "last_login_at",
    )
    column_labels = {
        "name": _l("Name"),
        "email": _l("E-mail"),
        "phone": _l("Phone"),
        "company": _l("Company"),
        "flags": _l("Permissions"),
        "locale": _l("Language"),
        "active": _l("Status"),
        "last_login_at": _l("Last login"),
        "created_at": _l("Created"),
        "customer": _l("Customer"),
        "supplier": _l("Supplier"),
        "password": _l("Password"),
        "customer.name": _l("Customer"),
        "supplier.name": _l("Supplier"),
        **FLAG_LABELS,
    }
    column_searchable_list = ("name", "email", "customer.name", "supplier.name")
    column_sortable_list = ("name", "email", "active", "last_login_at")
    column_default_sort = ("name", False)
    column_filters = (
        BooleanEqualFilter(PortalUser.active, _l("Active")),
        BooleanEqualFilter(PortalUser.can_file_returns, FLAG_LABELS["can_file_returns"]),
        BooleanEqualFilter(PortalUser.is_company_admin, FLAG_LABELS["is_company_admin"]),
    )
    column_formatters = {
        "company": _company_badge,
        "flags": _flags,
        "active": active_badge,
        "locale": lambda v, c, m, n: LANGUAGES.get(m.locale, m.locale),
        "last_login_at": lambda v, c, m, n: format_when(m.last_login_at),
        "created_at": lambda v, c, m, n: format_when(m.created_at),
        **dict.fromkeys(FLAG_LABELS, yes_no),
    }
    column_formatters_export = {
        "company": lambda v, c, m, n: str(m.company),
        "active": yes_no,
        **dict.fromkeys(FLAG_LABELS, yes_no),
    }
    form_ajax_refs = {
        "customer": {
            "fields": ("name", "nip", "external_id"),
            "page_size": 20,
            "placeholder": _l("Type a name or NIP"),
        },
        "supplier": {
            "fields": ("name", "nip"),
            "page_size": 20,
            "placeholder": _l("Type a name or NIP"),
        },
    }

    create_template = "admin/masterdata/form_create.html"
    edit_template = "admin/masterdata/form_edit.html"
    form_create_rules = grid_rules(
        ("customer", "supplier", "name", "email", "phone", "locale", "password", *FLAG_LABELS)
    )
    form_edit_rules = grid_rules(("name", "email", "phone", "locale", *FLAG_LABELS))

    def get_query(self):
        return (
            super()
            .get_query()
            .options(selectinload(PortalUser.customer), selectinload(PortalUser.supplier))
        )

    def get_create_form(self):
        from flask_admin.model.fields import AjaxSelectField

        loaders = self._form_ajax_refs

        class CreateForm(PortalUserForm):
            customer = AjaxSelectField(loaders["customer"], _l("Customer"), allow_blank=True)
            supplier = AjaxSelectField(
                loaders["supplier"],
                _l("Supplier"),
                allow_blank=True,
                description=_l("Choose a customer or a supplier."),
            )
            password = PasswordField(
                _l("Password"),
                validators=[Optional(), Length(max=user_service.MAX_PASSWORD)],
                description=_l("Leave empty to generate one: it is shown once, after saving."),
                render_kw={"autocomplete": "new-password"},
            )

        return CreateForm

    def _flag_values(self, form) -> dict[str, bool]:
        return {flag: bool(getattr(form, flag).data) for flag in FLAG_LABELS}

    def create_model(self, form):
        password = form.password.data or user_service.generate_password()
        try:
            user = user_service.create_portal_user(
                current_actor(),
                email=form.email.data,
                name=form.name.data,
                password=password,
                customer=form.customer.data,
                supplier=form.supplier.data,
                locale=form.locale.data,
                phone=(form.phone.data or "").strip() or None,
                **self._flag_values(form),
            )
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return False
        if not form.password.data:
            g.generated_password = (user.id, password)
        return user

    def update_model(self, form, model):
        try:
            user_service.update_portal_user(
                current_actor(),
                model,
                email=form.email.data,
                name=form.name.data,
                locale=form.locale.data,
                phone=form.phone.data,
                **self._flag_values(form),
            )
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return False
        return True

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        response = super().create_view()
        generated = g.pop("generated_password", None)
        if generated is None:
            return response
        return self._password_once(db.session.get(PortalUser, generated[0]), generated[1])

    def _password_once(self, user: PortalUser, password: str):
        body = self.render("admin/system/password_once.html", user=user, password=password)
        response = make_response(body)
        response.headers["Cache-Control"] = "no-store"
        return response

    def _posted_user(self) -> PortalUser:
        if not self.can_edit:
            abort(403)
        user = db.session.get(PortalUser, request.form.get("id", type=int) or 0)
        if user is None:
            abort(404)
        return user

    @expose("/activate/", methods=("POST",))
    def activate_view(self):
        """Let a deactivated portal user log in again."""
        return self._set_active(self._posted_user(), True)

    @expose("/deactivate/", methods=("POST",))
    def deactivate_view(self):
        """Stop a portal user from logging in."""
        return self._set_active(self._posted_user(), False)

    def _set_active(self, user: PortalUser, active: bool):
        try:
            user_service.set_active(current_actor(), user, active)
            db.session.commit()
            message = _("%(user)s can log in again.") if active else _("%(user)s is deactivated.")
            flash(message % {"user": user.name}, "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return redirect(url_for(".details_view", id=user.id))

    @expose("/reset-password/", methods=("POST",))
    def reset_password_view(self):
        """Give the portal user a new generated password, shown once."""
        user = self._posted_user()
        try:
            password = user_service.reset_password(current_actor(), user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for(".details_view", id=user.id))
        return self._password_once(user, password)

    def audit_name(self) -> str:
        return "portal"

    def history_url(self, model) -> str:
        return url_for("audit.index_view", object_type="PortalUser", object_id=model.id)


def register(admin) -> None:
    """Portal users in the Master data menu."""
    admin.add_view(
        PortalUserAdmin(
            PortalUser,
            name=_l("Portal users"),
            category=Category.MASTER_DATA,
            endpoint="portal_users",
            url="/admin/portal-users",
        )
    )
