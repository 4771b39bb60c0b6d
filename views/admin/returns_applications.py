"""Console: B2B account applications from the public form — review, approve, reject."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.services import account_applications as service
from backoffice.services.return_texts import APPLICATION_STATUS_LABELS
from models.customers import Customer
from models.returns import AccountApplication, ApplicationStatus
from models.users import Role
from views.admin.base import ReadOnlyModelView

STATUS_OPTIONS = tuple((s.value, APPLICATION_STATUS_LABELS[s]) for s in ApplicationStatus)
TONES = {"pending": "warning", "approved": "success", "rejected": "secondary"}


def _status(view, context, model, name):
    return Markup(
        f'<span class="badge badge-{TONES[model.status.value]}">'
        f"{escape(APPLICATION_STATUS_LABELS[model.status])}</span>"
    )


class AccountApplicationAdmin(ReadOnlyModelView):
    """Applications for a B2B portal account; approving creates the customer and the user."""

    roles = (Role.SALES,)
    details_template = "admin/returns/application_details.html"
    column_list = (
        "created_at",
        "status",
        "company_name",
        "nip",
        "contact_name",
        "email",
        "wants_returns",
    )
    column_labels = {
        "created_at": _l("Received"),
        "status": _l("Status"),
        "company_name": _l("Company"),
        "nip": _l("NIP"),
        "contact_name": _l("Contact person"),
        "email": _l("E-mail"),
        "phone": _l("Phone"),
        "wants_returns": _l("Asks for returns"),
        "street": _l("Street"),
        "postal_code": _l("Postal code"),
        "city": _l("City"),
        "message": _l("Message"),
    }
    column_searchable_list = ("company_name", "nip", "email", "contact_name")
    column_filters = (FilterEqual(AccountApplication.status, _l("Status"), options=STATUS_OPTIONS),)
    column_default_sort = ("created_at", True)
    column_formatters = {
        "status": _status,
        "created_at": lambda v, c, m, n: format_when(m.created_at),
    }
    column_formatters_export = {"status": lambda v, c, m, n: m.status.value}

    def audit_name(self) -> str:
        return "account_application"

    def _load(self) -> AccountApplication:
        raw = request.form.get("id") or request.args.get("id") or ""
        application = self.get_one(raw) if raw.isdigit() else None
        if application is None:
            abort(404)
        return application

    @expose("/details/")
    def details_view(self):
        application = self._load()
        same_nip = db.session.scalars(
            select(Customer).where(Customer.nip == application.nip).order_by(Customer.name)
        ).all()
        return self.render(
            self.details_template,
            application=application,
            model=application,
            same_nip=same_nip,
            status_labels=APPLICATION_STATUS_LABELS,
            return_url=url_for(".index_view"),
        )

    def _decide(self, application, run, done: str):
        try:
            run()
            db.session.commit()
            flash(done, "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return redirect(url_for(".details_view", id=application.id))

    @expose("/approve/", methods=["POST"])
    def approve_view(self):
        application = self._load()
        raw_customer = request.form.get("customer_id") or ""
        customer = db.session.get(Customer, int(raw_customer)) if raw_customer.isdigit() else None
        grant = request.form.get("can_file_returns") == "1"
        note = request.form.get("note")
        return self._decide(
            application,
            lambda: service.approve_application(
                current_actor(), application, customer=customer, can_file_returns=grant, note=note
            ),
            _("Approved: the portal account is created and the applicant e-mailed."),
        )

    @expose("/reject/", methods=["POST"])
    def reject_view(self):
        application = self._load()
        note = request.form.get("note") or ""
        return self._decide(
            application,
            lambda: service.reject_application(current_actor(), application, note),
            _("Rejected: the applicant has been told why."),
        )
