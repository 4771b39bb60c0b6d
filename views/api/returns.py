"""Returns API for the shop's customer panel (scope ``shop``): what can be returned, filing
a return, its status, and the reason/condition dictionaries."""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from backoffice.actors import current_actor
from backoffice.errors import NotFound, ValidationFailed
from backoffice.extensions import db
from backoffice.services import return_quantities
from backoffice.services import returns as service
from backoffice.services.return_notices import portal_link
from models.customers import Customer
from models.delivery_notes import DeliveryNote
from models.returns import ReturnCondition, ReturnReason, ReturnRequest
from models.users import PortalUser
from views.api.base import api_route
from views.api.schemas_returns import (
    ContactIn,
    Dictionaries,
    DictionaryEntry,
    ReturnablePage,
    ReturnableQuery,
    ReturnIn,
    ReturnLineOut,
    ReturnOut,
    plain,
)

TAG = "returns"


def _customer(external_id: str) -> Customer:
    customer = db.session.scalar(select(Customer).where(Customer.external_id == external_id))
    if customer is None:
        raise NotFound(_("Customer %(id)s not found.", id=external_id), field="customer")
    return customer


@api_route(
    "/customers/<external_id>/returnable-lines",
    scopes=["shop"],
    query=ReturnableQuery,
    response=ReturnablePage,
    tag=TAG,
)
def returnable_lines(external_id: str, query: ReturnableQuery):
    """Delivery-note lines the customer can still return, with quantities and serials.

    Only notes within the customer's return window; newest first, paged by notes.
    """
    customer = _customer(external_id)
    stmt = return_quantities.notes_in_window(customer)
    if query.delivery_note:
        stmt = stmt.where(
            or_(
                DeliveryNote.external_id == query.delivery_note,
                DeliveryNote.number == query.delivery_note,
            )
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    notes = db.session.execute(
        stmt.with_only_columns(
            DeliveryNote.id, DeliveryNote.external_id, DeliveryNote.number, DeliveryNote.issued_at
        )
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    ).all()
    months = return_quantities.window_months(customer)
    by_id = {n.id: _note_out(n, months) for n in notes}
    items = [
        {**by_id[line.delivery_note_id], **_line_out(line)}
        for line in return_quantities.line_summaries(list(by_id))
        if not query.only_returnable or line.returnable > 0
    ]
    # Thousands of lines: plain dicts in the documented shape (ReturnablePage, checked by
    # the tests) instead of a pydantic model per line.
    return jsonify(
        customer_external_id=external_id,
        window_months=months,
        window_start=return_quantities.window_start(customer).isoformat(),
        page=query.page,
        total_notes=total,
        items=items,
    )


def _note_out(note, months: int) -> dict:
    return {
        "delivery_note_external_id": note.external_id,
        "delivery_note_number": note.number,
        "issued_at": note.issued_at.isoformat(),
        "returnable_until": (note.issued_at + relativedelta(months=months)).isoformat(),
    }


def _line_out(line) -> dict:
    return {
        "line_no": line.line_no,
        "product_external_id": line.product_external_id,
        "sku": line.sku,
        "product_name": line.product_name,
        "unit": line.unit,
        "delivered": _text(line.delivered),
        "in_returns": _text(line.held),
        "returnable": _text(line.returnable),
        "product_returnable": line.product_returnable,
        "serial_tracked": line.serial_tracked,
        "serial_numbers": line.available_serials if line.serial_tracked else [],
    }


def _text(value) -> str:
    return format(plain(value), "f")


@api_route(
    "/returns",
    methods=["POST"],
    scopes=["shop"],
    body=ReturnIn,
    response=ReturnOut,
    status=201,
    tag=TAG,
    responses={404: "Unknown customer or delivery note", 422: "Refused (see errors)"},
)
def create_return(body: ReturnIn):
    """File a return for a customer's delivery note (whole note, whole lines or parts).

    422 with the reason when a quantity is over what is still returnable, the return
    window has passed, a serial number was not delivered on the line or a reason is missing.
    """
    customer = _customer(body.customer_external_id)
    note = _note(customer, body)
    draft = _draft(note, body)
    filed_by = _portal_user(customer, body.portal_user_email)
    rr = service.file_return(
        current_actor(), customer, note, draft, filed_by=filed_by, channel="api"
    )
    db.session.commit()
    return return_out(rr), 201


def _note(customer: Customer, body: ReturnIn) -> DeliveryNote:
    if not (body.delivery_note_external_id or body.delivery_note_number):
        raise ValidationFailed(
            _("Give delivery_note_external_id or delivery_note_number."),
            field="delivery_note_external_id",
        )
    stmt = select(DeliveryNote).where(DeliveryNote.customer_id == customer.id)
    if body.delivery_note_external_id:
        stmt = stmt.where(DeliveryNote.external_id == body.delivery_note_external_id)
    else:
        stmt = stmt.where(DeliveryNote.number == body.delivery_note_number)
    note = db.session.scalars(stmt.order_by(DeliveryNote.id.desc()).limit(1)).first()
    if note is None:
        raise NotFound(_("Delivery note not found for this customer."), field="delivery_note")
    return note


def _codes(model) -> dict[str, int]:
    rows = db.session.execute(select(model.code, model.id).where(model.active.is_(True)))
    return dict(rows.all())


class _Codes:
    """Reason and condition codes of the request resolved to ids; unknown ones collected."""

    def __init__(self):
        self.tables = {"reason": _codes(ReturnReason), "condition": _codes(ReturnCondition)}
        self.errors: dict[str, list[str]] = {}

    def id(self, kind: str, code: str | None, key: str) -> int | None:
        if code is None:
            return None
        if code not in self.tables[kind]:
            self.errors[key] = [_("Unknown code %(code)s.", code=code)]
        return self.tables[kind].get(code)


def _draft(note: DeliveryNote, body: ReturnIn) -> service.ReturnDraft:
    codes = _Codes()
    reason = codes.id("reason", body.reason, "reason")
    condition = codes.id("condition", body.condition, "condition")
    by_no = {line.line_no: line for line in note.lines}
    lines = []
    for i, item in enumerate(body.lines):
        line = by_no.get(item.line_no)
        if line is None:
            codes.errors[f"lines.{i}.line_no"] = [
                _(
                    "Delivery note %(number)s has no line %(no)d.",
                    number=note.number,
                    no=item.line_no,
                )
            ]
            continue
        lines.append(
            service.LineRequest(
                line.id,
                item.quantity,
                item.serial_numbers,
                codes.id("reason", item.reason, f"lines.{i}.reason") or reason,
                codes.id("condition", item.condition, f"lines.{i}.condition") or condition,
                item.description,
            )
        )
    if codes.errors:
        raise ValidationFailed(_("Correct the marked fields."), errors=codes.errors)
    contact = body.contact or ContactIn()
    return service.ReturnDraft(
        lines=lines,
        whole_note=body.whole_note,
        reason_id=reason,
        condition_id=condition,
        contact_name=contact.name,
        contact_email=contact.email,
        contact_phone=contact.phone,
        notes=body.notes,
        waybill_number=body.waybill_number,
    )


def _portal_user(customer: Customer, email: str | None) -> PortalUser | None:
    if not email:
        return None
    return db.session.scalar(
        select(PortalUser).where(
            func.lower(PortalUser.email) == email.strip().lower(),
            PortalUser.customer_id == customer.id,
            PortalUser.active.is_(True),
        )
    )


def return_out(rr: ReturnRequest) -> ReturnOut:
    """The API view of a return."""
    return ReturnOut(
        number=rr.number,
        status=rr.status.value,
        customer_external_id=rr.customer.external_id,
        delivery_note_external_id=rr.delivery_note.external_id,
        delivery_note_number=rr.delivery_note.number,
        created_at=rr.created_at,
        decided_at=rr.decided_at,
        decision_note=rr.decision_note,
        waybill_number=rr.waybill_number,
        label_available=rr.label_available,
        portal_url=portal_link(rr),
        lines=[
            ReturnLineOut(
                line_no=ln.line_no,
                delivery_note_line_no=ln.delivery_note_line.line_no,
                sku=ln.product.sku,
                product_name=ln.product.name,
                quantity=plain(ln.quantity),
                serial_number=ln.serial_number,
                reason=ln.reason.code,
                condition=ln.condition.code,
                decision=ln.decision.value,
                found_condition=ln.found_condition.code if ln.found_condition else None,
                disposition=ln.disposition.value if ln.disposition else None,
                resolution_reference=ln.resolution_reference,
            )
            for ln in rr.lines
        ],
        history=[
            {"at": e.at.isoformat(), "action": e.action, "status": e.status.value, "note": e.note}
            for e in rr.events
            if e.public
        ],
    )


@api_route("/returns/<path:number>", scopes=["shop"], response=ReturnOut, tag=TAG)
def get_return(number: str):
    """A return by its number (e.g. RMA/2026/00042): status, lines, decisions, history."""
    rr = service.find_by_code(number)
    if rr is None:
        raise NotFound(_("Return %(number)s not found.", number=number), field="number")
    return return_out(rr)


@api_route("/return-dictionaries", scopes=["shop"], response=Dictionaries, tag=TAG)
def return_dictionaries():
    """Active return reasons and goods conditions (codes for POST /returns)."""
    return Dictionaries(
        reasons=[
            DictionaryEntry(
                code=r.code,
                name=r.name,
                name_en=r.name_en,
                requires_description=r.requires_description,
            )
            for r in service.active_reasons()
        ],
        conditions=[
            DictionaryEntry(code=c.code, name=c.name, name_en=c.name_en)
            for c in service.active_conditions()
        ],
    )
