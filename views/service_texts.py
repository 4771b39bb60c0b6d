"""Translated labels and badge colours of the service module's values (console and portal)."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

KIND_LABELS = {"warranty": _l("warranty repair"), "post_warranty": _l("post-warranty repair")}
KIND_TONES = {"warranty": "success", "post_warranty": "secondary"}
SOURCE_LABELS = {
    "portal": _l("portal"),
    "api": _l("shop (API)"),
    "staff": _l("console (staff)"),
    "return": _l("return (RMA)"),
}
REGISTRATION_LABELS = {
    "verified": _l("registration verified"),
    "to_verify": _l("waiting for verification"),
    "rejected": _l("registration rejected"),
}
REGISTRATION_TONES = {"verified": "success", "to_verify": "warning", "rejected": "danger"}
PURCHASE_SOURCE_LABELS = {
    "delivery_note": _l("delivery note"),
    "proof_of_purchase": _l("proof of purchase"),
    "staff": _l("entered by staff"),
}
LINE_KIND_LABELS = {"part": _l("part"), "labour": _l("labour"), "other": _l("other cost")}
ATTACHMENT_LABELS = {
    "fault": _l("fault photo / document"),
    "proof_of_purchase": _l("proof of purchase"),
    "shipment": _l("shipping document"),
    "label": _l("service label"),
    "repair_report": _l("repair report"),
    "other": _l("other file"),
}
EFFECT_LABELS = {
    "none": _l("no effect"),
    "goods_received": _l("goods received (repair time starts)"),
    "quote_sent": _l("quote sent to the customer"),
    "quote_accepted": _l("quote accepted"),
    "quote_rejected": _l("quote rejected"),
    "returned": _l("returned to the customer (repair time ends)"),
}
EVENT_LABELS = {
    "created": _l("ticket filed"),
    "status": _l("status changed"),
    "note": _l("note added"),
    "kind": _l("type changed"),
    "assign": _l("handler assigned"),
    "courier": _l("shipment details"),
    "attachment": _l("files added"),
    "dates": _l("repair dates corrected"),
}


def status_label(status) -> str:
    """A procedure status's name in the current language."""
    return status.label(str(get_locale() or "pl")) if status is not None else ""


def status_tone(status) -> str:
    if status is None:
        return "light"
    if status.is_final:
        return "dark" if status.code in ("closed",) else "secondary"
    return {"goods_received": "info", "quote_sent": "warning", "returned": "success"}.get(
        status.effect.value, "primary"
    )


def status_badge(status) -> Markup:
    return Markup(
        f'<span class="badge badge-{status_tone(status)} badge-status" '
        f'data-status="{escape(status.code)}">{escape(status_label(status))}</span>'
    )


def kind_badge(ticket) -> Markup:
    kind = ticket.kind.value
    mark = " *" if ticket.kind_overridden else ""
    return Markup(
        f'<span class="badge badge-{KIND_TONES[kind]}" data-kind="{kind}">'
        f"{escape(KIND_LABELS[kind])}{mark}</span>"
    )


def ageing_badge(days: int) -> Markup:
    tone = "danger" if days >= 7 else "warning" if days >= 3 else "light"
    return Markup(f'<span class="badge badge-{tone}" data-ageing="{days}">{days}</span>')


def registration_badge(unit) -> Markup:
    value = unit.status.value
    return Markup(
        f'<span class="badge badge-{REGISTRATION_TONES[value]}" data-registration="{value}">'
        f"{escape(REGISTRATION_LABELS[value])}</span>"
    )
