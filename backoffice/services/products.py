"""Products (asortyment), the product group tree and packaging units.

The rules the console, the import and other modules share: SKU uniqueness, VAT rates,
a group tree without cycles, activation, and the numbers shown on the dashboard.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from backoffice.actors import Actor
from backoffice.errors import Conflict, ValidationFailed
from backoffice.extensions import db
from backoffice.services.audit import record
from models.products import PackagingUnit, Product, ProductGroup

VAT_RATES = (Decimal("23"), Decimal("8"), Decimal("5"), Decimal("0"))


# --- products ------------------------------------------------------------------------------


def sku_owner(sku: str, exclude_id: int | None = None) -> Product | None:
    """The product already using ``sku`` (other than ``exclude_id``), if any."""
    query = select(Product).where(Product.sku == (sku or "").strip())
    if exclude_id is not None:
        query = query.where(Product.id != exclude_id)
    return db.session.scalar(query.limit(1))


def check_product(product: Product) -> None:
    """Final guard before saving a product edited anywhere; raises ValidationFailed."""
    # No autoflush: the object being checked must not be written before it is checked.
    with db.session.no_autoflush:
        _check_product(product)


def _check_product(product: Product) -> None:
    errors: dict[str, list[str]] = {}
    if product.sku and sku_owner(product.sku, product.id):
        errors["sku"] = [_("A product with SKU %(sku)s already exists.", sku=product.sku)]
    if product.vat_rate is not None and Decimal(product.vat_rate) not in VAT_RATES:
        errors["vat_rate"] = [_("VAT rate must be 23, 8, 5 or 0%.")]
    for name in ("price_net", "purchase_price"):
        value = getattr(product, name)
        if value is not None and value < 0:
            errors[name] = [_("A price cannot be negative.")]
    names = [p.name.strip().casefold() for p in product.packaging if p.name]
    if len(names) != len(set(names)):
        errors["packaging"] = [_("Each packaging unit needs a different name.")]
    if any(p.quantity is None or p.quantity <= 0 for p in product.packaging):
        errors["packaging"] = [_("Packaging quantity must be greater than 0.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)


def set_active(actor: Actor, products: Iterable[Product], active: bool) -> int:
    """Activate or deactivate products (inactive ones are hidden from new offers)."""
    changed = 0
    for product in products:
        if product.active != active:
            product.active = active
            record(actor, f"product.{'activate' if active else 'deactivate'}", product)
            changed += 1
    return changed


def count_products() -> int:
    """Active products."""
    return db.session.scalar(select(func.count(Product.id)).where(Product.active.is_(True)))


def incomplete_products_filter():
    """SQL condition: no EAN, or no (or zero) net price."""
    return or_(
        Product.ean.is_(None),
        Product.ean == "",
        Product.price_net.is_(None),
        Product.price_net == 0,
    )


def count_incomplete_products() -> int:
    """Active products without an EAN or a price."""
    return db.session.scalar(
        select(func.count(Product.id)).where(Product.active.is_(True), incomplete_products_filter())
    )


def packaging_summary(product: Product) -> str:
    """ "karton 12, paleta 480" for lists and exports."""
    return ", ".join(f"{p.name} {p.quantity.normalize():f}" for p in product.packaging)


# --- product group tree ---------------------------------------------------------------------


def creates_cycle(group: ProductGroup, parent: ProductGroup | None) -> bool:
    """True when putting ``group`` under ``parent`` would make a loop in the tree."""
    node, seen = parent, set()
    while node is not None and id(node) not in seen:
        if node is group or (group.id is not None and node.id == group.id):
            return True
        seen.add(id(node))
        node = node.parent
    return node is not None  # a loop already present above: refuse as well


def check_group(group: ProductGroup) -> None:
    """Refuse a cycle or a duplicate name among siblings; raises ValidationFailed."""
    # No autoflush: the object being checked must not be written before it is checked.
    with db.session.no_autoflush:
        _check_group(group)


def _check_group(group: ProductGroup) -> None:
    if creates_cycle(group, group.parent):
        raise ValidationFailed(
            _("A group cannot be placed under itself or under one of its subgroups."),
            field="parent",
        )
    name = (group.name or "").strip()
    if "/" in name or ">" in name:
        raise ValidationFailed(
            _("A group name cannot contain / or > (they separate levels in imports)."),
            field="name",
        )
    query = select(ProductGroup.id).where(
        func.lower(ProductGroup.name) == name.lower(),
        ProductGroup.parent_id.is_(None)
        if group.parent is None
        else ProductGroup.parent_id == group.parent.id,
    )
    if group.id is not None:
        query = query.where(ProductGroup.id != group.id)
    if db.session.scalar(query.limit(1)):
        raise ValidationFailed(
            _("The group %(name)s already exists at this place in the tree.", name=name),
            field="name",
        )


def delete_group(actor: Actor, group: ProductGroup) -> None:
    """Delete an empty group; refuse while it has subgroups or products (Conflict)."""
    children = db.session.scalar(
        select(func.count(ProductGroup.id)).where(ProductGroup.parent_id == group.id)
    )
    products = db.session.scalar(select(func.count(Product.id)).where(Product.group_id == group.id))
    if children or products:
        raise Conflict(
            _(
                "The group %(name)s still has %(groups)d subgroups and %(products)d products; "
                "move them first.",
                name=group.path,
                groups=children,
                products=products,
            )
        )
    record(actor, "product_group.delete", group, summary=group.path)
    db.session.delete(group)


def group_paths() -> dict[tuple[str, ...], int]:
    """Every group's path (names from the root, case-folded) → id, in one query."""
    rows = db.session.execute(
        select(ProductGroup.id, ProductGroup.name, ProductGroup.parent_id)
    ).all()
    by_id = {r.id: r for r in rows}
    paths: dict[tuple[str, ...], int] = {}
    for row in rows:
        names, node, seen = [], row, set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            names.append(node.name.strip().casefold())
            node = by_id.get(node.parent_id)
        paths[tuple(reversed(names))] = row.id
    return paths


def ensure_group_path(path: tuple[str, ...], known: dict[tuple[str, ...], int]) -> int:
    """The id of the group at ``path``, creating missing levels; ``known`` is updated."""
    parent_id = None
    for depth in range(1, len(path) + 1):
        key = tuple(p.casefold() for p in path[:depth])
        if key not in known:
            group = ProductGroup(name=path[depth - 1], parent_id=parent_id)
            db.session.add(group)
            db.session.flush()
            known[key] = group.id
        parent_id = known[key]
    return parent_id


def replace_packaging(product_ids_units: dict[int, list[tuple[str, Decimal]]]) -> None:
    """Bulk: each listed product gets exactly the given packaging units."""
    from sqlalchemy import delete, insert

    ids = list(product_ids_units)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        db.session.execute(delete(PackagingUnit).where(PackagingUnit.product_id.in_(chunk)))
    rows = [
        {"product_id": pid, "name": name, "quantity": qty}
        for pid, units in product_ids_units.items()
        for name, qty in units
    ]
    if rows:
        db.session.execute(insert(PackagingUnit.__table__), rows)
