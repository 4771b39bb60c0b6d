"""Console: segments of registered customers (group, region, purchased product groups, points
balance, last order date) with a count before saving."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.services import newsletter_audiences as audiences
from backoffice.services.audit import diff, record
from models.customers import Address, CustomerGroup
from models.newsletters import Segment
from models.products import ProductGroup
from models.users import Role
from views.admin.base import Category, SecureModelView
from views.admin.newsletter_forms import show_errors

CONTACTS = [
    ("all", _l("the company's address and its contacts")),
    ("company", _l("only the company's address")),
    ("contacts", _l("only the contacts (people)")),
]


class SegmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional()], render_kw={"rows": 2})
    customer_group_ids = SelectMultipleField(_l("Customer groups"), coerce=int, choices=[])
    regions = StringField(
        _l("Regions"),
        description=_l("Separated by commas, e.g. mazowieckie, łódzkie."),
        validators=[Length(max=1000)],
    )
    product_group_ids = SelectMultipleField(
        _l("Bought from product groups"),
        coerce=int,
        choices=[],
        description=_l("Subgroups count too."),
    )
    points_min = IntegerField(_l("Points from"), validators=[Optional()])
    points_max = IntegerField(_l("Points to"), validators=[Optional()])
    last_order_from = DateField(_l("Last order from"), validators=[Optional()])
    last_order_to = DateField(_l("Last order to"), validators=[Optional()])
    contacts = SelectField(_l("Whose addresses"), choices=CONTACTS)

    def fill_choices(self) -> None:
        self.customer_group_ids.choices = [
            (g.id, g.name)
            for g in db.session.scalars(select(CustomerGroup).order_by(CustomerGroup.name))
        ]
        groups = db.session.scalars(select(ProductGroup)).all()
        self.product_group_ids.choices = sorted(
            ((g.id, g.path) for g in groups), key=lambda c: c[1]
        )

    def criteria(self) -> dict:
        return {
            "customer_group_ids": self.customer_group_ids.data or [],
            "regions": [r.strip() for r in (self.regions.data or "").split(",") if r.strip()],
            "product_group_ids": self.product_group_ids.data or [],
            "points_min": self.points_min.data,
            "points_max": self.points_max.data,
            "last_order_from": self.last_order_from.data.isoformat()
            if self.last_order_from.data
            else None,
            "last_order_to": self.last_order_to.data.isoformat()
            if self.last_order_to.data
            else None,
            "contacts": self.contacts.data,
        }

    def load(self, segment: Segment) -> None:
        import datetime as dt

        c = segment.criteria or {}
        self.name.data, self.description.data = segment.name, segment.description
        self.customer_group_ids.data = c.get("customer_group_ids") or []
        self.regions.data = ", ".join(c.get("regions") or [])
        self.product_group_ids.data = c.get("product_group_ids") or []
        self.points_min.data, self.points_max.data = c.get("points_min"), c.get("points_max")
        for name in ("last_order_from", "last_order_to"):
            getattr(self, name).data = dt.date.fromisoformat(c[name]) if c.get(name) else None
        self.contacts.data = c.get("contacts") or "all"


def describe(criteria: dict) -> str:
    """A one-line description of a segment's criteria."""
    parts = []
    if criteria.get("customer_group_ids"):
        names = db.session.scalars(
            select(CustomerGroup.name)
            .where(CustomerGroup.id.in_(criteria["customer_group_ids"]))
            .order_by(CustomerGroup.name)
        )
        parts.append(_("groups: %(v)s", v=", ".join(names)))
    if criteria.get("regions"):
        parts.append(_("regions: %(v)s", v=", ".join(criteria["regions"])))
    if criteria.get("product_group_ids"):
        parts.append(_("bought: %(n)s product group(s)", n=len(criteria["product_group_ids"])))
    if criteria.get("points_min") is not None or criteria.get("points_max") is not None:
        parts.append(
            _(
                "points %(a)s–%(b)s",
                a=criteria.get("points_min") or 0,
                b=criteria.get("points_max") or "∞",
            )
        )
    if criteria.get("last_order_from") or criteria.get("last_order_to"):
        parts.append(
            _(
                "last order %(a)s – %(b)s",
                a=criteria.get("last_order_from") or "…",
                b=criteria.get("last_order_to") or "…",
            )
        )
    return "; ".join(parts) or _("all active customers")


class SegmentAdmin(SecureModelView):
    """Saved selections of registered customers for campaigns."""

    roles = (Role.MARKETING,)
    can_view_details = False
    column_list = ("name", "criteria", "updated_at")
    column_labels = {"name": _l("Name"), "criteria": _l("Criteria"), "updated_at": _l("Changed")}
    column_formatters = {
        "criteria": lambda v, c, m, n: describe(m.criteria or {}),
        "updated_at": lambda v, c, m, n: format_when(m.updated_at),
    }
    column_formatters_export = {"criteria": lambda v, c, m, n: describe(m.criteria or {})}
    column_searchable_list = ("name",)

    def audit_name(self) -> str:
        return "newsletter_segment"

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        return self._form_page(None)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        segment = self.get_one(request.args.get("id", "")) or abort(404)
        return self._form_page(segment)

    def _form_page(self, segment: Segment | None):
        form = SegmentForm()
        form.fill_choices()
        if request.method == "GET" and segment is not None:
            form.load(segment)
        count = None
        if form.validate_on_submit():
            try:
                criteria = audiences.clean_criteria(form.criteria())
                count = audiences.count_customers(criteria)
                if request.form.get("op") != "count":
                    saved = self._save(segment, form, criteria)
                    flash(_("Segment saved: %(n)s customers match it now.", n=count), "success")
                    return redirect(url_for(".edit_view", id=saved.id))
            except DomainError as exc:
                db.session.rollback()
                show_errors(form, exc)
            except IntegrityError:
                db.session.rollback()
                form.name.errors = [
                    *form.name.errors,
                    _("A segment with this name exists already."),
                ]
        regions = sorted({r for r in db.session.scalars(select(Address.region).distinct()) if r})
        return self.render(
            "admin/newsletters/segment_form.html",
            form=form,
            segment=segment,
            count=count,
            regions=regions,
        )

    def _save(self, segment: Segment | None, form: SegmentForm, criteria: dict) -> Segment:
        created = segment is None
        segment = segment or Segment()
        segment.name = (form.name.data or "").strip()
        segment.description = form.description.data or None
        segment.criteria = criteria
        if created:
            db.session.add(segment)
        changes = diff(segment)
        db.session.flush()
        action = f"newsletter_segment.{'create' if created else 'update'}"
        record(current_actor(), action, segment, changes=changes)
        db.session.commit()
        return segment


def register_segments(admin) -> None:
    admin.add_view(
        SegmentAdmin(
            Segment,
            name=_l("Customer segments"),
            category=Category.MARKETING,
            endpoint="newsletter_segments",
            url="/admin/newsletter-segments",
        )
    )
