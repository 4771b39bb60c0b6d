"""Console: consents per address with their history, per-customer consent sheet, suppressions."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEqual, FilterLike
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.services import consents as consent_service
from models.consents import Consent, ConsentSource
from models.customers import Customer
from models.messaging import Channel, Suppression, SuppressionReason
from models.users import Role
from views.admin.base import Category, ReadOnlyModelView, SecureModelView
from views.admin.messaging import CHANNEL_LABELS, PURPOSE_LABELS

REASON_LABELS = {
    SuppressionReason.HARD_BOUNCE: _l("hard bounce"),
    SuppressionReason.COMPLAINT: _l("spam complaint"),
    SuppressionReason.UNSUBSCRIBED: _l("unsubscribed"),
    SuppressionReason.MANUAL: _l("added by staff"),
}
SOURCE_LABELS = consent_service.SOURCE_LABELS


def customer_addresses(customer: Customer) -> list[dict]:
    """The customer's own and its contacts' addresses, each with whose it is."""
    rows = []
    people = [(customer.name, customer.email, customer.phone, None)] + [
        (c.name, c.email, c.phone, c.id) for c in customer.contacts
    ]
    seen = set()
    for name, email, phone, contact_id in people:
        for channel, raw in ((Channel.EMAIL, email), (Channel.SMS, phone)):
            try:
                address = consent_service.normalise_address(raw, channel) if raw else None
            except DomainError:
                address = None
            if address and (channel, address) not in seen:
                seen.add((channel, address))
                rows.append(
                    {"name": name, "channel": channel, "address": address, "contact_id": contact_id}
                )
    return rows


class ConsentAdmin(ReadOnlyModelView):
    """Who agreed to what on which channel, with the history of every change."""

    edit_roles = (Role.MARKETING, Role.SALES)
    details_template = "admin/messaging/consent_details.html"
    list_template = "admin/messaging/consent_list.html"
    column_list = ("address", "channel", "purpose", "granted", "updated_at")
    column_labels = {
        "address": _l("Address"),
        "channel": _l("Channel"),
        "purpose": _l("Purpose"),
        "granted": _l("Consent"),
        "updated_at": _l("Changed"),
    }
    column_searchable_list = ("address",)
    column_default_sort = ("updated_at", True)
    column_filters = (
        FilterEqual(Consent.purpose, _l("Purpose"), options=list(PURPOSE_LABELS.items())[:3]),
        FilterEqual(Consent.channel, _l("Channel"), options=list(CHANNEL_LABELS.items())),
        BooleanEqualFilter(Consent.granted, _l("Consent")),
        FilterLike(Consent.address, _l("Address")),
    )
    column_formatters = {
        "channel": lambda v, c, m, n: CHANNEL_LABELS[m.channel],
        "purpose": lambda v, c, m, n: PURPOSE_LABELS[m.purpose],
        "granted": lambda v, c, m, n: _("granted") if m.granted else _("withdrawn"),
        "updated_at": lambda v, c, m, n: format_when(m.updated_at),
    }
    source_labels = SOURCE_LABELS
    purpose_labels = PURPOSE_LABELS
    channel_labels = CHANNEL_LABELS

    def audit_name(self) -> str:
        return "consent"

    def may_change(self) -> bool:
        return self._may_edit()

    def customers_found(self) -> list[Customer]:
        """Customers matching ``?customer=`` (name, NIP or ERP id) for the sheet links."""
        q = (request.args.get("customer") or "").strip()
        if not q:
            return []
        return db.session.scalars(
            select(Customer)
            .where(
                or_(
                    Customer.name.ilike(f"%{q}%"),
                    Customer.nip == q.replace("-", ""),
                    Customer.external_id == q,
                )
            )
            .order_by(Customer.name)
            .limit(20)
        ).all()

    @expose("/customer/<int:customer_id>", methods=("GET", "POST"))
    def customer_view(self, customer_id: int):
        """Every address of a customer × purpose: see and change consents."""
        customer = db.session.get(Customer, customer_id)
        if customer is None:
            abort(404)
        rows = customer_addresses(customer)
        if request.method == "POST":
            if not self.may_change():
                abort(403)
            return self._save_sheet(customer, rows)
        decisions = {}
        for channel in Channel:
            found = consent_service.decisions(
                [r["address"] for r in rows if r["channel"] == channel], channel
            )
            decisions.update({(channel, a, p): g for (a, p), g in found.items()})
        return self.render(
            "admin/messaging/customer_consents.html",
            customer=customer,
            rows=rows,
            decisions=decisions,
            purposes=consent_service.USER_PURPOSES,
        )

    def _save_sheet(self, customer: Customer, rows: list[dict]):
        note = (request.form.get("note") or "").strip() or None
        changed = 0
        for i, row in enumerate(rows):
            for purpose in consent_service.USER_PURPOSES:
                value = request.form.get(f"c{i}:{purpose.value}", "")
                if value not in {"yes", "no"}:
                    continue
                before = consent_service.decisions([row["address"]], row["channel"]).get(
                    (row["address"], purpose)
                )
                if before == (value == "yes"):
                    continue
                consent_service.set_consent(
                    current_actor(),
                    row["address"],
                    row["channel"],
                    purpose,
                    value == "yes",
                    source=ConsentSource.CONSOLE,
                    customer_id=customer.id,
                    contact_id=row["contact_id"],
                    note=note,
                )
                changed += 1
        db.session.commit()
        flash(_("Saved: %(n)s change(s).", n=changed), "success")
        return redirect(url_for(".customer_view", customer_id=customer.id))


class SuppressionForm(FlaskForm):
    """A manual entry on the suppression list."""

    address = StringField(
        _l("E-mail address or phone"), validators=[DataRequired(), Length(max=254)]
    )
    reason = SelectField(
        _l("Reason"),
        choices=[(r.value, label) for r, label in REASON_LABELS.items()],
        default=SuppressionReason.MANUAL.value,
    )
    detail = TextAreaField(_l("Details"))


class SuppressionAdmin(SecureModelView):
    """Addresses that get no marketing: hard bounces, complaints, unsubscribes, manual."""

    roles = (Role.MARKETING,)
    allow_edit = False
    allow_delete = True
    column_list = ("address", "reason", "detail", "created_at", "created_by")
    column_labels = {
        "address": _l("Address"),
        "reason": _l("Reason"),
        "detail": _l("Details"),
        "created_at": _l("Added"),
        "created_by": _l("By"),
    }
    column_searchable_list = ("address",)
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(
            Suppression.reason,
            _l("Reason"),
            options=[(r.value, label) for r, label in REASON_LABELS.items()],
        ),
    )
    column_formatters = {
        "reason": lambda v, c, m, n: REASON_LABELS[m.reason],
        "created_at": lambda v, c, m, n: format_when(m.created_at),
    }
    form = SuppressionForm

    def audit_name(self) -> str:
        return "suppression"

    def create_model(self, form):
        address = (form.address.data or "").strip()
        try:
            normalised = (
                consent_service.normalise_address(address, Channel.EMAIL)
                if "@" in address
                else consent_service.normalise_address(address, Channel.SMS)
            )
            row = consent_service.suppress(
                current_actor(), normalised, form.reason.data, detail=form.detail.data or None
            )
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            form.address.errors = [exc.message]
            flash(exc.message, "danger")
            return False
        return row

    def delete_model(self, model):
        consent_service.unsuppress(current_actor(), model.address)
        db.session.commit()
        return True


def register(admin) -> None:
    """Add the consents and suppression pages."""
    admin.add_view(
        ConsentAdmin(
            Consent,
            name=_l("Consents"),
            category=Category.MESSAGES,
            endpoint="consents",
            url="/admin/consents",
        )
    )
    admin.add_view(
        SuppressionAdmin(
            Suppression,
            name=_l("Suppression list"),
            category=Category.MESSAGES,
            endpoint="suppressions",
            url="/admin/suppressions",
        )
    )
