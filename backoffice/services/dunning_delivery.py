"""Delivering one planned notice: its statement attachments and its messages.

``deliver_notices`` locks the notices, leaves out documents paid since it was planned, renders
the optional PDF and XLSX statements (stored with their SHA-256), queues the messages through
``messaging.notify`` (purpose ``payment_reminders``, the contacts flagged for payment
reminders) and marks the notice queued — all in the caller's transaction. A notice that is
not planned any more is left alone, so running a delivery twice sends nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload

from backoffice.actors import SYSTEM
from backoffice.extensions import db
from backoffice.services import messaging
from backoffice.services.company import get_profile
from backoffice.services.dunning_calendar import warsaw_today
from backoffice.services.dunning_messages import THANK_YOU_EVENT, notice_context
from backoffice.services.uploads import store_bytes
from models.base import utcnow
from models.customers import Customer
from models.messaging import Channel, Purpose
from models.payment_reminders import (
    NoticeKind,
    NoticeStatus,
    PaymentNotice,
    PaymentSchedule,
)
from models.receivables import Receivable
from reports.statement_pdf import Statement, StatementRow, render_statement_pdf
from reports.statement_xlsx import render_statement_xlsx

log = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def deliver_notices(notice_ids: list[int]) -> int:
    """Queue the messages of the planned notices among ``notice_ids``; how many were done.

    The notices are locked (others' locks skipped: a duplicate job leaves them alone) and
    loaded with their items, customers and contacts in a few queries. Notices no longer
    planned are left alone. No commit: the caller commits the batch (or rolls it back).
    """
    notices = _lock_planned(notice_ids)
    if not notices:
        return 0
    open_ids = _open_receivables([i.receivable_id for n in notices for i in n.items])
    profile = get_profile()
    for notice in notices:
        try:
            with db.session.begin_nested():
                deliver_one(notice, open_ids, profile)
        except OperationalError:
            raise  # the database: the whole job is retried
        except Exception as exc:  # noqa: BLE001 - e.g. a broken template: shown in the register
            log.exception("payment notice %s could not be delivered", notice.id)
            _close(notice, NoticeStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000])
    return len(notices)


def deliver_notice(notice_id: int) -> bool:
    """Queue one planned notice's messages; False when it was not planned (any more)."""
    return deliver_notices([notice_id]) == 1


def _lock_planned(notice_ids: list[int]) -> list[PaymentNotice]:
    return list(
        db.session.scalars(
            select(PaymentNotice)
            .where(PaymentNotice.id.in_(notice_ids), PaymentNotice.status == NoticeStatus.PLANNED)
            .options(
                selectinload(PaymentNotice.items),
                selectinload(PaymentNotice.stage),
                selectinload(PaymentNotice.customer).selectinload(Customer.contacts),
                selectinload(PaymentNotice.customer).selectinload(Customer.addresses),
            )
            .order_by(PaymentNotice.id)
            .with_for_update(of=PaymentNotice, skip_locked=True)
        )
    )


def _open_receivables(ids: list[int]) -> set[int]:
    out: set[int] = set()
    for start in range(0, len(ids), 5000):
        out.update(
            db.session.scalars(
                select(Receivable.id).where(
                    Receivable.id.in_(ids[start : start + 5000]),
                    Receivable.is_open.is_(True),
                    Receivable.amount > Receivable.paid_amount,
                )
            )
        )
    return out


def deliver_one(notice: PaymentNotice, open_ids: set[int], profile) -> None:
    """Attachments, messages and the new status of one locked, planned notice."""
    rows = [
        item.as_row()
        for item in notice.items
        if notice.kind == NoticeKind.THANK_YOU or item.receivable_id in open_ids
    ]
    if not rows:
        _close(notice, NoticeStatus.SKIPPED, "paid before sending")
        return
    channels = _channels(notice)
    attachments = _attachments(notice, rows) if Channel.EMAIL in channels else []
    context = notice_context(notice, rows, bool(attachments), profile)
    written = 0
    for channel, event in channels.items():
        written += len(
            messaging.notify(
                SYSTEM,
                event,
                context=context,
                customer=notice.customer,
                related=notice,
                purpose=Purpose.PAYMENT_REMINDERS,
                audience="payment_reminders",
                channels=[channel.value],
                attachments=attachments if channel == Channel.EMAIL else (),
                dedupe_key=f"payment-notice:{notice.id}",
            )
        )
    notice.message_count = written
    if written:
        _close(notice, NoticeStatus.QUEUED, None)
    else:
        _close(notice, NoticeStatus.SKIPPED, "no recipient")


def _close(notice: PaymentNotice, status: NoticeStatus, reason: str | None) -> None:
    notice.status = status
    notice.reason = reason
    notice.delivered_at = utcnow()


def _channels(notice: PaymentNotice) -> dict[Channel, str]:
    """Channel → message event of the notice (its stage's, or the schedule's thank-you)."""
    if notice.kind == NoticeKind.THANK_YOU:
        schedule = db.session.get(PaymentSchedule, notice.schedule_id or 0)
        email = schedule.thank_email if schedule else True
        sms = schedule.thank_sms if schedule else False
        out = {Channel.EMAIL: THANK_YOU_EVENT} if email else {}
        return out | ({Channel.SMS: THANK_YOU_EVENT} if sms else {})
    stage = notice.stage
    if stage is None:  # the stage was deleted after planning: e-mail with a default text
        fallback = "payment.reminder" if notice.kind == NoticeKind.REMINDER else "payment.notice_1"
        return {Channel.EMAIL: fallback}
    out = {Channel.EMAIL: stage.email_event} if stage.send_email else {}
    return out | ({Channel.SMS: stage.sms_event} if stage.send_sms else {})


def _attachments(notice: PaymentNotice, rows: list[dict]) -> list[messaging.Attachment]:
    stage = notice.stage
    if stage is None or not (stage.attach_pdf or stage.attach_xlsx):
        return []
    with force_locale(notice.customer.locale or "pl"):
        statement = build_statement(notice.customer, {r["document"] for r in rows})
        name = _("statement-%(day)s", day=statement.as_of.isoformat())
        out = []
        folder = f"payment_notices/{statement.as_of.year}/{notice.customer_id}"
        if stage.attach_pdf:
            data = render_statement_pdf(statement)
            notice.pdf_path = store_bytes(data, folder, "pdf")
            notice.pdf_sha256 = hashlib.sha256(data).hexdigest()
            out.append(messaging.Attachment(f"{name}.pdf", notice.pdf_path, "application/pdf"))
        if stage.attach_xlsx:
            data = render_statement_xlsx(statement)
            notice.xlsx_path = store_bytes(data, folder, "xlsx")
            notice.xlsx_sha256 = hashlib.sha256(data).hexdigest()
            out.append(messaging.Attachment(f"{name}.xlsx", notice.xlsx_path, XLSX))
    return out


def build_statement(customer, marked: set[str] | frozenset = frozenset()) -> Statement:
    """All of a customer's open receivables today, as a statement (in the current locale)."""
    today = warsaw_today()
    receivables = db.session.scalars(
        select(Receivable)
        .where(Receivable.customer_id == customer.id, Receivable.is_open.is_(True))
        .order_by(Receivable.due_date, Receivable.id)
    ).all()
    rows = [
        StatementRow(
            r.document_number,
            r.issued_at,
            r.due_date,
            r.currency,
            r.amount,
            r.paid_amount,
            r.amount - r.paid_amount,
            max((today - r.due_date).days, 0),
            r.document_number in marked,
        )  # fmt: skip
        for r in receivables
        if r.amount - r.paid_amount > Decimal("0")
    ]
    profile = get_profile()
    return Statement(
        title=_("Statement of receivables"),
        as_of=today,
        locale=customer.locale or "pl",
        seller_name=profile.name,
        seller_lines=_address_lines(profile),
        customer_name=customer.name,
        customer_lines=_customer_lines(customer),
        rows=rows,
        bank_account=profile.bank_account,
    )


def _address_lines(profile) -> list[str]:
    lines = [profile.street or "", f"{profile.postal_code or ''} {profile.city or ''}".strip()]
    if profile.nip:
        lines.append(f"NIP {profile.nip}")
    return [line for line in lines if line]


def _customer_lines(customer) -> list[str]:
    address = customer.address("billing")
    lines = [str(address)] if address else []
    if customer.nip:
        lines.append(f"NIP {customer.nip}")
    return lines
