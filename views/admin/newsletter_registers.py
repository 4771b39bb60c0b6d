"""Console registers of the newsletter module: sign-ups (with their proof of consent) and the
recipients of each campaign with what happened to each."""

from __future__ import annotations

from flask import request
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from flask_babel import lazy_gettext as _l

from backoffice.i18n import format_when
from models.newsletters import (
    CampaignRecipient,
    RecipientStatus,
    Subscriber,
    SubscriberStatus,
)
from models.users import Role
from views.admin.base import Category, ReadOnlyModelView

MARKETING = (Role.MARKETING,)
SUBSCRIBER_STATUS = {
    SubscriberStatus.PENDING: _l("waiting for confirmation"),
    SubscriberStatus.CONFIRMED: _l("confirmed"),
}
SOURCES = {"signup_form": _l("sign-up form"), "api": _l("shop (API)")}
RECIPIENT_STATUS = {
    RecipientStatus.PENDING: _l("waiting"),
    RecipientStatus.SENDING: _l("sending"),
    RecipientStatus.SENT: _l("sent"),
    RecipientStatus.FAILED: _l("failed"),
    RecipientStatus.SKIPPED: _l("skipped"),
    RecipientStatus.CANCELLED: _l("called off"),
}


def _when(name):
    return lambda v, c, m, n: format_when(getattr(m, name))


class SubscriberAdmin(ReadOnlyModelView):
    """Sign-ups from the public form and the shop: when, from where, confirmed or not."""

    roles = MARKETING
    column_list = (
        "email",
        "name",
        "newsletter_list",
        "status",
        "source",
        "created_at",
        "ip",
        "confirmed_at",
        "confirm_ip",
    )
    column_details_list = (
        "email", "name", "newsletter_list", "status", "source", "locale", "created_at", "ip",
        "user_agent", "consent_text", "requested_at", "confirmations_sent", "confirmed_at",
        "confirm_ip",
    )  # fmt: skip
    column_labels = {
        "email": _l("E-mail"),
        "name": _l("Name"),
        "newsletter_list": _l("List"),
        "status": _l("Status"),
        "source": _l("Source"),
        "locale": _l("Language"),
        "created_at": _l("Signed up"),
        "ip": _l("IP address"),
        "user_agent": _l("Browser"),
        "consent_text": _l("Consent wording"),
        "requested_at": _l("Last confirmation e-mail"),
        "confirmations_sent": _l("Confirmation e-mails"),
        "confirmed_at": _l("Confirmed"),
        "confirm_ip": _l("Confirmed from IP"),
    }
    column_searchable_list = ("email", "name")
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(
            Subscriber.status,
            _l("Status"),
            options=[(k.value, v) for k, v in SUBSCRIBER_STATUS.items()],
        ),
        FilterEqual(Subscriber.source, _l("Source"), options=list(SOURCES.items())),
    )
    column_formatters = {
        "status": lambda v, c, m, n: SUBSCRIBER_STATUS[m.status],
        "source": lambda v, c, m, n: SOURCES.get(m.source, m.source),
        "created_at": _when("created_at"),
        "requested_at": _when("requested_at"),
        "confirmed_at": _when("confirmed_at"),
    }
    column_formatters_export = {
        "status": lambda v, c, m, n: m.status.value,
        "newsletter_list": lambda v, c, m, n: m.newsletter_list.name,
    }

    def audit_name(self) -> str:
        return "newsletter_subscriber"


class RecipientAdmin(ReadOnlyModelView):
    """Every recipient of a campaign: status, code, opens, clicks, unsubscribes, bounces."""

    roles = MARKETING
    can_view_details = False
    page_size = 50
    column_list = (
        "email", "name", "company", "status", "code", "sent_at", "opened_at", "clicked_at",
        "unsubscribed_at", "bounced_at", "error",
    )  # fmt: skip
    column_labels = {
        "email": _l("E-mail"),
        "name": _l("Name"),
        "company": _l("Company"),
        "status": _l("Status"),
        "code": _l("Discount code"),
        "sent_at": _l("Sent"),
        "opened_at": _l("Opened"),
        "clicked_at": _l("Clicked"),
        "unsubscribed_at": _l("Unsubscribed"),
        "bounced_at": _l("Bounced"),
        "error": _l("Error"),
        "campaign": _l("Campaign"),
    }
    column_searchable_list = ("email", "name", "company", "code")
    column_sortable_list = ("email", "status", "sent_at", "opened_at", "clicked_at")
    column_default_sort = ("id", False)
    column_filters = (
        FilterEqual(CampaignRecipient.campaign_id, _l("Campaign")),
        FilterEqual(
            CampaignRecipient.status,
            _l("Status"),
            options=[(k.value, v) for k, v in RECIPIENT_STATUS.items()],
        ),
        FilterLike(CampaignRecipient.email, _l("E-mail")),
    )
    column_formatters = {
        "status": lambda v, c, m, n: RECIPIENT_STATUS[m.status],
        **{
            name: _when(name)
            for name in ("sent_at", "opened_at", "clicked_at", "unsubscribed_at", "bounced_at")
        },
    }
    column_formatters_export = {"status": lambda v, c, m, n: m.status.value}

    def audit_name(self) -> str:
        return "newsletter_recipient"

    def is_visible(self) -> bool:
        return False  # opened from a campaign's page

    def scope(self, query):
        campaign = request.args.get("campaign", "")
        return (
            query.filter(CampaignRecipient.campaign_id == int(campaign))
            if campaign.isdigit()
            else query
        )


def register_registers(admin) -> None:
    admin.add_view(
        SubscriberAdmin(
            Subscriber,
            name=_l("Newsletter sign-ups"),
            category=Category.MARKETING,
            endpoint="newsletter_subscribers",
            url="/admin/newsletter-subscribers",
        )
    )
    admin.add_view(
        RecipientAdmin(
            CampaignRecipient,
            name=_l("Campaign recipients"),
            category=Category.MARKETING,
            endpoint="newsletter_recipients",
            url="/admin/newsletter-recipients",
        )
    )
