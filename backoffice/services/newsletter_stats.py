"""Measuring a campaign: delivered, bounced, opened, clicked, unsubscribed; over time; per link.

Rates are of delivered messages (sent and not bounced); an open is the pixel loaded or any
link clicked (many readers block images), so opens are a lower bound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, select

from backoffice.extensions import db
from models.base import utcnow
from models.newsletters import (
    Campaign,
    CampaignEvent,
    CampaignLink,
    CampaignRecipient,
    EventKind,
    RecipientStatus,
)

WARSAW = ZoneInfo("Europe/Warsaw")
#: Series of the chart: event kind → name.
SERIES = ("sent", "open", "click", "unsubscribe")


def _pct(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def summary(campaign_id: int) -> dict:
    """Counts and rates of a campaign."""
    r = CampaignRecipient
    row = db.session.execute(
        select(
            func.count(r.id),
            func.count(r.sent_at),
            func.count(r.bounced_at),
            func.count(r.opened_at),
            func.count(r.clicked_at),
            func.count(r.unsubscribed_at),
            func.count(r.complained_at),
        ).where(r.campaign_id == campaign_id)
    ).one()
    total, sent, bounced, opened, clicked, unsubscribed, complained = (int(v) for v in row)
    by_status = dict(
        db.session.execute(
            select(r.status, func.count()).where(r.campaign_id == campaign_id).group_by(r.status)
        ).all()
    )
    delivered = max(0, sent - bounced)
    return {
        "recipients": total,
        "sent": sent,
        "delivered": delivered,
        "bounced": bounced,
        "opened": opened,
        "clicked": clicked,
        "unsubscribed": unsubscribed,
        "complained": complained,
        "failed": int(by_status.get(RecipientStatus.FAILED, 0)),
        "skipped": int(by_status.get(RecipientStatus.SKIPPED, 0)),
        "cancelled": int(by_status.get(RecipientStatus.CANCELLED, 0)),
        "waiting": int(by_status.get(RecipientStatus.PENDING, 0))
        + int(by_status.get(RecipientStatus.SENDING, 0)),
        "open_rate": _pct(opened, delivered),
        "click_rate": _pct(clicked, delivered),
        "click_to_open": _pct(clicked, opened),
        "unsubscribe_rate": _pct(unsubscribed, delivered),
        "bounce_rate": _pct(bounced, sent),
    }


@dataclass
class Timeline:
    """Counts per time bucket (Warsaw time) for each series."""

    starts: list[dt.datetime]
    step: dt.timedelta
    series: dict[str, list[int]]


def timeline(campaign: Campaign, now: dt.datetime | None = None, buckets: int = 48) -> Timeline:
    """Sends, opens, clicks and unsubscribes per 10 minutes (first four hours), per hour
    (first two days) or per day."""
    now = now or utcnow()
    start = campaign.started_at or campaign.created_at or now
    span = max(now - start, dt.timedelta(hours=1))
    if span <= dt.timedelta(hours=4):
        step = dt.timedelta(minutes=10)
    elif span <= dt.timedelta(hours=48):
        step = dt.timedelta(hours=1)
    else:
        step = dt.timedelta(days=1)
    local = start.astimezone(WARSAW)
    first = local.replace(second=0, microsecond=0)
    first = first.replace(minute=first.minute - first.minute % 10)
    if step >= dt.timedelta(hours=1):
        first = first.replace(minute=0)
    if step.days:
        first = first.replace(hour=0)
    # Up to now (at least two points, so there is a line), at most ``buckets``.
    count = min(buckets, max(2, int((now.astimezone(WARSAW) - first) / step) + 1))
    starts = [first + step * i for i in range(count)]
    series = {name: [0] * count for name in SERIES}

    def add(name: str, at: dt.datetime) -> None:
        index = int((at.astimezone(WARSAW) - first) / step)
        if 0 <= index < count:
            series[name][index] += 1

    for (at,) in _rows(
        select(CampaignRecipient.sent_at).where(
            CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.sent_at.is_not(None)
        )
    ):
        add("sent", at)
    for kind, at in _rows(
        select(CampaignEvent.kind, CampaignEvent.at).where(
            CampaignEvent.campaign_id == campaign.id,
            CampaignEvent.kind.in_((EventKind.OPEN, EventKind.CLICK, EventKind.UNSUBSCRIBE)),
        )
    ):
        add(EventKind(kind).value, at)
    return Timeline(starts, step, series)


def _rows(query) -> Iterator:
    yield from db.session.execute(query.execution_options(yield_per=5000))


def links(campaign_id: int) -> list[dict]:
    """Every tracked link with its clicks and the number of people who clicked it."""
    rows = db.session.execute(
        select(
            CampaignLink.id,
            CampaignLink.url,
            CampaignLink.label,
            func.count(CampaignEvent.id),
            func.count(distinct(CampaignEvent.recipient_id)),
        )
        .outerjoin(
            CampaignEvent,
            (CampaignEvent.link_id == CampaignLink.id) & (CampaignEvent.kind == EventKind.CLICK),
        )
        .where(CampaignLink.campaign_id == campaign_id)
        .group_by(CampaignLink.id, CampaignLink.url, CampaignLink.label)
        .order_by(func.count(CampaignEvent.id).desc(), CampaignLink.id)
    ).all()
    return [
        {"id": i, "url": url, "label": label or "", "clicks": clicks, "people": people}
        for i, url, label, clicks, people in rows
    ]


RECIPIENT_COLUMNS = (
    "email",
    "name",
    "company",
    "source",
    "status",
    "code",
    "sent_at",
    "opened_at",
    "clicked_at",
    "unsubscribed_at",
    "bounced_at",
    "error",
)


def recipient_rows(campaign_id: int) -> Iterator[tuple]:
    """Every recipient of a campaign (for the export), in id order, streamed."""
    columns = [getattr(CampaignRecipient, c) for c in RECIPIENT_COLUMNS]
    query = (
        select(*columns)
        .where(CampaignRecipient.campaign_id == campaign_id)
        .order_by(CampaignRecipient.id)
    )
    for row in _rows(query):
        yield tuple(v.value if hasattr(v, "value") else v for v in row)
