"""Products and their packaging units as the ERP pushes them (``PUT /api/v1/products``)."""

from __future__ import annotations

from backoffice.services.integration_groups import group_ids
from backoffice.services.upsert_children import Children
from backoffice.services.upserts import Errors, Item, UpsertSpec
from models.products import PackagingUnit, Product, ProductGroup


def _resolve_groups(items: list[Item], errors: Errors) -> None:
    """``group`` (a code or name) → ``group_id``; unknown groups are created."""
    names = {it.values["group"] for it in items if it.values.get("group")}
    ids = group_ids(ProductGroup, names, create_column="code")
    for item in items:
        if "group" in item.values:
            name = item.values.pop("group")
            item.values["group_id"] = ids[name.lower()] if name else None


PRODUCTS = UpsertSpec(
    name="product",
    model=Product,
    children=(Children("packaging", PackagingUnit, "product_id", key="name"),),
    unique=("sku",),
    adopt="sku",
    prepare=_resolve_groups,
    labels={"sku": "SKU"},
)
