"""Console views of the newsletters module (Marketing menu).

Campaigns: the list, a new campaign, the editor (``newsletter_editor.py``) and the campaign
page with progress, results and export (``newsletter_campaign.py``). Address lists with
their members and imports (``newsletter_lists.py``), segments (``newsletter_segments.py``),
sign-ups and campaign recipients (``newsletter_registers.py``).
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.services import newsletters as service
from models.newsletters import Campaign, CampaignStatus
from models.users import Role
from views.admin.base import Category, SecureModelView
from views.admin.dashboard import counter
from views.admin.newsletter_campaign import CampaignPages
from views.admin.newsletter_editor import EditorPages
from views.admin.newsletter_forms import CampaignForm, show_errors, status_badge

MARKETING = (Role.MARKETING,)


class CampaignAdmin(EditorPages, CampaignPages, SecureModelView):
    """Newsletter campaigns: list, create, edit, send, watch and measure."""

    roles = MARKETING
    allow_edit = False
    can_view_details = False
    list_template = "admin/newsletters/campaign_list.html"
    column_list = (
        "id",
        "name",
        "status",
        "newsletter_list",
        "recipient_count",
        "scheduled_at",
        "created_at",
    )
    column_labels = {
        "id": _l("No."),
        "name": _l("Name"),
        "subject": _l("Subject"),
        "status": _l("Status"),
        "newsletter_list": _l("List"),
        "newsletter_list.name": _l("List"),
        "recipient_count": _l("Recipients"),
        "scheduled_at": _l("Sending time"),
        "started_at": _l("Started"),
        "finished_at": _l("Finished"),
        "created_at": _l("Created"),
        "created_by": _l("Created by"),
    }
    column_export_list = (
        "id",
        "name",
        "subject",
        "status",
        "newsletter_list.name",
        "recipient_count",
        "scheduled_at",
        "started_at",
        "finished_at",
        "created_at",
        "created_by",
    )
    column_searchable_list = ("name", "subject")
    column_sortable_list = ("id", "name", "status", "recipient_count", "scheduled_at", "created_at")
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(
            Campaign.status,
            _l("Status"),
            options=[(s.value, service.STATUS_LABELS[s]) for s in CampaignStatus],
        ),
    )
    column_formatters = {
        "name": lambda v, c, m, n: _name_link(m),
        "status": lambda v, c, m, n: status_badge(m.status),
        "scheduled_at": lambda v, c, m, n: format_when(m.scheduled_at),
        "recipient_count": lambda v, c, m, n: m.recipient_count if m.started_at else "—",
        "created_at": lambda v, c, m, n: format_when(m.created_at),
    }
    column_formatters_export = {
        "status": lambda v, c, m, n: str(service.STATUS_LABELS[m.status]),
        "newsletter_list.name": lambda v, c, m, n: m.newsletter_list.name,
    }

    def audit_name(self) -> str:
        return "newsletter"

    def campaign_or_404(self, campaign_id: int) -> Campaign:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:
            abort(404)
        return campaign

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """A new campaign: its name, subject, list and audience; then the editor."""
        form = CampaignForm()
        form.fill_choices()
        if form.validate_on_submit():
            try:
                campaign = service.create_campaign(current_actor(), form.to_data())
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                show_errors(form, exc)
            else:
                flash(_("Campaign created. Now add its content."), "success")
                return redirect(url_for(".edit_campaign", campaign_id=campaign.id))
        elif not form.is_submitted():
            from backoffice.services.newsletter_lists import default_list

            form.list_id.data = default_list().id
            db.session.commit()
        return self.render("admin/newsletters/create.html", form=form)


def _name_link(campaign: Campaign):
    from markupsafe import Markup

    endpoint = ".edit_campaign" if campaign.editable else ".campaign_page"
    return Markup('<a href="{}">{}</a>').format(
        url_for(endpoint, campaign_id=campaign.id), campaign.name
    )


def register(admin) -> None:
    """Add this module's views to the console."""
    from views.admin.newsletter_lists import register_lists
    from views.admin.newsletter_registers import register_registers
    from views.admin.newsletter_segments import register_segments

    admin.add_view(
        CampaignAdmin(
            Campaign,
            name=_l("Newsletter campaigns"),
            category=Category.MARKETING,
            endpoint="newsletters",
            url="/admin/newsletters",
        )
    )
    register_lists(admin)
    register_segments(admin)
    register_registers(admin)


@counter(
    _l("Newsletters sending now"), endpoint="newsletters.index_view", roles=MARKETING, tone="info"
)
def sending_now() -> int:
    return db.session.scalar(
        select(func.count(Campaign.id)).where(
            Campaign.status.in_((CampaignStatus.PREPARING, CampaignStatus.SENDING))
        )
    )
