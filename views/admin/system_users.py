"""Console: staff user administration (admins only).

Creating, editing, (de)activating and resetting passwords all go through
``backoffice.services.users``; status changes are POST buttons with a confirmation, never
form fields. A generated password is shown exactly once, on the response to the POST.
"""

from __future__ import annotations

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, BooleanEqualFilter
from flask_admin.form import Select2Widget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import LANGUAGES, format_when
from backoffice.security import ROLE_LABELS, role_label
from backoffice.services import users as user_service
from models.audit import AuditEntry
from models.users import Role, User, UserRole
from views.admin.base import Category, SecureModelView
from views.form_helpers import attach_error


class RoleFilter(BaseSQLAFilter):
    """Users holding one role."""

    def apply(self, query, value, alias=None):
        holders = select(UserRole.user_id).where(UserRole.role == Role(value))
        return query.filter(User.id.in_(holders))

    def operation(self):
        return _l("equals")


class UserForm(FlaskForm):
    """Profile and roles of a staff user (status and password have their own buttons)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(
        _l("E-mail"), validators=[DataRequired(), Length(max=254)], render_kw={"type": "email"}
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    roles = SelectMultipleField(
        _l("Roles"),
        choices=[(r.value, label) for r, label in ROLE_LABELS.items()],
        validators=[DataRequired(message=_l("Choose at least one role."))],
        widget=Select2Widget(multiple=True),
    )
    locale = SelectField(_l("Language"), choices=list(LANGUAGES.items()), default="pl")


class UserCreateForm(UserForm):
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(max=user_service.MAX_PASSWORD)],
        description=_l("Leave empty to generate one: it is shown once, after saving."),
        render_kw={"autocomplete": "new-password"},
    )


def _roles_column(view, context, model, name):
    badges = (
        f'<span class="badge badge-{"dark" if r == Role.ADMIN else "info"} mr-1">'
        f"{escape(role_label(r))}</span>"
        for r in sorted(model.roles)
    )
    return Markup("".join(badges))


def _active_column(view, context, model, name):
    if model.active:
        return Markup(f'<span class="badge badge-success">{escape(_("active"))}</span>')
    return Markup(f'<span class="badge badge-secondary">{escape(_("inactive"))}</span>')


class UserAdmin(SecureModelView):
    """Staff accounts: list, create, edit roles, (de)activate, reset password."""

    roles = (Role.ADMIN,)
    form = UserForm
    details_template = "admin/system/user_details.html"
    column_list = ("name", "email", "roles", "active", "locale", "last_login_at", "created_at")
    column_details_list = (
        "name",
        "email",
        "phone",
        "roles",
        "active",
        "locale",
        "last_login_at",
        "created_at",
        "updated_at",
    )
    column_export_list = ("name", "email", "phone", "roles", "active", "locale", "last_login_at")
    column_labels = {
        "name": _l("Name"),
        "email": _l("E-mail"),
        "phone": _l("Phone"),
        "roles": _l("Roles"),
        "active": _l("Status"),
        "locale": _l("Language"),
        "last_login_at": _l("Last login"),
        "created_at": _l("Created"),
        "updated_at": _l("Changed"),
    }
    column_searchable_list = ("name", "email")
    column_sortable_list = ("name", "email", "active", "locale", "last_login_at", "created_at")
    column_default_sort = ("name", False)
    column_filters = (
        RoleFilter(User.id, _l("Role"), options=[(r.value, lbl) for r, lbl in ROLE_LABELS.items()]),
        BooleanEqualFilter(User.active, _l("Active")),
    )
    column_formatters = {
        "roles": _roles_column,
        "active": _active_column,
        "locale": lambda v, c, m, n: LANGUAGES.get(m.locale, m.locale),
        "last_login_at": lambda v, c, m, n: format_when(m.last_login_at),
        "created_at": lambda v, c, m, n: format_when(m.created_at),
        "updated_at": lambda v, c, m, n: format_when(m.updated_at),
    }
    column_formatters_export = {
        "roles": lambda v, c, m, n: ", ".join(role_label(r) for r in sorted(m.roles)),
        "active": lambda v, c, m, n: _("active") if m.active else _("inactive"),
    }

    def get_create_form(self):
        return UserCreateForm

    def audit_name(self) -> str:
        return "user"

    # --- create and edit through the service ------------------------------------------
    def create_model(self, form):
        password = form.password.data or user_service.generate_password()
        try:
            user = user_service.create_user(
                current_actor(),
                email=form.email.data,
                name=form.name.data,
                roles=form.roles.data,
                password=password,
                locale=form.locale.data,
                phone=form.phone.data,
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
            user_service.update_user(
                current_actor(),
                model,
                email=form.email.data,
                name=form.name.data,
                roles=form.roles.data,
                locale=form.locale.data,
                phone=form.phone.data,
            )
            db.session.commit()
            return True
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return False

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        response = super().create_view()
        generated = g.pop("generated_password", None)
        if generated is None:
            return response
        return self._password_once(db.session.get(User, generated[0]), generated[1])

    def _password_once(self, user: User, password: str):
        body = self.render("admin/system/password_once.html", user=user, password=password)
        response = make_response(body)
        response.headers["Cache-Control"] = "no-store"
        return response

    # --- status buttons ------------------------------------------------------------------
    def _posted_user(self) -> User:
        user = db.session.get(User, request.form.get("id", type=int) or 0)
        if user is None:
            abort(404)
        return user

    def _details_url(self, user: User) -> str:
        return url_for(".details_view", id=user.id)

    @expose("/activate/", methods=("POST",))
    def activate_view(self):
        """Let a deactivated user log in again."""
        return self._set_active(self._posted_user(), True)

    @expose("/deactivate/", methods=("POST",))
    def deactivate_view(self):
        """Stop a user from logging in (their open sessions end too)."""
        return self._set_active(self._posted_user(), False)

    def _set_active(self, user: User, active: bool):
        try:
            user_service.set_active(current_actor(), user, active)
            db.session.commit()
            if active:
                flash(_("%(user)s can log in again.", user=user.name), "success")
            else:
                flash(_("%(user)s has been deactivated.", user=user.name), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return redirect(self._details_url(user))

    @expose("/reset-password/", methods=("POST",))
    def reset_password_view(self):
        """Give the user a new generated password, shown once."""
        user = self._posted_user()
        try:
            password = user_service.reset_password(current_actor(), user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(self._details_url(user))
        flash(_("A new password has been set for %(user)s.", user=user.name), "success")
        return self._password_once(user, password)

    # --- batch actions (all or nothing) -----------------------------------------------
    @action(
        "deactivate",
        _l("Deactivate"),
        _l("Deactivate the selected users? They will not be able to log in."),
    )
    def action_deactivate(self, ids):
        self._batch_active(ids, False)

    @action("activate", _l("Activate"), _l("Activate the selected users?"))
    def action_activate(self, ids):
        self._batch_active(ids, True)

    def _batch_active(self, ids, active: bool) -> None:
        users = db.session.scalars(select(User).where(User.id.in_([int(i) for i in ids]))).all()
        try:
            changed = sum(user_service.set_active(current_actor(), u, active) for u in users)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(_("Nothing was changed: %(reason)s", reason=exc.message), "danger")
            return
        flash(ngettext("%(num)d user changed.", "%(num)d users changed.", changed), "success")

    # --- for the details page --------------------------------------------------------------
    def recent_activity(self, user: User, limit: int = 15) -> list[AuditEntry]:
        """Latest audit entries about this user or done by them."""
        about = (AuditEntry.object_type == "User") & (AuditEntry.object_id == str(user.id))
        by = (AuditEntry.actor_kind == "staff") & (AuditEntry.actor_id == user.id)
        return db.session.scalars(
            select(AuditEntry).where(or_(about, by)).order_by(AuditEntry.id.desc()).limit(limit)
        ).all()


def register(admin) -> None:
    """Add the user administration to the console."""
    admin.add_view(
        UserAdmin(
            User, name=_l("Users"), category=Category.ADMIN, endpoint="users", url="/admin/users"
        )
    )
