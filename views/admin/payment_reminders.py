"""Console views of the payment_reminders module (role finance): settings and runs by hand,
the dry run, receivables ageing with a chart, a customer's dunning history; the schedules,
holds, selections and the register are in ``payment_reminder_*.py``."""

from __future__ import annotations

import datetime as dt

from flask import Response, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import dunning_reports, payment_reminders
from backoffice.services.dunning_calendar import warsaw_today
from backoffice.services.dunning_runs import plan_run
from models.customers import Customer
from models.payment_reminders import (
    NoticeStatus,
    PaymentNotice,
    PaymentSchedule,
    ReminderHold,
    ReminderRun,
    ReminderSelection,
)
from models.users import Role
from reports.tables import table_xlsx
from views.admin.base import Category, SecureView
from views.admin.dashboard import counter
from views.admin.loyalty_common import attach_error
from views.admin.messaging import status_badge
from views.admin.payment_reminder_chart import ageing_svg
from views.admin.payment_reminder_register import (
    PaymentNoticeAdmin,
    ReminderRunAdmin,
    kind_badge,
    notice_status_badge,
    run_status,
    totals_text,
)
from views.admin.payment_reminder_schedules import (
    PaymentScheduleAdmin,
    ReminderHoldAdmin,
    ReminderSelectionAdmin,
)

FINANCE = (Role.FINANCE,)
BUCKET_LABELS = (
    ("not_due", _l("Not due")),
    ("b1", _l("1–30 days")),
    ("b2", _l("31–60 days")),
    ("b3", _l("61–90 days")),
    ("b4", _l("over 90 days")),
)


class SettingsForm(FlaskForm):
    enabled = BooleanField(_l("Send automatically every day"))
    run_at = TimeField(_l("Time of the daily run (Warsaw time)"), validators=[InputRequired()])
    mode = SelectField(
        _l("Who gets reminders"),
        choices=[
            ("all", _l("every customer except the excluded ones")),
            ("chosen", _l("only the chosen customers")),
        ],
    )
    catch_up_days = IntegerField(
        _l("Send a missed stage up to this many days late"),
        validators=[InputRequired(), NumberRange(min=0, max=payment_reminders.MAX_CATCH_UP)],
        description=_l("When a run did not happen (e.g. the server was down). 0 = never late."),
    )


class PaymentRemindersView(SecureView):
    """Settings, the last runs, a run by hand and the dry run."""

    roles = FINANCE

    @expose("/", methods=("GET", "POST"))
    def index(self):
        settings = payment_reminders.get_settings()
        form = SettingsForm(obj=settings)
        if form.validate_on_submit():
            try:
                payment_reminders.update_settings(
                    current_actor(),
                    enabled=form.enabled.data,
                    run_at=form.run_at.data,
                    mode=form.mode.data,
                    catch_up_days=form.catch_up_days.data,
                )
                db.session.commit()
                flash(_("The settings have been saved."), "success")
                return redirect(url_for(".index"))
            except DomainError as exc:
                db.session.rollback()
                attach_error(form, exc)
        if not db.session.scalar(select(func.count(PaymentSchedule.id))):
            payment_reminders.ensure_default_schedule(current_actor())
        db.session.commit()
        runs = db.session.scalars(select(ReminderRun).order_by(ReminderRun.id.desc()).limit(10))
        return self.render(
            "admin/payment_reminders/settings.html",
            form=form,
            runs=list(runs),
            run_status=run_status,
            today=warsaw_today(),
        )

    @expose("/run", methods=("POST",))
    def run_view(self):
        """Evaluate today now (sends only what no run has sent yet)."""
        try:
            result = plan_run(current_actor(), warsaw_today())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for(".index"))
        flash(
            _(
                "Run done: %(n)s notices are being sent, %(s)s not sent because of holds.",
                n=len(result.notice_ids),
                s=result.skipped,
            ),
            "success",
        )
        return redirect(url_for("payment_notices.index_view", flt0_4=result.run.id))

    @expose("/preview")
    def preview_view(self):
        """What the run on a day (default today) would send, to whom and why."""
        day = _parse_day(request.args.get("day")) or warsaw_today()
        entries, total = dunning_reports.preview_run(day)
        db.session.rollback()  # nothing of a preview may stay (e.g. a settings row)
        return self.render(
            "admin/payment_reminders/preview.html", entries=entries, total=total, day=day
        )


