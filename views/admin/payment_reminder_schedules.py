"""Console (role finance): reminder schedules with their stages, holds, excluded and chosen
customers. Saves go through the payment_reminders service checks and are audited."""

from __future__ import annotations

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BooleanEqualFilter
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.services import payment_reminders as service
from backoffice.services.dunning_calendar import warsaw_today
from backoffice.services.dunning_messages import STAGE_EVENTS
from models.payment_reminders import (
    PaymentSchedule,
    PaymentStage,
    SelectionKind,
    ThankYouMode,
)
from models.users import Role
from views.admin.loyalty_common import CheckedModelView, badge

FINANCE = (Role.FINANCE,)
THANK_YOU_LABELS = {
    ThankYouMode.NEVER: _l("never"),
    ThankYouMode.AFTER_DUNNING: _l("after a reminder or notice"),
    ThankYouMode.ALWAYS: _l("for every payment"),
}
SELECTION_LABELS = {
    SelectionKind.EXCLUDED: _l("excluded"),
    SelectionKind.CHOSEN: _l("chosen"),
}


def _event_choices():
    return [(name, str(label)) for name, label in STAGE_EVENTS.items()]


class StageInline(InlineFormAdmin):
    """The stages of a schedule, edited on the schedule's page."""

    form_columns = (
        "id",
        "offset_days",
        "name",
        "send_email",
        "email_event",
        "send_sms",
        "sms_event",
        "min_amount",
        "attach_pdf",
        "attach_xlsx",
        "active",
    )
    form_label = _l("Stage")
    column_labels = {
        "offset_days": _l("Day relative to the due date"),
        "name": _l("Name"),
        "send_email": _l("E-mail"),
        "email_event": _l("E-mail template"),
        "send_sms": _l("SMS"),
        "sms_event": _l("SMS template"),
        "min_amount": _l("Minimum amount (PLN)"),
        "attach_pdf": _l("Attach PDF statement"),
        "attach_xlsx": _l("Attach XLSX statement"),
        "active": _l("Active"),
    }
    form_args = {
        "offset_days": {
            "description": _l("-7 = a week before, 0 = on the due date, 14 = two weeks late")
        },
        "email_event": {"choices": _event_choices},
        "sms_event": {"choices": _event_choices},
    }

    def __init__(self):
        super().__init__(PaymentStage)

    def postprocess_form(self, form_class):
        from wtforms import SelectField

        form_class.email_event = SelectField(_l("E-mail template"), choices=_event_choices)
        form_class.sms_event = SelectField(_l("SMS template"), choices=_event_choices)
        return form_class


def _scope(view, context, model, name):
    if model.is_default:
        return badge(_("default"), "primary")
    if model.customer_group is not None:
        return Markup("{} {}").format(_("group"), model.customer_group.name)
    return Markup("{} {}").format(_("customer"), model.customer.name if model.customer else "")


def _stages(view, context, model, name):
    parts = [
        Markup('<span class="badge badge-{}" title="{}">{:+d}</span>').format(
            "light" if s.offset_days <= 0 else "warning", s.name, s.offset_days
        )
        for s in model.stages
        if s.active
    ]
    return Markup(" ").join(parts)


class PaymentScheduleAdmin(CheckedModelView):
    """Schedules: the default one, per customer group, per customer; stages inline."""

    roles = FINANCE
    allow_delete = True
    column_list = ("name", "scope", "stages", "thank_you", "shift_off_days", "active")
    column_labels = {
        "name": _l("Name"),
        "scope": _l("Applies to"),
        "stages": _l("Stages (days from the due date)"),
        "thank_you": _l("Thank-you"),
        "thank_partial": _l("Thank also for partial payments"),
        "thank_email": _l("Thank-you by e-mail"),
        "thank_sms": _l("Thank-you by SMS"),
        "shift_off_days": _l("Move dates off weekends and holidays"),
        "active": _l("Active"),
        "is_default": _l("Default schedule"),
        "customer_group": _l("Customer group"),
        "customer": _l("Customer"),
        "notes": _l("Notes"),
    }
    column_descriptions = {
        "shift_off_days": _l(
            "A stage falling on a Saturday, Sunday or public holiday is sent on the next "
            "working day."
        ),
        "is_default": _l("For every customer without a group's or its own schedule."),
    }
    column_formatters = {
        "scope": _scope,
        "stages": _stages,
        "thank_you": lambda v, c, m, n: THANK_YOU_LABELS[m.thank_you],
        "shift_off_days": lambda v, c, m, n: _("yes") if m.shift_off_days else _("no"),
        "active": lambda v, c, m, n: (
            badge(_("active"), "success") if m.active else badge(_("inactive"), "secondary")
        ),
    }
    column_filters = (BooleanEqualFilter(PaymentSchedule.active, _l("Active")),)
    column_searchable_list = ("name",)
    form_columns = (
        "name",
        "is_default",
        "customer_group",
        "customer",
        "active",
        "shift_off_days",
        "thank_you",
        "thank_partial",
        "thank_email",
        "thank_sms",
        "notes",
        "stages",
    )
    form_choices = {"thank_you": [(k.value, str(v)) for k, v in THANK_YOU_LABELS.items()]}
    form_ajax_refs = {"customer": {"fields": ("name", "nip", "external_id"), "page_size": 20}}
    inline_models = (StageInline(),)

    def audit_name(self) -> str:
        return "payment_schedule"

    def check(self, model) -> None:
        service.check_schedule(model)


