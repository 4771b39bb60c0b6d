"""What the loyalty and discount-code console views share: service checks shown on the form,
audit in the saving transaction, badges, formatters and serving stored images."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_money, format_number, format_when
from backoffice.security import safe_next
from backoffice.services.audit import diff, record
from views.admin.base import SecureModelView
from views.form_helpers import attach_error


def badge(label, tone: str) -> Markup:
    return Markup(f'<span class="badge badge-{tone} badge-status">{escape(label)}</span>')


def yes_no(view, context, model, name):
    return _("yes") if getattr(model, name) else _("no")


def when(view, context, model, name):
    return format_when(getattr(model, name))


def money(view, context, model, name):
    return format_money(getattr(model, name))


def number(view, context, model, name):
    value = getattr(model, name)
    return "" if value is None else format_number(value)


def back(default_endpoint: str, **values):
    """Redirect to the form's ``next`` (a local console path) or the given endpoint."""
    default = url_for(default_endpoint, **values)
    return redirect(safe_next(request.form.get("next"), default, prefix="/admin/"))


class CheckedModelView(SecureModelView):
    """A model view whose saves are checked by a service and audited in the same commit.

    ``check(model)`` raises ``ValidationFailed``; its messages appear next to the fields.
    """

    def check(self, model) -> None:
        """Service-level validation; override."""

    def after_save(self, form, model, is_created: bool) -> None:
        """Extra work in the saving transaction (e.g. storing an uploaded image)."""

    def create_model(self, form):
        model = self.build_new_instance()
        return model if self._save(form, model, True) else False

    def update_model(self, form, model):
        return self._save(form, model, False)

    def after_model_change(self, form, model, is_created):
        """The audit entry is written in the saving transaction (see ``_save``)."""

    def _save(self, form, model, is_created: bool) -> bool:
        try:
            form.populate_obj(model)
            if is_created:
                db.session.add(model)
            self.check(model)
            self.after_save(form, model, is_created)
            changes = diff(model)
            db.session.flush()
            action = f"{self.audit_name()}.{'create' if is_created else 'update'}"
            record(current_actor(), action, model, changes=changes, summary=str(model))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            return False
        except IntegrityError:
            db.session.rollback()
            flash(_("Someone saved a conflicting change at the same time; try again."), "danger")
            return False
        return True
