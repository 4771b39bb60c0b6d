"""Console forms of the newsletter module and the helpers the newsletter views share."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.security import safe_next
from backoffice.services.newsletters import STATUS_LABELS, CampaignData
from models.discount_codes import BatchStatus, DiscountCodeBatch
from models.newsletters import CampaignStatus, NewsletterList, Segment

WARSAW = ZoneInfo("Europe/Warsaw")
STATUS_TONES = {
    CampaignStatus.DRAFT: "secondary",
    CampaignStatus.SCHEDULED: "info",
    CampaignStatus.PREPARING: "info",
    CampaignStatus.SENDING: "primary",
    CampaignStatus.PAUSED: "warning",
    CampaignStatus.SENT: "success",
    CampaignStatus.CANCELLED: "dark",
    CampaignStatus.FAILED: "danger",
}
BLOCK_LABELS = {
    "text": _l("Announcement / text"),
    "products": _l("Products"),
    "code": _l("Discount code"),
}


def status_badge(status: CampaignStatus) -> Markup:
    return Markup('<span class="badge badge-{} badge-status" data-status="{}">{}</span>').format(
        STATUS_TONES[status], status.value, STATUS_LABELS[status]
    )


def show_errors(form, exc: DomainError) -> None:
    """A service's refusal next to the fields it names, else as a message."""
    shown = False
    for name, messages in (exc.errors or {}).items():
        field = getattr(form, name, None) if form is not None else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), *messages]
            shown = True
    flash(_("Please correct the marked fields.") if shown else exc.message, "danger")


def back(endpoint: str, **values):
    """Redirect to the form's ``next`` (a console path) or the endpoint."""
    default = url_for(endpoint, **values)
    return redirect(safe_next(request.form.get("next"), default, prefix="/admin/"))


def list_choices() -> list[tuple[int, str]]:
    return [
        (lst.id, lst.name)
        for lst in db.session.scalars(select(NewsletterList).order_by(NewsletterList.name))
    ]


def segment_choices() -> list[tuple[str, str]]:
    rows = db.session.scalars(select(Segment).order_by(Segment.name)).all()
    return [("", _("— none —"))] + [(str(s.id), s.name) for s in rows]


def batch_choices() -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(DiscountCodeBatch)
        .where(DiscountCodeBatch.status == BatchStatus.READY, DiscountCodeBatch.active.is_(True))
        .order_by(DiscountCodeBatch.id.desc())
    ).all()
    return [("", _("— choose a batch —"))] + [(str(b.id), f"{b.name} (#{b.id})") for b in rows]


class CampaignForm(FlaskForm):
    """A campaign's settings."""

    name = StringField(_l("Name (for us)"), validators=[DataRequired(), Length(max=200)])
    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(), Length(max=300)],
        description=_l("Personalise with {{ recipient.first_name }} or {{ recipient.company }}."),
    )
    preheader = StringField(
        _l("Preheader"),
        validators=[Optional(), Length(max=300)],
        description=_l("The grey line mail programs show after the subject."),
    )
    list_id = SelectField(_l("List"), coerce=int, choices=[])
    include_members = BooleanField(_l("Send to the list's subscribed members"), default=True)
    segment_id = SelectField(_l("Also to registered customers of the segment"), choices=[])
    locale = SelectField(_l("Language"), choices=[("pl", "Polski"), ("en", "English")])
    primary_color = StringField(
        _l("Colour"), default="#1d5fa8", render_kw={"type": "color"}, validators=[Length(max=7)]
    )
    track_opens = BooleanField(_l("Measure opens (tracking pixel)"), default=True)
    rate_per_hour = IntegerField(
        _l("Messages per hour"),
        validators=[Optional(), NumberRange(min=1, max=1_000_000)],
        description=_l("Empty: as fast as the mail server allows."),
    )

    def fill_choices(self) -> None:
        self.list_id.choices = list_choices()
        self.segment_id.choices = segment_choices()

    def to_data(self) -> CampaignData:
        segment = self.segment_id.data
        return CampaignData(
            name=self.name.data or "",
            subject=self.subject.data or "",
            list_id=self.list_id.data,
            preheader=self.preheader.data,
            include_members=bool(self.include_members.data),
            segment_id=int(segment) if segment else None,
            locale=self.locale.data or "pl",
            primary_color=self.primary_color.data or "#1d5fa8",
            track_opens=bool(self.track_opens.data),
            rate_per_hour=self.rate_per_hour.data,
        )

    def load(self, campaign) -> None:
        self.segment_id.data = str(campaign.segment_id or "")


class TestSendForm(FlaskForm):
    addresses = TextAreaField(
        _l("Send a test to"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("Up to 10 addresses, separated by commas or lines."),
        render_kw={"rows": 2},
    )
    as_email = StringField(
        _l("As recipient (e-mail, optional)"), validators=[Optional(), Length(max=254)]
    )


def parse_local_time(value: str | None) -> dt.datetime | None:
    """A ``datetime-local`` value (Warsaw time) as an aware UTC datetime; None if bad."""
    try:
        local = dt.datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    if local.tzinfo is None:
        local = local.replace(tzinfo=WARSAW)
    return local.astimezone(dt.UTC)


def block_from_form(kind: str, form) -> dict:
    """A block's fields from a submitted block form."""
    if kind == "text":
        names = ("title", "html", "button_label", "button_url")
        return {"type": "text", **{n: form.get(n, "") for n in names}}
    if kind == "products":
        return {
            "type": "products",
            "title": form.get("title", ""),
            "mode": form.get("mode", "new"),
            "product_ids": _product_ids(form.get("skus", "")),
            "days": form.get("days", "30"),
            "limit": form.get("limit", "6"),
        }
    return {
        "type": "code",
        "title": form.get("title", ""),
        "text": form.get("text", ""),
        "mode": form.get("mode", "shared"),
        "code": form.get("code", ""),
        "batch_id": form.get("batch_id") or None,
    }


def _product_ids(raw: str) -> list:
    """Product ids for SKUs typed one per line or comma-separated (unknown ones: -1)."""
    from models.products import Product

    skus = [s.strip() for s in raw.replace(",", "\n").splitlines() if s.strip()]
    if not skus:
        return []
    found = dict(
        db.session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all()
    )
    return [found.get(s, -1) for s in skus]


def escape_text(value) -> str:
    return str(escape(value or ""))