def _parse_day(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        flash(_("The date must look like 2026-05-31."), "warning")
        return None


class AgeingView(SecureView):
    """Overdue ageing per customer and in total, with a chart; XLSX export."""

    roles = FINANCE
    per_page = 50

    @expose("/")
    def index(self):
        search = (request.args.get("q") or "").strip()
        page = max(request.args.get("page", 0, type=int), 0)
        rows, count = dunning_reports.ageing(search, page, self.per_page)
        totals = dunning_reports.ageing_totals()
        return self.render(
            "admin/payment_reminders/ageing.html",
            rows=rows,
            count=count,
            page=page,
            pages=max((count + self.per_page - 1) // self.per_page, 1),
            search=search,
            totals=totals,
            buckets=BUCKET_LABELS,
            chart=ageing_svg(totals[0] if totals else None, BUCKET_LABELS),
            today=warsaw_today(),
        )

    @expose("/export.xlsx")
    def export_view(self):
        """Every customer's ageing as a spreadsheet."""
        rows, _count = dunning_reports.ageing(request.args.get("q"), 0, 1_000_000)
        headers = [_("Customer"), _("NIP"), _("Currency")] + [str(b[1]) for b in BUCKET_LABELS]
        headers.append(_("Total"))
        body = table_xlsx(
            headers,
            ([r["name"], r["nip"], r["currency"]] + [r[k] for k, _l in BUCKET_LABELS] + [r["total"]]
             for r in rows),
            title=_("Ageing"),
            money_columns=range(3, 9),
        )  # fmt: skip
        name = f"ageing-{warsaw_today().isoformat()}.xlsx"
        return Response(
            body,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f"attachment; filename={name}"},
        )


class HoldForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired()])
    starts_on = DateField(_l("From"), validators=[Optional()])
    ends_on = DateField(_l("Until"), validators=[InputRequired()])
    receivable = SelectField(_l("Document"), choices=[], validate_choice=False)
    send_missed = BooleanField(_l("Send the stages missed during the hold afterwards"))


class SelectionForm(FlaskForm):
    kind = SelectField(
        _l("Reminders"),
        choices=[
            ("", _l("as the settings say")),
            ("excluded", _l("excluded: never")),
            ("chosen", _l("chosen (the “only chosen” mode)")),
        ],
    )
    note = StringField(_l("Note"))


class CustomerDunningView(SecureView):
    """One customer's dunning history, holds, exclusion and ageing."""

    roles = FINANCE

    def is_visible(self) -> bool:
        return False  # reached from the customer's page, the ageing and the register

    @expose("/")
    def index(self):
        return redirect(url_for("payment_ageing.index"))

    @expose("/<int:customer_id>", methods=("GET", "POST"))
    def customer_view(self, customer_id: int):
        customer = db.session.get(Customer, customer_id)
        if customer is None:
            flash(_("No such customer."), "danger")
            return redirect(url_for("payment_ageing.index"))
        hold_form = HoldForm(prefix="hold")
        hold_form.receivable.choices = _receivable_choices(customer)
        selection = db.session.scalar(
            select(ReminderSelection).where(ReminderSelection.customer_id == customer.id)
        )
        selection_form = SelectionForm(
            prefix="sel",
            kind=selection.kind.value if selection else "",
            note=selection and selection.note,
        )
        if request.method == "POST":
            done = self._post(customer, hold_form, selection_form)
            if done:
                return redirect(url_for(".customer_view", customer_id=customer.id))
        notices = dunning_reports.customer_history(customer.id)
        return self.render(
            "admin/payment_reminders/customer.html",
            customer=customer,
            notices=notices,
            messages=dunning_reports.notice_messages([n.id for n in notices]),
            holds=dunning_reports.customer_holds(customer.id),
            totals=dunning_reports.ageing_totals(customer.id),
            buckets=BUCKET_LABELS,
            hold_form=hold_form,
            selection_form=selection_form,
            selection=selection,
            today=warsaw_today(),
            kind_badge=kind_badge,
            status_badge=notice_status_badge,
            totals_text=totals_text,
            message_status=lambda message: status_badge(message.status),
        )

    def _post(self, customer, hold_form, selection_form) -> bool:
        actor = current_actor()
        try:
            if "hold-reason" in request.form:
                if not hold_form.validate_on_submit():
                    return False
                payment_reminders.add_hold(
                    actor,
                    customer,
                    reason=hold_form.reason.data,
                    starts_on=hold_form.starts_on.data,
                    ends_on=hold_form.ends_on.data,
                    receivable_id=int(hold_form.receivable.data)
                    if hold_form.receivable.data
                    else None,
                    send_missed=hold_form.send_missed.data,
                )
                message = _("The hold has been set.")
            else:
                if not selection_form.validate_on_submit():
                    return False
                payment_reminders.set_selection(
                    actor, customer, selection_form.kind.data or None, selection_form.note.data
                )
                message = _("Saved.")
            db.session.commit()
            flash(message, "success")
            return True
        except DomainError as exc:
            db.session.rollback()
            attach_error(hold_form if "hold-reason" in request.form else selection_form, exc)
            return False


