"""The console form for a new discount code batch and its translation into a BatchSpec."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from backoffice.services.discount_codes import MAX_CODES, BatchSpec
from models.customers import Customer, CustomerGroup
from models.products import ProductGroup

WARSAW = ZoneInfo("Europe/Warsaw")


class BatchForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    count = IntegerField(
        _l("Number of codes"),
        default=100,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_CODES)],
        description=_l("Up to a million; big batches are generated in the background."),
    )
    prefix = StringField(
        _l("Prefix"),
        validators=[Optional(), Length(max=12)],
        description=_l("Optional, e.g. LATO-; letters, digits and dashes."),
    )
    code_length = IntegerField(
        _l("Random characters"),
        default=10,
        validators=[InputRequired(), NumberRange(min=6, max=20)],
        description=_l("Letters and digits that cannot be confused (no 0/O, 1/I/L)."),
    )
    kind = SelectField(
        _l("Discount"),
        choices=[("percent", _l("percent of the value")), ("amount", _l("amount in PLN"))],
    )
    value = DecimalField(_l("Value"), places=2, validators=[InputRequired()])
    max_discount = DecimalField(_l("Highest discount (PLN)"), places=2, validators=[Optional()])
    min_order_value = DecimalField(
        _l("Minimum order value (PLN net)"), places=2, validators=[Optional()]
    )
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid to (inclusive)"), validators=[Optional()])
    usage_limit_total = IntegerField(
        _l("Uses of each code"),
        default=1,
        validators=[Optional(), NumberRange(min=1)],
        description=_l("Empty: unlimited."),
    )
    usage_limit_per_customer = IntegerField(
        _l("Uses per customer (whole batch)"),
        validators=[Optional(), NumberRange(min=1)],
        description=_l("Empty: unlimited."),
    )
    first_order_only = BooleanField(_l("Only for a customer's first order"))
    customer_groups = SelectMultipleField(_l("Only for customer groups"), coerce=int)
    product_groups = SelectMultipleField(
        _l("Only for product groups"),
        coerce=int,
        description=_l("The discount is computed on these products only (subgroups included)."),
    )
    customers = TextAreaField(
        _l("Give one personal code to each of these customers"),
        validators=[Optional()],
        description=_l("Customer ids or NIPs, one per line."),
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional()])

    def load_choices(self) -> None:
        groups = db.session.scalars(select(CustomerGroup).order_by(CustomerGroup.name))
        self.customer_groups.choices = [(g.id, g.name) for g in groups]
        product_groups = db.session.scalars(select(ProductGroup)).all()
        self.product_groups.choices = sorted(
            ((g.id, g.path) for g in product_groups), key=lambda c: c[1]
        )


def _start(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time.min, WARSAW) if day else None


def _end(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time.max, WARSAW) if day else None


def find_customers(text: str, field: str = "customers") -> list[Customer]:
    """Customers named by id or NIP, one per line; ValidationFailed lists the unknown ones."""
    keys = [k.strip() for k in re.split(r"[\n,;]+", text or "") if k.strip()]
    found, missing = [], []
    for key in dict.fromkeys(keys):
        nip = re.sub(r"[\s-]", "", key).upper().removeprefix("PL")
        customer = db.session.scalar(
            select(Customer).where(or_(Customer.external_id == key, Customer.nip == nip)).limit(1)
        )
        (found if customer else missing).append(customer or key)
    if missing:
        raise ValidationFailed(
            _("Unknown customers: %(keys)s.", keys=", ".join(missing[:20])), field=field
        )
    return found


def batch_spec(form: BatchForm) -> BatchSpec:
    """The form's values as a BatchSpec for the service."""
    customers = find_customers(form.customers.data or "")
    return BatchSpec(
        name=form.name.data,
        count=form.count.data,
        kind=form.kind.data,
        value=form.value.data,
        prefix=form.prefix.data or "",
        code_length=form.code_length.data,
        max_discount=form.max_discount.data,
        min_order_value=form.min_order_value.data,
        valid_from=_start(form.valid_from.data),
        valid_to=_end(form.valid_to.data),
        usage_limit_total=form.usage_limit_total.data,
        usage_limit_per_customer=form.usage_limit_per_customer.data,
        first_order_only=form.first_order_only.data,
        customer_group_ids=form.customer_groups.data or [],
        product_group_ids=form.product_groups.data or [],
        customer_ids=[c.id for c in customers],
        notes=form.notes.data or None,
    )
