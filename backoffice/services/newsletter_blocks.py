"""The content blocks of a newsletter: what each holds, checking them, and resolving what
they read from the database (products, discount codes) into a snapshot.

Blocks (``Campaign.blocks``, in order):

* ``text`` — an announcement: ``title``, ``html`` (marketing's HTML with personalisation),
  an optional button (``button_label``, ``button_url``);
* ``products`` — ``mode`` "chosen" (``product_ids``) or "new" (added in the last ``days``),
  at most ``limit`` active products with image, net price and a link into ``SHOP_URL``;
* ``code`` — a discount code: ``mode`` "shared" (one ``code`` for all, from the register)
  or "unique" (one code per recipient from the loyalty batch ``batch_id``), with ``title``
  and ``text``.

The snapshot taken when sending starts freezes products and code details, so every
recipient of a campaign gets the same content even if the catalogue changes meanwhile.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import quote

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from backoffice.errors import ValidationFailed
from backoffice.extensions import db
from models.base import utcnow
from models.discount_codes import BatchStatus, DiscountCode, DiscountCodeBatch, DiscountKind
from models.products import Product

BLOCK_TYPES = ("text", "products", "code")
MAX_BLOCKS = 20
MAX_PRODUCTS = 12
MAX_HTML = 20_000
#: How a product's page in the shop is addressed (``SHOP_URL`` + this, overridable).
DEFAULT_PRODUCT_PATH = "/product/{sku}"


def new_block(kind: str) -> dict:
    """A block of the kind with sensible defaults (what "Add block" inserts)."""
    if kind == "text":
        return {"type": "text", "title": "", "html": "", "button_label": "", "button_url": ""}
    if kind == "products":
        return {
            "type": "products",
            "title": _("New in our shop"),
            "mode": "new",
            "product_ids": [],
            "days": 30,
            "limit": 6,
        }
    if kind == "code":
        return {
            "type": "code",
            "title": _("Your discount code"),
            "text": "",
            "mode": "shared",
            "code": "",
            "batch_id": None,
        }
    raise ValidationFailed(_("Unknown kind of block."), field="type")


def _text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _int(value, field: str, low: int, high: int, errors: dict) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[field] = [_("Enter a whole number.")]
        return None
    if not low <= number <= high:
        errors[field] = [_("Enter a number from %(low)s to %(high)s.", low=low, high=high)]
        return None
    return number


def _url(value, field: str, errors: dict, required: bool = False) -> str:
    url = _text(value, 2000)
    if not url:
        if required:
            errors[field] = [_("Enter an address.")]
        return ""
    if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
        errors[field] = [_("Enter a full address starting with https://.")]
    return url


def clean_block(raw: dict) -> dict:
    """One block checked and normalised; raises ValidationFailed naming the fields."""
    kind = raw.get("type")
    if kind not in BLOCK_TYPES:
        raise ValidationFailed(_("Unknown kind of block."), field="type")
    errors: dict[str, list[str]] = {}
    block = {"text": _clean_text, "products": _clean_products, "code": _clean_code}[kind](
        raw, errors
    )
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    return block


def _clean_text(raw: dict, errors: dict) -> dict:
    html = str(raw.get("html") or "").strip()
    if len(html) > MAX_HTML:
        errors["html"] = [_("The text is too long (at most %(n)s characters).", n=MAX_HTML)]
    label = _text(raw.get("button_label"), 80)
    url = _url(raw.get("button_url"), "button_url", errors, required=bool(label))
    if url and not label:
        errors["button_label"] = [_("Give the button a label.")]
    title = _text(raw.get("title"), 200)
    if not (html or title):
        errors["html"] = [_("Write a title or some text.")]
    return {"type": "text", "title": title, "html": html, "button_label": label, "button_url": url}


def _clean_products(raw: dict, errors: dict) -> dict:
    mode = raw.get("mode") if raw.get("mode") in ("chosen", "new") else "new"
    ids = []
    for value in raw.get("product_ids") or []:
        try:
            ids.append(int(str(value).strip()))
        except ValueError:
            ids.append(-1)
    ids = list(dict.fromkeys(ids))[:MAX_PRODUCTS]
    if mode == "chosen":
        known = (
            set(db.session.scalars(select(Product.id).where(Product.id.in_(ids)))) if ids else set()
        )
        if not ids:
            errors["product_ids"] = [_("Choose at least one product.")]
        elif known != set(ids):
            errors["product_ids"] = [_("Some of the chosen products do not exist.")]
    return {
        "type": "products",
        "title": _text(raw.get("title"), 200),
        "mode": mode,
        "product_ids": ids,
        "days": _int(raw.get("days", 30), "days", 1, 365, errors),
        "limit": _int(raw.get("limit", 6), "limit", 1, MAX_PRODUCTS, errors),
    }


def _clean_code(raw: dict, errors: dict) -> dict:
    mode = raw.get("mode") if raw.get("mode") in ("shared", "unique") else "shared"
    block = {
        "type": "code",
        "title": _text(raw.get("title"), 200),
        "text": _text(raw.get("text"), 2000),
        "mode": mode,
        "code": "",
        "batch_id": None,
    }
    if mode == "shared":
        code = _text(raw.get("code"), 40).upper()
        if not code:
            errors["code"] = [_("Enter the code everybody gets.")]
        elif db.session.scalar(select(DiscountCode.id).where(DiscountCode.code == code)) is None:
            errors["code"] = [_("There is no such code in the discount code register.")]
        block["code"] = code
        return block
    batch_id = _int(raw.get("batch_id"), "batch_id", 1, 2**31 - 1, errors)
    batch = db.session.get(DiscountCodeBatch, batch_id) if batch_id else None
    if batch_id and batch is None:
        errors["batch_id"] = [_("Choose a batch of discount codes.")]
    block["batch_id"] = batch_id
    return block


def clean_blocks(blocks: list[dict]) -> list[dict]:
    """Every block checked; errors are keyed ``blocks.<n>.<field>``; one code block at most."""
    if len(blocks) > MAX_BLOCKS:
        raise ValidationFailed(_("A newsletter has at most %(n)s blocks.", n=MAX_BLOCKS))
    out, errors = [], {}
    for index, raw in enumerate(blocks):
        try:
            out.append(clean_block(raw))
        except ValidationFailed as exc:
            for name, messages in exc.errors.items():
                errors[f"blocks.{index}.{name}"] = messages
    if sum(1 for b in out if b["type"] == "code") > 1:
        errors["blocks"] = [_("A newsletter can carry one discount code block.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    return out


def code_block(blocks: list[dict]) -> dict | None:
    """The campaign's discount code block, if any."""
    return next((b for b in blocks if b.get("type") == "code"), None)


