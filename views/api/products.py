"""``/api/v1/products``: the catalogue pushed by the ERP (scope ``erp``)."""

from __future__ import annotations

from sqlalchemy.orm import joinedload, selectinload

from backoffice.services.integration_products import PRODUCTS
from models.products import Product
from views.api.resources import ApiResource, publish
from views.api.schemas_products import PackagingOut, ProductBulkItem, ProductIn, ProductOut


def product_out(product: Product) -> ProductOut:
    """The API view of a product."""
    group = product.group
    return ProductOut(
        **{c: getattr(product, c) for c in _COLUMNS},
        group=(group.code or group.name) if group else None,
        packaging=[PackagingOut.model_validate(p) for p in product.packaging],
    )


_COLUMNS = [f for f in ProductOut.model_fields if f not in {"group", "packaging"}]

RESOURCE = ApiResource(
    path="products",
    noun="product",
    spec=PRODUCTS,
    body=ProductIn,
    bulk_item=ProductBulkItem,
    out=ProductOut,
    to_out=product_out,
    load=lambda stmt: stmt.options(selectinload(Product.packaging), joinedload(Product.group)),
    scopes=("erp",),
    tag="products",
)
publish(RESOURCE)
