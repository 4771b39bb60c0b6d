"""What every master-data console view shares: audit in the same transaction, service checks
shown on the form, friendly duplicate messages, activation actions, badges and logo files."""

from __future__ import annotations

from flask import flash
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup, escape
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.services.audit import diff, record
from views.admin.base import SecureModelView
from views.form_helpers import attach_error


def active_badge(view, context, model, name):
    """A green "active" or grey "inactive" badge."""
    if getattr(model, name):
        return Markup(f'<span class="badge badge-success">{escape(_("active"))}</span>')
    return Markup(f'<span class="badge badge-secondary">{escape(_("inactive"))}</span>')


def yes_no(view, context, model, name):
    """tak / nie (translated) instead of Flask-Admin's icons, also in exports."""
    return _("yes") if getattr(model, name) else _("no")


def lazy_options(func):
    """Filter options read from the database on every list page (Flask-Admin reads them
    once at start-up, outside any application context, and caches them)."""

    def options():
        from flask import has_app_context

        return func() if has_app_context() else []

    options.lazy = True
    return options


class _KeepHidden:
    """A form rule that renders nothing but keeps a hidden field (the CSRF token) in forms:
    Flask-Admin deletes every field its rules do not name, and form.hidden_tag() renders it."""

    def __init__(self, name: str):
        self.name = name
        self.parent = None
        self.rule_set = None

    def configure(self, rule_set, parent):
        self.rule_set, self.parent = rule_set, parent
        return self

    @property
    def visible_fields(self) -> list[str]:
        return [self.name]

    def __call__(self, form, form_opts=None, field_args=None):
        return ""


def grid_rules(fields, wide=(), after=()) -> list:
    """Form rules laying ``fields`` out side by side (``wide`` ones full width), then
    ``after`` (inline lists) below; styles in templates/admin/masterdata/_form_css.html."""
    from flask_admin.form import rules

    out = [_KeepHidden("csrf_token"), rules.HTML('<div class="md-grid">')]
    for name in fields:
        if name in wide:
            out += [rules.HTML('<div class="md-wide">'), name, rules.HTML("</div>")]
        else:
            out.append(name)
    return [*out, rules.HTML("</div>"), *after]


def when(view, context, model, name):
    return format_when(getattr(model, name))


class MasterDataView(SecureModelView):
    """A master-data register: checks by a service, one audited transaction per save.

    ``check(model)`` (a service function raising ``ValidationFailed``) runs before saving;
    its messages appear on the form. The audit entry, with the changes of the inline rows
    named in ``audited_children``, is written in the same transaction as the change.
    """

    create_template = "admin/masterdata/form_create.html"
    edit_template = "admin/masterdata/form_edit.html"
    audited_children: tuple[str, ...] = ()
    #: Unique constraint name fragment → message shown when a concurrent save collides.
    duplicate_messages: dict[str, object] = {}

    def __init__(self, *args, **kwargs):
        # Dates in the user's language and Warsaw time, like everywhere else in the console.
        self.column_formatters = {
            "created_at": when,
            "updated_at": when,
            **(self.column_formatters or {}),
        }
        super().__init__(*args, **kwargs)

    def check(self, model) -> None:
        """Service-level validation; override."""

    def on_model_change(self, form, model, is_created):
        self.check(model)
        changes = diff(model)
        for relation in self.audited_children:
            children = _child_changes(db.session, getattr(model, relation))
            if children:
                changes[relation] = children
        db.session.flush()
        action_name = f"{self.audit_name()}.{'create' if is_created else 'update'}"
        if changes or is_created:
            record(current_actor(), action_name, model, changes=changes, summary=str(model))

    def after_model_change(self, form, model, is_created):
        """The audit entry was already written in the saving transaction."""

    def create_model(self, form):
        model = self.build_new_instance()
        if not self._save(form, model, True):
            return False
        return model

    def update_model(self, form, model):
        return self._save(form, model, False)

    def _save(self, form, model, is_created: bool) -> bool:
        try:
            form.populate_obj(model)
            if is_created:
                db.session.add(model)
            self._on_model_change(form, model, is_created)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return False
        except IntegrityError as exc:
            db.session.rollback()
            flash(self._integrity_message(exc), "danger")
            return False
        return True

    def _integrity_message(self, exc: IntegrityError) -> str:
        text = str(exc.orig).lower()
        for fragment, message in self.duplicate_messages.items():
            if fragment in text:
                return str(message)
        return _("Someone saved a conflicting change at the same time; please try again.")

    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                flt = self._filter_args[item["arg"]][1]
                if getattr(flt.options, "lazy", False):
                    item["options"] = [(k, str(v)) for k, v in flt.options()]
        return groups

    def filtered_list_url(self, column, value) -> str:
        """The list URL with the filter on ``column`` (one of column_filters) set to value."""
        for index, flt in enumerate(self._filters or ()):
            if getattr(flt, "column", None) is column:
                return self.get_url(".index_view", **{f"flt0_{index}": value})
        raise LookupError(f"no filter on {column}")

    def history_url(self, model) -> str:
        from flask import url_for

        return url_for("audit.index_view", object_type=type(model).__name__, object_id=model.id)

    # --- activation as batch actions, through the module's service ------------------------
    activation_service = None

    def _set_active(self, ids, active: bool) -> None:
        rows = db.session.scalars(
            self.scope(select(self.model).where(self.model.id.in_([int(i) for i in ids])))
        ).all()
        changed = self.activation_service.set_active(current_actor(), rows, active)
        db.session.commit()
        flash(ngettext("%(num)d record changed.", "%(num)d records changed.", changed), "success")

    def is_action_allowed(self, name):
        if name in {"activate", "deactivate"}:
            return self.activation_service is not None and self.can_edit
        return super().is_action_allowed(name)

    @action("deactivate", _l("Deactivate"), _l("Deactivate the selected records?"))
    def action_deactivate(self, ids):
        self._set_active(ids, False)

    @action("activate", _l("Activate"), _l("Activate the selected records?"))
    def action_activate(self, ids):
        self._set_active(ids, True)


def _child_changes(session, children) -> dict:
    """{"added": [...], "removed": [...], "changed": {id: {field: [old, new]}}} of inline rows."""
    added, changed = [], {}
    for child in children:
        state = inspect(child)
        if state.deleted or child in session.deleted:
            continue
        if state.transient or state.pending:
            added.append(str(child))
        else:
            child_diff = diff(child)
            if child_diff:
                changed[str(child.id)] = child_diff
    removed = [str(c) for c in children if c in session.deleted]
    out = {"added": added, "removed": removed, "changed": changed}
    return {k: v for k, v in out.items() if v}