def _receivable_choices(customer: Customer):
    from models.receivables import Receivable

    rows = db.session.execute(
        select(Receivable.id, Receivable.document_number, Receivable.due_date)
        .where(Receivable.customer_id == customer.id, Receivable.is_open.is_(True))
        .order_by(Receivable.due_date)
        .limit(500)
    )
    return [("", _("every document"))] + [(str(i), f"{n} ({d.isoformat()})") for i, n, d in rows]


@counter(_l("Customers on hold (payment reminders)"), endpoint="payment_holds.index_view",
         roles=FINANCE, tone="warning")  # fmt: skip
def _holds_in_force() -> int:
    today = warsaw_today()
    return db.session.scalar(
        select(func.count(func.distinct(ReminderHold.customer_id))).where(
            ReminderHold.released_at.is_(None),
            ReminderHold.starts_on <= today,
            ReminderHold.ends_on >= today,
        )
    )


@counter(_l("Payment notices not sent"), endpoint="payment_notices.index_view",
         roles=FINANCE, tone="danger")  # fmt: skip
def _failed_notices() -> int:
    return db.session.scalar(
        select(func.count(PaymentNotice.id)).where(PaymentNotice.status == NoticeStatus.FAILED)
    )


def register(admin) -> None:
    """Payment monitoring under Finance."""
    cat = Category.FINANCE
    admin.add_view(
        PaymentRemindersView(
            name=_l("Payment reminders"),
            category=cat,
            endpoint="payment_reminders",
            url="/admin/payment-reminders",
        )
    )
    admin.add_view(
        PaymentNoticeAdmin(
            PaymentNotice,
            name=_l("Reminder register"),
            category=cat,
            endpoint="payment_notices",
            url="/admin/payment-notices",
        )
    )
    admin.add_view(
        AgeingView(
            name=_l("Receivables ageing"),
            category=cat,
            endpoint="payment_ageing",
            url="/admin/payment-ageing",
        )
    )
    admin.add_view(
        PaymentScheduleAdmin(
            PaymentSchedule,
            name=_l("Reminder schedules"),
            category=cat,
            endpoint="payment_schedules",
            url="/admin/payment-schedules",
        )
    )
    admin.add_view(
        ReminderHoldAdmin(
            ReminderHold,
            name=_l("Reminder holds"),
            category=cat,
            endpoint="payment_holds",
            url="/admin/payment-holds",
        )
    )
    admin.add_view(
        ReminderSelectionAdmin(
            ReminderSelection,
            name=_l("Excluded and chosen customers"),
            category=cat,
            endpoint="payment_selections",
            url="/admin/payment-selections",
        )
    )
    admin.add_view(
        ReminderRunAdmin(
            ReminderRun,
            name=_l("Reminder runs"),
            category=cat,
            endpoint="payment_runs",
            url="/admin/payment-runs",
        )
    )
    admin.add_view(
        CustomerDunningView(
            name=_l("Customer dunning history"),
            category=cat,
            endpoint="payment_customer",
            url="/admin/payment-customer",
        )
    )
