"""``/api/v1/delivery-notes``: delivery notes (WZ) pushed by the ERP (scope ``erp``)."""

from __future__ import annotations

from sqlalchemy.orm import joinedload, selectinload

from backoffice.services.delivery_notes import DELIVERY_NOTES
from models.customers import Customer
from models.delivery_notes import DeliveryNote, DeliveryNoteLine
from models.orders import Order
from views.api.resources import ApiResource, publish
from views.api.schemas_delivery_notes import (
    DeliveryNoteBulkItem,
    DeliveryNoteIn,
    DeliveryNoteLineOut,
    DeliveryNoteOut,
    DeliveryNoteQuery,
)


def delivery_note_out(note: DeliveryNote) -> DeliveryNoteOut:
    """The API view of a delivery note."""
    return DeliveryNoteOut(
        id=note.id,
        external_id=note.external_id,
        number=note.number,
        customer_external_id=note.customer.external_id,
        order_external_id=note.order.external_id if note.order else None,
        issued_at=note.issued_at,
        lines=[
            DeliveryNoteLineOut(
                line_no=ln.line_no,
                product_external_id=ln.product.external_id,
                quantity=ln.quantity,
                serial_numbers=ln.serial_numbers,
            )
            for ln in note.lines
        ],
        created_at=note.created_at,
        updated_at=note.updated_at,
    )


def _filters(stmt, query: DeliveryNoteQuery):
    if query.customer_external_id:
        stmt = stmt.where(
            DeliveryNote.customer.has(Customer.external_id == query.customer_external_id)
        )
    if query.order_external_id:
        stmt = stmt.where(DeliveryNote.order.has(Order.external_id == query.order_external_id))
    return stmt


RESOURCE = ApiResource(
    path="delivery-notes",
    noun="delivery_note",
    spec=DELIVERY_NOTES,
    body=DeliveryNoteIn,
    bulk_item=DeliveryNoteBulkItem,
    out=DeliveryNoteOut,
    to_out=delivery_note_out,
    load=lambda stmt: stmt.options(
        joinedload(DeliveryNote.customer),
        joinedload(DeliveryNote.order),
        selectinload(DeliveryNote.lines).selectinload(DeliveryNoteLine.serials),
        selectinload(DeliveryNote.lines).joinedload(DeliveryNoteLine.product),
    ),
    tag="delivery notes",
    query=DeliveryNoteQuery,
    filters=_filters,
)
publish(RESOURCE)
