"""Request and response bodies of ``/api/v1/products``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import Field

from views.api.schemas_common import (
    Amount,
    DecimalOut,
    Ean,
    ExternalId,
    InputModel,
    Optional,
    OutputModel,
    PositiveQuantity,
    Quantity,
    Text,
    VatRate,
    with_example,
)


class PackagingIn(InputModel):
    """A packaging unit (sposób pakowania): a carton of 12, a pallet of 480…"""

    name: Text(64) = Field(examples=["karton"])
    quantity: PositiveQuantity = Field(description="Units of the product in this package.")
    ean: Optional(Ean) = None


class ProductIn(InputModel):
    """A product as the ERP knows it. Only ``sku`` and ``name`` are required."""

    model_config = with_example(
        sku="WKR-1200",
        ean="5901234123457",
        name="Wkrętarka akumulatorowa 18 V",
        unit="szt.",
        price_net="349.00",
        vat_rate="23",
        weight_kg="1.850",
        volume_m3="0.0042",
        group="Elektronarzędzia",
        packaging=[{"name": "karton", "quantity": "6", "ean": "15901234123454"}],
        warranty_months=24,
        serial_tracked=True,
        returnable=True,
    )

    external_id: ExternalId | None = Field(
        None, description="Optional here; when given it must equal the id in the address."
    )
    sku: Text(64)
    name: Text(300)
    ean: Optional(Ean) = None
    unit: Text(16) = "szt."
    price_net: Amount(2) = Decimal("0.00")
    vat_rate: VatRate = Field(Decimal("23"), description="VAT rate in percent (23, 8, 5, 0).")
    weight_kg: Optional(Quantity) = None
    volume_m3: Optional(Amount(4)) = None
    group: Optional(Text(200)) = Field(
        None, description="Product group code or name; an unknown group is created."
    )
    packaging: list[PackagingIn] | None = Field(
        None, max_length=50, description="Replaces the stored packaging units when sent."
    )
    warranty_months: int = Field(24, ge=0, le=600)
    serial_tracked: bool = False
    returnable: bool = True
    active: bool = True


class ProductBulkItem(ProductIn):
    """One product of a bulk request: the same fields plus its ``external_id``."""

    external_id: ExternalId


class PackagingOut(OutputModel):
    name: str
    quantity: DecimalOut
    ean: str | None


class ProductOut(OutputModel):
    """A product; ``external_id`` is null for products created only in the console."""

    id: int
    external_id: str | None
    sku: str
    ean: str | None
    name: str
    unit: str
    price_net: DecimalOut
    vat_rate: DecimalOut
    weight_kg: DecimalOut | None
    volume_m3: DecimalOut | None
    group: str | None
    packaging: list[PackagingOut]
    warranty_months: int
    serial_tracked: bool
    returnable: bool
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime
