"""Console (admins): API tokens — list with last use, create (secret shown once), revoke."""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.services.api_tokens import create_token, revoke_token
from models.api_tokens import ApiToken
from models.users import Role, User
from views.admin.base import Category, ReadOnlyModelView

SCOPE_LABELS = {
    "erp": _l("erp — master data, documents, receivables, orders"),
    "shop": _l("shop — orders and their events"),
}


def _at_least_one(form, field) -> None:
    """A validator without the HTML ``required`` flag (on checkboxes it would demand all)."""
    if not field.data:
        raise ValidationError(_l("Choose at least one scope."))


class TokenForm(FlaskForm):
    """Name and scopes of a new token."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    scopes = SelectMultipleField(
        _l("Scopes"),
        choices=list(SCOPE_LABELS.items()),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[_at_least_one],
    )


class ConfirmForm(FlaskForm):
    """An empty form: the CSRF token of a confirmed action."""


def _state(view, context, model, name):
    if model.revoked_at is not None:
        text = escape(_("revoked %(when)s", when=format_when(model.revoked_at)))
        return Markup(f'<span class="badge badge-secondary">{text}</span>')
    return Markup(f'<span class="badge badge-success">{escape(_("active"))}</span>')


def _creator(view, context, model, name):
    user = db.session.get(User, model.created_by_id) if model.created_by_id else None
    return user.name if user else _("command line")


class ApiTokenAdmin(ReadOnlyModelView):
    """The tokens with which the ERP and the shop call the API; only hashes are kept."""

    roles = (Role.ADMIN,)
    list_template = "admin/integration/token_list.html"
    can_view_details = False
    can_export = False
    column_list = (
        "name",
        "prefix",
        "scopes",
        "created_at",
        "created_by_id",
        "last_used_at",
        "state",
    )
    column_searchable_list = ("name", "prefix")
    column_default_sort = ("id", True)
    column_labels = {
        "name": _l("Name"),
        "prefix": _l("Begins with"),
        "scopes": _l("Scopes"),
        "created_at": _l("Created"),
        "created_by_id": _l("Created by"),
        "last_used_at": _l("Last used"),
        "state": _l("State"),
    }
    column_formatters = {
        "prefix": lambda v, c, m, n: Markup(f"<code>{escape(m.prefix)}…</code>"),
        "created_at": lambda v, c, m, n: format_when(m.created_at),
        "last_used_at": lambda v, c, m, n: format_when(m.last_used_at) or _("never"),
        "created_by_id": _creator,
        "state": _state,
    }
    column_extra_row_actions = [
        EndpointLinkRowAction("fa fa-ban", ".revoke_view", title=_l("Revoke"), id_arg="token_id")
    ]

    @expose("/new/", methods=["GET", "POST"])
    def create_view(self):
        """Create a token and show its secret this one time."""
        form = TokenForm()
        if form.validate_on_submit():
            try:
                token, secret = create_token(current_actor(), form.name.data, form.scopes.data)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                form.name.errors = [*form.name.errors, exc.message]
            else:
                return self.render(
                    "admin/integration/token_created.html", token=token, secret=secret
                )
        return self.render("admin/integration/token_form.html", form=form)

    @expose("/revoke/<int:token_id>", methods=["GET", "POST"])
    def revoke_view(self, token_id: int):
        """Ask, then revoke: the token stops working at once."""
        token = db.session.get(ApiToken, token_id) or abort(404)
        form = ConfirmForm()
        if request.method == "POST" and form.validate_on_submit():
            try:
                revoke_token(current_actor(), token)
                db.session.commit()
                flash(_("Token %(name)s revoked.", name=token.name), "success")
            except DomainError as exc:
                db.session.rollback()
                flash(exc.message, "error")
            return redirect(self.get_url(".index_view"))
        return self.render("admin/integration/token_revoke.html", token=token, form=form)


def register(admin) -> None:
    """API tokens under Administration."""
    admin.add_view(
        ApiTokenAdmin(
            ApiToken, name=_l("API tokens"), category=Category.ADMIN, endpoint="api_tokens"
        )
    )
