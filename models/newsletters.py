"""Newsletters: address lists and their members, segments of registered customers, double
opt-in subscribers, campaigns with one status row per recipient, and what readers did.

A campaign belongs to one list (the list a reader leaves with the unsubscribe link) and goes
to that list's subscribed members and/or to the contacts of the customers a segment selects.
When sending starts, the audience is written down as ``CampaignRecipient`` rows: each is
claimed, sent and recorded on its own, so nobody is mailed twice or skipped, also across
worker crashes. Opens, clicks, unsubscribes and bounces are ``CampaignEvent`` rows.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from models.customers import Customer


class MemberStatus(enum.StrEnum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"


class NewsletterList(TimestampMixin, Base):
    """An address list (a topic readers subscribe to and leave), e.g. "Nowości"."""

    __tablename__ = "newsletter_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    #: Offered on the public subscribe form and the preferences page.
    public: Mapped[bool] = mapped_column(default=True)
    #: The list the subscribe form and the API use when none is named.
    is_default: Mapped[bool] = mapped_column(default=False)

    def __str__(self) -> str:
        return self.name


class ListMember(Base):
    """An address on a list: subscribed, or unsubscribed (kept, so it is never re-added by
    an import and segment mailings of the list skip it)."""

    __tablename__ = "newsletter_list_members"
    __table_args__ = (
        UniqueConstraint("list_id", "email"),
        Index("ix_newsletter_list_members_status", "list_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("newsletter_lists.id", ondelete="CASCADE"))
    #: Lower-case address.
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[MemberStatus] = mapped_column(
        str_enum(MemberStatus, "newsletter_member_status"), default=MemberStatus.SUBSCRIBED
    )
    #: import, signup_form, api, console, unsubscribe, preferences.
    source: Mapped[str] = mapped_column(String(32), default="console")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    unsubscribed_at: Mapped[dt.datetime | None]

    newsletter_list: Mapped[NewsletterList] = relationship()

    def __str__(self) -> str:
        return self.email


class Segment(TimestampMixin, Base):
    """A saved selection of registered customers; ``criteria`` is checked by the service
    (customer groups, regions, purchased product groups, points balance, last order date)."""

    __tablename__ = "newsletter_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __str__(self) -> str:
        return self.name


class SubscriberStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"


class Subscriber(Base):
    """A sign-up through the public form or the shop's API, waiting for or past its
    double opt-in confirmation. Kept as proof: when, from which IP, with which wording."""

    __tablename__ = "newsletter_subscribers"
    __table_args__ = (UniqueConstraint("list_id", "email"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("newsletter_lists.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(5), default="pl")
    status: Mapped[SubscriberStatus] = mapped_column(
        str_enum(SubscriberStatus, "newsletter_subscriber_status"),
        default=SubscriberStatus.PENDING,
    )
    #: signup_form or api.
    source: Mapped[str] = mapped_column(String(32))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    #: The consent wording the person agreed to.
    consent_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Last time a confirmation e-mail was queued (repeats are throttled).
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    confirmations_sent: Mapped[int] = mapped_column(default=0)
    confirmed_at: Mapped[dt.datetime | None]
    confirm_ip: Mapped[str | None] = mapped_column(String(45))

    newsletter_list: Mapped[NewsletterList] = relationship()

    def __str__(self) -> str:
        return self.email


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PREPARING = "preparing"  # writing down the audience and assigning codes
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"
    FAILED = "failed"  # preparation refused (e.g. too few free discount codes)


#: status → statuses it may move to (service functions check this table).
CAMPAIGN_TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    CampaignStatus.DRAFT: frozenset(
        {CampaignStatus.SCHEDULED, CampaignStatus.PREPARING, CampaignStatus.CANCELLED}
    ),
    CampaignStatus.SCHEDULED: frozenset(
        {CampaignStatus.DRAFT, CampaignStatus.PREPARING, CampaignStatus.CANCELLED}
    ),
    CampaignStatus.PREPARING: frozenset(
        {CampaignStatus.SENDING, CampaignStatus.FAILED, CampaignStatus.CANCELLED}
    ),
    CampaignStatus.SENDING: frozenset(
        {CampaignStatus.PAUSED, CampaignStatus.SENT, CampaignStatus.CANCELLED}
    ),
    CampaignStatus.PAUSED: frozenset({CampaignStatus.SENDING, CampaignStatus.CANCELLED}),
    CampaignStatus.FAILED: frozenset(
        {CampaignStatus.SCHEDULED, CampaignStatus.PREPARING, CampaignStatus.CANCELLED}
    ),
    CampaignStatus.SENT: frozenset(),
    CampaignStatus.CANCELLED: frozenset(),
}
#: Statuses in which the content and the audience may still be edited.
EDITABLE_STATUSES = frozenset({CampaignStatus.DRAFT, CampaignStatus.FAILED})


class Campaign(TimestampMixin, Base):
    """One newsletter: its list and audience, content blocks, schedule and sending state."""

    __tablename__ = "newsletter_campaigns"
    __table_args__ = (
        CheckConstraint("rate_per_hour IS NULL OR rate_per_hour > 0", name="rate_positive"),
        Index("ix_newsletter_campaigns_status", "status", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Jinja in the immutable sandbox, e.g. "{{ recipient.first_name }}, nowości".
    subject: Mapped[str] = mapped_column(String(300))
    #: The grey line mail clients show after the subject.
    preheader: Mapped[str | None] = mapped_column(String(300))
    locale: Mapped[str] = mapped_column(String(5), default="pl")
    list_id: Mapped[int] = mapped_column(ForeignKey("newsletter_lists.id"), index=True)
    #: Send to the list's subscribed members.
    include_members: Mapped[bool] = mapped_column(default=True)
    #: Also send to the contacts of the customers this segment selects.
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("newsletter_segments.id", ondelete="SET NULL"), index=True
    )
    #: Content blocks: [{"type": "text" | "products" | "code", …}] (see the content service).
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Blocks with everything read from the database resolved when sending started
    #: (products, links), so every recipient gets the same content.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    primary_color: Mapped[str] = mapped_column(String(7), default="#1d5fa8")
    track_opens: Mapped[bool] = mapped_column(default=True)
    #: Messages per hour for this campaign (NULL: as fast as the mail server allows).
    rate_per_hour: Mapped[int | None]
    status: Mapped[CampaignStatus] = mapped_column(
        str_enum(CampaignStatus, "newsletter_campaign_status"), default=CampaignStatus.DRAFT
    )
    scheduled_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    #: Why preparation failed (shown on the campaign page).
    error: Mapped[str | None] = mapped_column(Text)
    #: Recipients written down when sending started.
    recipient_count: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[str | None] = mapped_column(String(300))

    newsletter_list: Mapped[NewsletterList] = relationship()
    segment: Mapped[Segment | None] = relationship()

    def __str__(self) -> str:
        return self.name

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class RecipientStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # no longer allowed at send time (unsubscribed, consent withdrawn…)
    CANCELLED = "cancelled"


#: Statuses a recipient row never leaves.
FINAL_RECIPIENT_STATUSES = frozenset(
    {
        RecipientStatus.SENT,
        RecipientStatus.FAILED,
        RecipientStatus.SKIPPED,
        RecipientStatus.CANCELLED,
    }
)


class CampaignRecipient(Base):
    """One address of a campaign with its own sending status and what the reader did."""

    __tablename__ = "newsletter_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "email"),
        Index("ix_newsletter_recipients_claim", "campaign_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_campaigns.id", ondelete="CASCADE")
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(300))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    #: "list" (a member) or "segment" (a registered customer's contact).
    source: Mapped[str] = mapped_column(String(16))
    #: Points balance when sending started (personalisation).
    points: Mapped[int | None]
    #: The unique discount code assigned to this recipient.
    code: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[RecipientStatus] = mapped_column(
        str_enum(RecipientStatus, "newsletter_recipient_status"), default=RecipientStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    #: The mail server's id ("queued as …").
    provider_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[dt.datetime | None]
    clicked_at: Mapped[dt.datetime | None]
    unsubscribed_at: Mapped[dt.datetime | None]
    bounced_at: Mapped[dt.datetime | None]
    complained_at: Mapped[dt.datetime | None]

    campaign: Mapped[Campaign] = relationship()
    customer: Mapped[Customer | None] = relationship()

    def __str__(self) -> str:
        return self.email


class CampaignLink(Base):
    """A link of a campaign's content; clicks go through a signed redirect naming it."""

    __tablename__ = "newsletter_links"
    __table_args__ = (UniqueConstraint("campaign_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_campaigns.id", ondelete="CASCADE")
    )
    url: Mapped[str] = mapped_column(String(2000))
    #: The link's text in the newsletter (for the per-link table).
    label: Mapped[str | None] = mapped_column(String(300))

    def __str__(self) -> str:
        return self.url


class EventKind(enum.StrEnum):
    OPEN = "open"
    CLICK = "click"
    UNSUBSCRIBE = "unsubscribe"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"


class CampaignEvent(Base):
    """Something a recipient did (or a mail server reported) after a campaign was sent."""

    __tablename__ = "newsletter_events"
    __table_args__ = (Index("ix_newsletter_events_campaign", "campaign_id", "kind", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_campaigns.id", ondelete="CASCADE")
    )
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_recipients.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, "newsletter_event_kind"))
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("newsletter_links.id", ondelete="SET NULL"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: e.g. the bounce's status code or the unsubscribe scope (list, all).
    detail: Mapped[str | None] = mapped_column(String(300))
