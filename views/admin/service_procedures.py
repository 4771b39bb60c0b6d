"""Console: the procedures editor — ordered status lists of warranty and post-warranty tickets,
with what each status does and where a ticket may go next (administrators only)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import service_procedures as procedures
from models.service_procedures import ProcedureStatus, ServiceProcedure, StatusEffect
from models.users import Role
from views.admin.base import SecureView
from views.admin.service_ticket_page import flash_error
from views.service_texts import EFFECT_LABELS, KIND_LABELS

FLAGS = ("is_initial", "is_final", "customer_may_choose", "notify_customer")


class ServiceProcedureAdmin(SecureView):
    """Edit the two procedures; statuses used by tickets can be renamed but not deleted."""

    roles = (Role.ADMIN,)

    @expose("/")
    def index(self):
        found = procedures.ensure_procedures()
        db.session.commit()
        return self.render(
            "admin/service_tickets/procedures.html",
            procedures=found,
            effects=[(e.value, EFFECT_LABELS[e.value]) for e in StatusEffect],
            kinds=KIND_LABELS,
        )

    def _status(self, status_id: int) -> ProcedureStatus:
        status = db.session.get(ProcedureStatus, status_id)
        if status is None:
            abort(404)
        return status

    def _run(self, action, success: str, anchor: str = ""):
        try:
            action()
            db.session.commit()
            flash(success, "success")
        except DomainError as exc:
            db.session.rollback()
            flash_error(exc)
        return redirect(url_for(".index") + anchor)

    @expose("/status/<int:status_id>", methods=("POST",))
    def update_view(self, status_id: int):
        """Save a status's names, effect, flags and next statuses."""
        status = self._status(status_id)
        form = request.form

        def save():
            procedures.update_status(
                current_actor(),
                status,
                name=form.get("name"),
                name_en=form.get("name_en"),
                effect=form.get("effect") or "none",
                **{flag: bool(form.get(flag)) for flag in FLAGS},
            )
            next_ids = [int(v) for v in form.getlist("next") if v.isdigit()]
            procedures.set_next_statuses(current_actor(), status, next_ids)

        return self._run(save, _("The status has been saved."), f"#status-{status_id}")

    @expose("/status/<int:status_id>/move", methods=("POST",))
    def move_view(self, status_id: int):
        """Move a status up or down the list."""
        status = self._status(status_id)
        step = -1 if request.form.get("step") == "up" else 1
        return self._run(
            lambda: procedures.move_status(current_actor(), status, step),
            _("The order has been changed."),
            f"#status-{status_id}",
        )

    @expose("/status/<int:status_id>/delete", methods=("POST",))
    def delete_view(self, status_id: int):
        """Delete a status no ticket has used."""
        status = self._status(status_id)
        return self._run(
            lambda: procedures.delete_status(current_actor(), status),
            _("The status has been deleted."),
        )

    @expose("/<int:procedure_id>/add", methods=("POST",))
    def add_view(self, procedure_id: int):
        """Add a status at the end of a procedure."""
        procedure = db.session.get(ServiceProcedure, procedure_id)
        if procedure is None:
            abort(404)
        form = request.form
        return self._run(
            lambda: procedures.add_status(
                current_actor(),
                procedure,
                form.get("code", ""),
                form.get("name", ""),
                name_en=form.get("name_en"),
                effect=form.get("effect") or "none",
            ),
            _("The status has been added; now choose where it leads."),
            f"#procedure-{procedure_id}",
        )
