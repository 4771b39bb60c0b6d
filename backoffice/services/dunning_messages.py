"""The messages of payment monitoring: their events in the communication catalogue and the
context their templates get (one table of receivables per customer and stage)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.services.company import get_profile
from backoffice.services.dunning_calendar import warsaw_today
from backoffice.services.message_events import register_event
from models.messaging import Purpose
from models.payment_reminders import NoticeKind, PaymentNotice

#: Message events (templates) a stage can use, in the order the console lists them.
STAGE_EVENTS = {
    "payment.reminder": _l("Payment reminder (before the due date)"),
    "payment.notice_1": _l("First dunning notice"),
    "payment.notice_2": _l("Second dunning notice"),
    "payment.notice_final": _l("Final demand for payment"),
}
THANK_YOU_EVENT = "payment.thank_you"
EVENTS = {**STAGE_EVENTS, THANK_YOU_EVENT: _l("Thank-you for a payment")}
VARIABLES = {
    "customer": _l("the customer: name, nip, external_id"),
    "kind": _l("reminder, notice or thank_you"),
    "stage": _l("the stage: name, offset_days (negative: before the due date)"),
    "receivables": _l(
        "list of documents: document, issued_at, due_date, currency, amount, paid, "
        "outstanding, days_overdue"
    ),
    "totals": _l("outstanding totals per currency: currency, amount"),
    "total, currency": _l("the outstanding total and its currency (the first if several)"),
    "count": _l("how many documents"),
    "as_of": _l("the day of the message"),
    "days_to_due": _l("days until the earliest due date (reminders)"),
    "max_days_overdue": _l("the most days a document is overdue"),
    "bank_account, bank_name": _l("our bank account for the transfer"),
    "statement_attached": _l("true when a PDF or XLSX statement is attached"),
}


def rows_context(rows: list[dict], kind: str, today: dt.date) -> dict:
    """Totals and figures of a list of receivable rows (``NoticeItem.as_row`` dicts)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[row["currency"]] += row["outstanding"]
    first = next(iter(totals.items()), ("PLN", Decimal("0.00")))
    dues = [r["due_date"] for r in rows]
    return {
        "kind": kind,
        "receivables": rows,
        "totals": [{"currency": c, "amount": a} for c, a in totals.items()],
        "total": first[1],
        "currency": first[0],
        "count": len(rows),
        "as_of": today,
        "days_to_due": (min(dues) - today).days if dues else 0,
        "max_days_overdue": max((r["days_overdue"] for r in rows), default=0),
    }


def notice_context(notice: PaymentNotice, rows: list[dict], attached: bool, profile=None) -> dict:
    """What the templates of one notice's messages can use."""
    customer = notice.customer
    profile = profile or get_profile()
    return {
        **rows_context(rows, notice.kind.value, warsaw_today()),
        "customer": {
            "name": customer.name,
            "nip": customer.nip,
            "external_id": customer.external_id,
        },
        "stage": {"name": notice.stage_name, "offset_days": notice.stage_offset},
        "bank_account": profile.bank_account,
        "bank_name": profile.bank_name,
        "statement_attached": attached,
    }


def sample_context(ref: str | None) -> dict:
    """Preview context: notice number ``ref`` from the register, else made-up values."""
    number = (ref or "").strip().lstrip("#")
    if number.isdigit():
        notice = db.session.scalar(select(PaymentNotice).where(PaymentNotice.id == int(number)))
        if notice is not None:
            return notice_context(notice, [i.as_row() for i in notice.items], False)
    today = warsaw_today()
    rows = [
        _sample_row("FV/2026/05/0142", today - dt.timedelta(days=24), 14, "4305.00", "1000.00"),
        _sample_row("FV/2026/05/0187", today - dt.timedelta(days=17), 3, "1230.00", "0.00"),
    ]
    return {
        **rows_context(rows, NoticeKind.NOTICE.value, today),
        "customer": {
            "name": "Hurtownia Żuraw sp. z o.o.",
            "nip": "7251801126",
            "external_id": "K1",
        },
        "stage": {"name": "Pierwsze ponaglenie", "offset_days": 3},
        "bank_account": "PL61109010140000071219812874",
        "bank_name": "Santander Bank Polska",
        "statement_attached": True,
    }


def _sample_row(number: str, issued: dt.date, overdue: int, amount: str, paid: str) -> dict:
    today = warsaw_today()
    return {
        "document": number,
        "issued_at": issued,
        "due_date": today - dt.timedelta(days=overdue),
        "currency": "PLN",
        "amount": Decimal(amount),
        "paid": Decimal(paid),
        "outstanding": Decimal(amount) - Decimal(paid),
        "days_overdue": overdue,
    }


for _name, _description in EVENTS.items():
    register_event(
        _name,
        _description,
        variables=VARIABLES,
        channels=("email", "sms"),
        purpose=Purpose.PAYMENT_REMINDERS,
        sample=sample_context,
        sample_label=_l("Notice number in the payment register"),
    )
