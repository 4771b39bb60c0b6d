"""Delivery notes (WZ) from the ERP, with lines and delivered serial numbers.

Lines are matched by ``line_no`` and updated in place, so a return filed against a line
keeps pointing at it when the ERP re-sends the document; removing such a line is a 409.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backoffice.services.orders import CUSTOMER_REF, PRODUCT_REF
from backoffice.services.upsert_children import Children
from backoffice.services.upserts import Errors, Item, Ref, UpsertSpec
from models.delivery_notes import DeliveredSerial, DeliveryNote, DeliveryNoteLine
from models.orders import Order


def _check_serials(items: list[Item], errors: Errors) -> None:
    """A line cannot carry more serial numbers than units delivered."""
    for item in items:
        for n, line in enumerate(item.children.get("lines", [])):
            serials = line.get("serial_numbers") or []
            if serials and Decimal(len(serials)) > Decimal(line["quantity"]):
                errors.add(
                    item.path("lines", n, "serial_numbers"),
                    _(
                        "%(count)s serial numbers for a quantity of %(quantity)s.",
                        count=len(serials),
                        quantity=format(Decimal(line["quantity"]).normalize(), "f"),
                    ),
                )


DELIVERY_NOTES = UpsertSpec(
    name="delivery_note",
    model=DeliveryNote,
    refs=(
        CUSTOMER_REF,
        Ref(
            "order_external_id",
            "order_id",
            Order,
            unknown=_l("No order has the external id %(value)s."),
        ),
    ),
    children=(
        Children(
            "lines",
            DeliveryNoteLine,
            "delivery_note_id",
            key="line_no",
            numbered="line_no",
            refs=(PRODUCT_REF,),
            nested=Children(
                "serial_numbers", DeliveredSerial, "line_id", key="serial", scalar="serial"
            ),
        ),
    ),
    prepare=_check_serials,
)