def _hold_state(view, context, model, name):
    if model.released_at is not None:
        return badge(_("released"), "secondary")
    today = warsaw_today()
    if model.ends_on < today:
        return badge(_("ended"), "secondary")
    state = (
        badge(_("planned"), "info") if model.starts_on > today else badge(_("in force"), "warning")
    )
    if not view.can_edit:
        return state
    return Markup(
        '{} <form method="post" action="{}" class="d-inline" onsubmit="return confirm(\'{}\')">'
        '<input type="hidden" name="csrf_token" value="{}">'
        '<button class="btn btn-link btn-sm p-0" data-testid="release-hold">{}</button></form>'
    ).format(
        state,
        view.get_url(".release_view", hold_id=model.id),
        _("End this hold today?"),
        generate_csrf(),
        _("release"),
    )


class ReminderHoldAdmin(CheckedModelView):
    """Holds: no reminders for a customer (or one document) until the end date."""

    roles = FINANCE
    column_list = ("customer", "receivable", "reason", "starts_on", "ends_on", "state",
                   "send_missed", "created_by")  # fmt: skip
    column_labels = {
        "customer": _l("Customer"),
        "customer.name": _l("Customer"),
        "receivable": _l("Document"),
        "reason": _l("Reason"),
        "starts_on": _l("From"),
        "ends_on": _l("Until"),
        "state": _l("State"),
        "send_missed": _l("Send missed stages afterwards"),
        "created_by": _l("Set by"),
    }
    column_descriptions = {
        "receivable": _l("Leave empty to hold every document of the customer."),
        "send_missed": _l("Otherwise a stage that falls due during the hold is skipped for good."),
    }
    column_formatters = {
        "state": _hold_state,
        "starts_on": lambda v, c, m, n: format_when(m.starts_on),
        "ends_on": lambda v, c, m, n: format_when(m.ends_on),
        "send_missed": lambda v, c, m, n: _("yes") if m.send_missed else _("no"),
    }
    column_searchable_list = ("customer.name", "reason")
    column_default_sort = ("starts_on", True)
    form_columns = ("customer", "receivable", "reason", "starts_on", "ends_on", "send_missed")
    form_ajax_refs = {
        "customer": {"fields": ("name", "nip", "external_id"), "page_size": 20},
        "receivable": {"fields": ("document_number", "external_id"), "page_size": 20},
    }
    form_args = {"starts_on": {"default": warsaw_today}}

    def audit_name(self) -> str:
        return "payment_hold"

    def check(self, model) -> None:
        if model.customer is None:
            from backoffice.errors import ValidationFailed

            raise ValidationFailed(_("Choose the customer."), field="customer")
        model.created_by = model.created_by or current_actor().label[:300]
        service.check_hold(
            model.customer.id,
            model.reason,
            model.starts_on,
            model.ends_on,
            model.receivable.id if model.receivable else None,
        )

    @expose("/release/<int:hold_id>", methods=("POST",))
    def release_view(self, hold_id: int):
        """End a hold today (reminders resume with the next run)."""
        hold = self.get_one(str(hold_id))
        if hold is None:
            flash(_("No such hold."), "danger")
            return redirect(self.get_url(".index_view"))
        try:
            service.release_hold(current_actor(), hold)
            db.session.commit()
            flash(_("The hold has been released."), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return redirect(request.form.get("next") or self.get_url(".index_view"))


class ReminderSelectionAdmin(CheckedModelView):
    """Customers excluded from reminders, or chosen in the "only chosen customers" mode."""

    roles = FINANCE
    allow_delete = True
    column_list = ("customer", "kind", "note", "created_at", "created_by")
    column_labels = {
        "customer": _l("Customer"),
        "customer.name": _l("Customer"),
        "kind": _l("Selection"),
        "note": _l("Note"),
        "created_at": _l("Since"),
        "created_by": _l("Set by"),
    }
    column_formatters = {
        "kind": lambda v, c, m, n: badge(
            SELECTION_LABELS[m.kind], "danger" if m.kind == SelectionKind.EXCLUDED else "success"
        ),
        "created_at": lambda v, c, m, n: format_when(m.created_at),
    }
    column_searchable_list = ("customer.name", "note")
    form_columns = ("customer", "kind", "note")
    form_choices = {"kind": [(k.value, str(v)) for k, v in SELECTION_LABELS.items()]}
    form_ajax_refs = {"customer": {"fields": ("name", "nip", "external_id"), "page_size": 20}}
    duplicate_messages = {"customer_id": _l("This customer is already on the list.")}

    def audit_name(self) -> str:
        return "payment_selection"

    def check(self, model) -> None:
        if model.customer is None:
            from backoffice.errors import ValidationFailed

            raise ValidationFailed(_("Choose the customer."), field="customer")
        model.created_by = model.created_by or current_actor().label[:300]
