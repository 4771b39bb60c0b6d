"""The campaign page: status and progress bar, pause / resume / cancel, results with a chart
over time and a per-link table, and the XLSX export."""

from __future__ import annotations

from flask import Response, flash, jsonify, redirect, url_for
from flask_admin import expose
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.utils import secure_filename

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_when, select_locale
from backoffice.services import newsletter_stats as stats
from backoffice.services import newsletters as service
from models.newsletters import CampaignStatus
from reports.newsletter_chart import line_chart
from reports.newsletter_report import render_campaign_xlsx
from views.admin.newsletter_forms import back

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SERIES_COLOURS = {
    "sent": "#9aa5b1",
    "open": "#1d5fa8",
    "click": "#2f9e44",
    "unsubscribe": "#d9480f",
}


def _series_labels() -> dict[str, str]:
    return {
        "sent": _("messages sent"),
        "open": _("opens"),
        "click": _("clicks"),
        "unsubscribe": _("unsubscribes"),
    }


class CampaignPages:
    """Mixed into the campaign view: the page of one campaign and its workflow buttons."""

    @expose("/<int:campaign_id>/")
    def campaign_page(self, campaign_id: int):
        campaign = self.campaign_or_404(campaign_id)
        timeline = stats.timeline(campaign)
        fmt = "HH:mm" if timeline.step.days == 0 else "d MMM"
        from flask_babel import format_datetime

        labels = [format_datetime(t, fmt) for t in timeline.starts]
        names = _series_labels()
        chart = line_chart(
            labels,
            [(names[k], SERIES_COLOURS[k], v) for k, v in timeline.series.items()],
            title=_("Activity over time"),
        )
        return self.render(
            "admin/newsletters/campaign.html",
            campaign=campaign,
            progress=service.progress(campaign.id),
            summary=stats.summary(campaign.id),
            links=stats.links(campaign.id),
            chart=Markup(chart),
            series=[(names[k], SERIES_COLOURS[k]) for k in timeline.series],
            CampaignStatus=CampaignStatus,
        )

    @expose("/<int:campaign_id>/progress")
    def campaign_progress(self, campaign_id: int):
        """JSON for the progress bar."""
        campaign = self.campaign_or_404(campaign_id)
        return jsonify(status=campaign.status.value, **service.progress(campaign.id))

    def _step(self, campaign_id: int, work, message: str):
        campaign = self.campaign_or_404(campaign_id)
        try:
            work(current_actor(), campaign)
            db.session.commit()
            flash(message, "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return back(".campaign_page", campaign_id=campaign_id)

    @expose("/<int:campaign_id>/pause", methods=("POST",))
    def pause(self, campaign_id: int):
        return self._step(campaign_id, service.pause, _("Sending paused."))

    @expose("/<int:campaign_id>/resume", methods=("POST",))
    def resume(self, campaign_id: int):
        return self._step(campaign_id, service.resume, _("Sending resumed."))

    @expose("/<int:campaign_id>/cancel", methods=("POST",))
    def cancel(self, campaign_id: int):
        return self._step(campaign_id, service.cancel, _("Campaign cancelled."))

    @expose("/<int:campaign_id>/unschedule", methods=("POST",))
    def unschedule(self, campaign_id: int):
        campaign_id_ = campaign_id
        self._step(
            campaign_id, service.unschedule, _("Back to draft: the campaign will not go out.")
        )
        return redirect(url_for(".edit_campaign", campaign_id=campaign_id_))

    @expose("/<int:campaign_id>/duplicate", methods=("POST",))
    def duplicate(self, campaign_id: int):
        campaign = self.campaign_or_404(campaign_id)
        copy = service.duplicate(current_actor(), campaign)
        db.session.commit()
        flash(_("A copy was created: edit it and send it."), "success")
        return redirect(url_for(".edit_campaign", campaign_id=copy.id))

    @expose("/<int:campaign_id>/delete", methods=("POST",))
    def delete_campaign(self, campaign_id: int):
        campaign = self.campaign_or_404(campaign_id)
        try:
            service.delete_campaign(current_actor(), campaign)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return back(".campaign_page", campaign_id=campaign_id)
        flash(_("Draft deleted."), "success")
        return redirect(url_for(".index_view"))

    @expose("/<int:campaign_id>/export.xlsx")
    def export_results(self, campaign_id: int):
        """Summary, timeline, links and every recipient as XLSX."""
        campaign = self.campaign_or_404(campaign_id)
        with force_locale(select_locale()):
            body = render_campaign_xlsx(**_workbook_data(campaign))
        name = secure_filename(f"newsletter-{campaign.id}-{campaign.name}")[:80] or "newsletter"
        return Response(
            body,
            mimetype=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )


def _workbook_data(campaign) -> dict:
    summary = stats.summary(campaign.id)
    timeline = stats.timeline(campaign)
    names = _series_labels()
    rows = [
        (_("Campaign"), campaign.name),
        (_("Subject"), campaign.subject),
        (_("List"), campaign.newsletter_list.name),
        (_("Status"), str(service.STATUS_LABELS[campaign.status])),
        (_("Started"), format_when(campaign.started_at)),
        (_("Finished"), format_when(campaign.finished_at)),
    ]
    labels = _summary_labels()
    rows += [(labels[k], summary[k]) for k in labels]
    return {
        "titles": {
            "summary": _("Campaign summary"),
            "timeline": _("Over time"),
            "links": _("Links"),
            "recipients": _("Recipients"),
        },
        "summary": rows,
        "timeline": (
            [_("From"), *[names[k] for k in timeline.series]],
            [
                (t, *[timeline.series[k][i] for k in timeline.series])
                for i, t in enumerate(timeline.starts)
            ],
        ),
        "links": (
            [_("Address"), _("Link text"), _("Clicks"), _("People")],
            [(r["url"], r["label"], r["clicks"], r["people"]) for r in stats.links(campaign.id)],
        ),
        "recipients": (
            [
                _("E-mail"), _("Name"), _("Company"), _("Source"), _("Status"), _("Discount code"),
                _("Sent"), _("Opened"), _("Clicked"), _("Unsubscribed"), _("Bounced"), _("Error"),
            ],
            stats.recipient_rows(campaign.id),
        ),
    }  # fmt: skip


def _summary_labels() -> dict[str, str]:
    return {
        "recipients": _("Recipients"),
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "bounced": _("Bounced"),
        "opened": _("Opened"),
        "clicked": _("Clicked"),
        "unsubscribed": _("Unsubscribed"),
        "complained": _("Marked as spam"),
        "failed": _("Failed"),
        "skipped": _("Skipped at send time"),
        "cancelled": _("Cancelled"),
        "open_rate": _("Open rate (%)"),
        "click_rate": _("Click rate (%)"),
        "click_to_open": _("Clicks of those who opened (%)"),
        "unsubscribe_rate": _("Unsubscribe rate (%)"),
        "bounce_rate": _("Bounce rate (%)"),
    }
