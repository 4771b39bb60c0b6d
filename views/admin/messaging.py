"""Console: the message register (every e-mail and SMS) with its attempts and delivery reports.

All staff may read it; a failed or bounced message can be sent again (a new row, audited).
Templates, the notification matrix, consents and the suppression list have their own pages
(``messaging_templates.py``, ``messaging_rules.py``, ``messaging_consents.py``).
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.mail.compose import make_message_id
from backoffice.mail.sms import sms_parts
from backoffice.services import message_register
from backoffice.services.message_events import all_events, event_info
from models.customers import Customer
from models.messaging import Channel, Message, MessageStatus, Purpose
from models.users import Role
from views.admin.base import ALL_STAFF, Category, ReadOnlyModelView
from views.admin.dashboard import counter
from views.admin.system_audit import WarsawDateBetween, WarsawDateFrom, WarsawDateTo

STATUS_LABELS = {
    MessageStatus.QUEUED: _l("queued"),
    MessageStatus.SENDING: _l("sending"),
    MessageStatus.SENT: _l("sent"),
    MessageStatus.DELIVERED: _l("delivered"),
    MessageStatus.FAILED: _l("failed"),
    MessageStatus.BOUNCED: _l("bounced"),
}
STATUS_TONES = {
    MessageStatus.QUEUED: "secondary",
    MessageStatus.SENDING: "info",
    MessageStatus.SENT: "primary",
    MessageStatus.DELIVERED: "success",
    MessageStatus.FAILED: "danger",
    MessageStatus.BOUNCED: "warning",
}
CHANNEL_LABELS = {Channel.EMAIL: _l("e-mail"), Channel.SMS: _l("SMS")}
PURPOSE_LABELS = {
    Purpose.TRANSACTIONAL: _l("transactional"),
    Purpose.PAYMENT_REMINDERS: _l("payment reminders"),
    Purpose.MARKETING: _l("marketing"),
    Purpose.INTERNAL: _l("internal"),
}


def status_badge(status: MessageStatus) -> Markup:
    """A coloured badge with the translated status."""
    return Markup('<span class="badge badge-{}" data-status="{}">{}</span>').format(
        STATUS_TONES[status], status.value, STATUS_LABELS[status]
    )


def _recipient(view, context, model, name):
    name_part = (
        Markup('<br><span class="small text-muted">{}</span>').format(model.recipient_name)
        if model.recipient_name
        else ""
    )
    return Markup("{}{}").format(model.recipient, name_part)


def _event(view, context, model, name):
    """The event's description in the user's language, its code below it."""
    info = event_info(model.event) if model.event else None
    if info is None or not info.registered or not info.description:
        return model.event or ""
    return Markup('{}<br><span class="small text-muted">{}</span>').format(
        info.description, model.event
    )


def _event_options():
    return [
        (e.name, f"{e.description} ({e.name})" if e.description else e.name) for e in all_events()
    ]


class MessageAdmin(ReadOnlyModelView):
    """Every e-mail and SMS: search, filter, open, send a failed one again."""

    roles = ALL_STAFF
    details_template = "admin/messaging/message_details.html"
    list_template = "admin/messaging/message_list.html"
    page_size = 50
    column_list = (
        "created_at",
        "channel",
        "event",
        "recipient",
        "customer.name",
        "status",
        "attempts",
        "sent_at",
        "subject",
    )
    column_export_list = (
        "id",
        "created_at",
        "channel",
        "event",
        "purpose",
        "recipient",
        "recipient_name",
        "customer.name",
        "related_type",
        "related_id",
        "status",
        "attempts",
        "last_error",
        "provider_id",
        "sent_at",
        "delivered_at",
        "failed_at",
        "bounced_at",
        "subject",
    )
    column_labels = {
        "id": _l("No."),
        "created_at": _l("Created"),
        "channel": _l("Channel"),
        "event": _l("Event"),
        "purpose": _l("Purpose"),
        "recipient": _l("Recipient"),
        "recipient_name": _l("Recipient name"),
        "customer.name": _l("Customer"),
        "customer": _l("Customer"),
        "related_type": _l("About"),
        "related_id": _l("Object id"),
        "status": _l("Status"),
        "attempts": _l("Attempts"),
        "last_error": _l("Last error"),
        "provider_id": _l("Provider id"),
        "sent_at": _l("Sent"),
        "delivered_at": _l("Delivered"),
        "failed_at": _l("Failed"),
        "bounced_at": _l("Bounced"),
        "subject": _l("Subject"),
    }
    column_searchable_list = ("recipient", "recipient_name", "subject", "provider_id", "related_id")
    column_sortable_list = ("created_at", "event", "recipient", "status", "attempts", "sent_at")
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(
            Message.status,
            _l("Status"),
            options=[(s.value, STATUS_LABELS[s]) for s in MessageStatus],
        ),
        FilterEqual(
            Message.channel, _l("Channel"), options=[(c.value, CHANNEL_LABELS[c]) for c in Channel]
        ),
        FilterEqual(Message.event, _l("Event"), options=_event_options),
        FilterLike(Customer.name, _l("Customer")),
        FilterEqual(
            Message.purpose, _l("Purpose"), options=[(p.value, PURPOSE_LABELS[p]) for p in Purpose]
        ),
        WarsawDateBetween(Message.created_at, _l("Date")),
        WarsawDateFrom(Message.created_at, _l("Date")),
        WarsawDateTo(Message.created_at, _l("Date")),
        FilterLike(Message.recipient, _l("Recipient")),
    )
    column_formatters = {
        "created_at": lambda v, c, m, n: format_when(m.created_at),
        "sent_at": lambda v, c, m, n: format_when(m.sent_at),
        "channel": lambda v, c, m, n: CHANNEL_LABELS[m.channel],
        "status": lambda v, c, m, n: status_badge(m.status),
        "recipient": _recipient,
        "event": _event,
        "subject": lambda v, c, m, n: (m.subject or m.body_text or "")[:80],
    }
    column_formatters_export = {
        "customer.name": lambda v, c, m, n: m.customer.name if m.customer else None,
    }
    #: Links from other modules: ?related_type=Order&related_id=5, ?customer_id=3
    LINK_ARGS = ("related_type", "related_id", "customer_id")

    def audit_name(self) -> str:
        return "message"

    def link_filters(self) -> dict[str, str]:
        """LINK_ARGS present in the request (shown above the list with a reset link)."""
        return {k: request.args[k] for k in self.LINK_ARGS if request.args.get(k)}

    def scope(self, query):
        for key, value in self.link_filters().items():
            query = query.filter(getattr(Message, key) == value)
        return query

    def get_one(self, id):
        return db.session.get(Message, int(id)) if str(id).isdigit() else None

    # --- for the details page --------------------------------------------------------------
    status_badge = staticmethod(status_badge)
    channel_labels = CHANNEL_LABELS
    purpose_labels = PURPOSE_LABELS

    def header_message_id(self, message: Message) -> str:
        from flask import current_app

        return make_message_id(message.id, current_app.config["MAIL_FROM"])

    def sms_parts(self, message: Message) -> tuple[int, str]:
        return sms_parts(message.body_text or "")

    def resent_as(self, message: Message) -> list[Message]:
        return db.session.scalars(
            select(Message).where(Message.resent_from_id == message.id).order_by(Message.id)
        ).all()

    def resendable(self, message: Message) -> bool:
        return message.status in message_register.RESENDABLE

    @expose("/resend/<int:message_id>", methods=("POST",))
    def resend_view(self, message_id: int):
        """Queue a copy of a failed message (optionally to a corrected address)."""
        message = self.get_one(message_id)
        if message is None:
            flash(_("No such message."), "danger")
            return redirect(url_for(".index_view"))
        try:
            copy = message_register.resend_message(
                current_actor(), message, (request.form.get("recipient") or "").strip() or None
            )
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for(".details_view", id=message_id))
        flash(_("Message #%(id)s queued to %(to)s.", id=copy.id, to=copy.recipient), "success")
        return redirect(url_for(".details_view", id=copy.id))

    def may_send_test(self) -> bool:
        return current_user.has_role(Role.ADMIN)

    @expose("/test", methods=("POST",))
    def test_view(self):
        """Queue a test e-mail or SMS (administrators: checks MAIL_URL / SMS_URL)."""
        if not self.may_send_test():
            abort(403)
        try:
            message = message_register.queue_test_message(
                current_actor(),
                request.form.get("channel", "email"),
                (request.form.get("address") or "").strip(),
            )
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for(".index_view"))
        flash(
            _("Test message #%(id)s queued to %(to)s.", id=message.id, to=message.recipient),
            "success",
        )
        return redirect(url_for(".details_view", id=message.id))

    @action("resend", _l("Send again"), _l("Send the selected failed messages again?"))
    def action_resend(self, ids):
        done, skipped = 0, 0
        for message in db.session.scalars(select(Message).where(Message.id.in_(ids))):
            if message.status not in message_register.RESENDABLE:
                skipped += 1
                continue
            message_register.resend_message(current_actor(), message)
            done += 1
        db.session.commit()
        flash(
            _(
                "%(done)s message(s) queued again, %(skipped)s skipped (not failed).",
                done=done,
                skipped=skipped,
            ),
            "success" if done else "warning",
        )


@counter(_l("Messages failed in the last 7 days"), endpoint="messages.index_view", tone="danger")
def _failed_counter() -> int:
    return message_register.failed_last_week()


@counter(_l("Messages waiting to be sent"), endpoint="messages.index_view", tone="info")
def _queued_counter() -> int:
    return message_register.queued_now()


def register(admin) -> None:
    """Add the communication pages to the console."""
    from views.admin import messaging_consents, messaging_rules, messaging_templates

    admin.add_view(
        MessageAdmin(
            Message,
            name=_l("Message register"),
            category=Category.MESSAGES,
            endpoint="messages",
            url="/admin/messages",
        )
    )
    messaging_templates.register(admin)
    messaging_rules.register(admin)
    messaging_consents.register(admin)


__all__ = ["MessageAdmin", "register", "status_badge"]
