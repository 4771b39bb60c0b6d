"""Translatable names of return statuses, decisions, dispositions and history steps."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from models.returns import (
    ApplicationStatus,
    AttachmentKind,
    Disposition,
    LineDecision,
    ReturnStatus,
)

STATUS_LABELS = {
    ReturnStatus.SUBMITTED: _l("Submitted"),
    ReturnStatus.ACCEPTED: _l("Accepted"),
    ReturnStatus.REJECTED: _l("Rejected"),
    ReturnStatus.RECEIVED: _l("Goods received"),
    ReturnStatus.ASSESSED: _l("Assessed"),
    ReturnStatus.RESOLVED: _l("Resolved"),
    ReturnStatus.CLOSED: _l("Closed"),
    ReturnStatus.CANCELLED: _l("Cancelled"),
}

#: Bootstrap colour of each status badge.
STATUS_TONES = {
    ReturnStatus.SUBMITTED: "warning",
    ReturnStatus.ACCEPTED: "primary",
    ReturnStatus.REJECTED: "danger",
    ReturnStatus.RECEIVED: "info",
    ReturnStatus.ASSESSED: "info",
    ReturnStatus.RESOLVED: "success",
    ReturnStatus.CLOSED: "secondary",
    ReturnStatus.CANCELLED: "secondary",
}

DECISION_LABELS = {
    LineDecision.PENDING: _l("Awaiting decision"),
    LineDecision.ACCEPTED: _l("Accepted"),
    LineDecision.REJECTED: _l("Rejected"),
}

DISPOSITION_LABELS = {
    Disposition.CREDIT_NOTE: _l("Credit note"),
    Disposition.EXCHANGE: _l("Exchange"),
    Disposition.REPAIR: _l("Repair (handed over to service)"),
    Disposition.RETURN_TO_CUSTOMER: _l("Return to the customer"),
    Disposition.SCRAP: _l("Scrap"),
}

ATTACHMENT_KIND_LABELS = {
    AttachmentKind.PHOTO: _l("Photo"),
    AttachmentKind.DOCUMENT: _l("Document"),
    AttachmentKind.WAYBILL: _l("Waybill"),
}

ACTION_LABELS = {
    "submitted": _l("Return filed"),
    "accepted": _l("Return accepted"),
    "partially_accepted": _l("Return partially accepted"),
    "rejected": _l("Return rejected"),
    "label": _l("Return label ready to print"),
    "waybill": _l("Waybill number added"),
    "attachment": _l("File added"),
    "received": _l("Goods received"),
    "assessed": _l("Goods assessed"),
    "resolved": _l("Return resolved"),
    "closed": _l("Return closed"),
    "cancelled": _l("Return cancelled"),
    "note": _l("Note"),
}

#: Where a return was filed (``ReturnRequest.channel``).
CHANNEL_LABELS = {"portal": _l("portal"), "api": _l("shop (API)"), "staff": _l("staff")}

APPLICATION_STATUS_LABELS = {
    ApplicationStatus.PENDING: _l("Awaiting review"),
    ApplicationStatus.APPROVED: _l("Approved"),
    ApplicationStatus.REJECTED: _l("Rejected"),
}


def status_label(status) -> str:
    return str(STATUS_LABELS.get(ReturnStatus(status), status))


def disposition_label(disposition) -> str:
    return str(DISPOSITION_LABELS.get(Disposition(disposition), disposition)) if disposition else ""