def unique_code_batch(blocks: list[dict]) -> DiscountCodeBatch | None:
    """The loyalty batch that gives each recipient their own code (unique mode)."""
    block = code_block(blocks)
    if block is None or block.get("mode") != "unique" or not block.get("batch_id"):
        return None
    return db.session.get(DiscountCodeBatch, block["batch_id"])


def free_codes(batch: DiscountCodeBatch) -> int:
    """Codes of the batch not given to anybody yet."""
    return db.session.scalar(
        select(func.count(DiscountCode.id)).where(
            DiscountCode.batch_id == batch.id,
            DiscountCode.assigned_at.is_(None),
            DiscountCode.use_count == 0,
            DiscountCode.blocked.is_(False),
        )
    )


def check_code_batch(batch: DiscountCodeBatch, needed: int) -> None:
    """Raise ValidationFailed unless the batch can give ``needed`` more codes now."""
    if batch.status != BatchStatus.READY or not batch.active:
        raise ValidationFailed(
            _("The batch %(name)s is not ready or switched off.", name=batch.name), field="blocks"
        )
    if batch.valid_to is not None and batch.valid_to < utcnow():
        raise ValidationFailed(_("The batch %(name)s has expired.", name=batch.name))
    free = free_codes(batch)
    if free < needed:
        raise ValidationFailed(
            _(
                "The batch %(name)s has %(free)s free codes, %(needed)s are needed.",
                name=batch.name,
                free=free,
                needed=needed,
            ),
            field="blocks",
        )


# --- the snapshot ------------------------------------------------------------------------


def product_url(product: Product) -> str:
    """The product's page in the shop."""
    config = current_app.config
    path = config.get("NEWSLETTER_PRODUCT_PATH") or DEFAULT_PRODUCT_PATH
    return config["SHOP_URL"] + path.format(
        sku=quote(product.sku, safe=""),
        id=product.id,
        external_id=quote(product.external_id or product.sku, safe=""),
    )


def _products(block: dict, now: dt.datetime) -> list[dict]:
    query = select(Product).where(Product.active.is_(True))
    if block["mode"] == "chosen":
        rows = db.session.scalars(query.where(Product.id.in_(block["product_ids"] or [0]))).all()
        order = {pid: i for i, pid in enumerate(block["product_ids"])}
        rows = sorted(rows, key=lambda p: order.get(p.id, 0))
    else:
        since = now - dt.timedelta(days=block.get("days") or 30)
        rows = db.session.scalars(
            query.where(Product.created_at >= since).order_by(Product.created_at.desc())
        ).all()
    image_ok = ("https://", "http://")
    return [
        {
            "id": p.id,
            "sku": p.sku,
            "name": p.name,
            "price_net": str(p.price_net if p.price_net is not None else Decimal("0")),
            "unit": p.unit,
            "image_url": p.image_url if (p.image_url or "").startswith(image_ok) else None,
            "url": product_url(p),
        }
        for p in rows[: block.get("limit") or 6]
    ]


def _code_details(block: dict) -> dict:
    if block["mode"] == "shared":
        row = db.session.scalar(select(DiscountCode).where(DiscountCode.code == block["code"]))
        batch = row.batch if row is not None else None
    else:
        batch = db.session.get(DiscountCodeBatch, block["batch_id"]) if block["batch_id"] else None
    if batch is None:
        return {}
    return {
        "kind": batch.kind.value,
        "value": str(batch.value),
        "max_discount": str(batch.max_discount) if batch.max_discount is not None else None,
        "min_order_value": str(batch.min_order_value) if batch.min_order_value else None,
        "valid_to": batch.valid_to.isoformat() if batch.valid_to else None,
    }


def snapshot(blocks: list[dict], now: dt.datetime | None = None) -> dict:
    """The blocks with products and code details read from the database now."""
    now = now or utcnow()
    resolved = []
    for block in blocks:
        block = dict(block)
        if block["type"] == "products":
            block["items"] = _products(block, now)
        elif block["type"] == "code":
            block["details"] = _code_details(block)
        resolved.append(block)
    return {"blocks": resolved, "taken_at": now.isoformat()}


def describe_discount(details: dict) -> str:
    """ "10%" or "50,00 zł" for a code's details (empty when unknown)."""
    from backoffice.i18n import format_money, format_number

    if not details:
        return ""
    if details.get("kind") == DiscountKind.PERCENT.value:
        return f"{format_number(Decimal(details['value']))}%"
    return format_money(Decimal(details["value"]))
