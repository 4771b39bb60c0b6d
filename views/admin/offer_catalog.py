"""Console dictionaries of the offers module: extra services and condition templates.

Sales reps may look them up; only administrators change them.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import NumberRange

from models.offer_catalog import ExtraService, OfferConditionTemplate
from models.users import Role
from views.admin.base import SecureModelView


class ExtraServiceAdmin(SecureModelView):
    """Services priced on offers (transport, installation, training, …) with default prices."""

    roles = (Role.SALES,)
    edit_roles = (Role.ADMIN,)
    column_list = ("position", "name", "unit", "default_price", "vat_rate", "active")
    column_searchable_list = ("name",)
    column_default_sort = ("position", False)
    column_filters = ("active",)
    form_columns = (
        "name",
        "description",
        "unit",
        "default_price",
        "vat_rate",
        "position",
        "active",
    )
    column_labels = {
        "position": _l("Order"),
        "name": _l("Service name"),
        "description": _l("Description"),
        "unit": _l("Unit"),
        "default_price": _l("Default net price"),
        "vat_rate": _l("VAT rate (%)"),
        "active": _l("Active"),
    }
    form_args = {
        "default_price": {"validators": [NumberRange(min=0)]},
        "vat_rate": {"validators": [NumberRange(min=0, max=100)]},
    }

    def __init__(self, **kwargs):
        super().__init__(ExtraService, **kwargs)

    def audit_name(self) -> str:
        return "offer_extra_service"


class ConditionTemplateAdmin(SecureModelView):
    """Conditions reps pick for offers (payment, transport, validity, remarks, …)."""

    roles = (Role.SALES,)
    edit_roles = (Role.ADMIN,)
    column_list = ("position", "title", "default_text", "preselected", "active")
    column_searchable_list = ("title", "default_text")
    column_default_sort = ("position", False)
    column_filters = ("active", "preselected")
    form_columns = ("title", "default_text", "position", "preselected", "active")
    column_labels = {
        "position": _l("Order"),
        "title": _l("Condition heading"),
        "default_text": _l("Default wording"),
        "preselected": _l("Added to new offers"),
        "active": _l("Active"),
    }
    column_descriptions = {
        "preselected": _l("Every new offer starts with this condition; the rep may remove it."),
    }

    def __init__(self, **kwargs):
        super().__init__(OfferConditionTemplate, **kwargs)

    def audit_name(self) -> str:
        return "offer_condition_template"
