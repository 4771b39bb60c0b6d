"""The rep's offer editor: one page (keyboard friendly, static/offers/editor.js) that saves
the whole draft as JSON, live totals priced by the same service code, and the AJAX product
and customer searches it uses."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.services import offer_editing
from backoffice.services.offer_drafts import CURRENCIES
from models.customers import Customer
from models.offer_catalog import ExtraService, OfferConditionTemplate
from models.offers import Offer
from models.products import Product
from models.users import User

SEARCH_LIMIT = 20


def _s(value) -> str | None:
    """Decimals as plain strings for JSON (no float rounding)."""
    return None if value is None else format(value, "f")


def product_json(p: Product) -> dict:
    return {
        "id": p.id,
        "sku": p.sku,
        "ean": p.ean,
        "name": p.name,
        "unit": p.unit,
        "price_net": _s(p.price_net),
        "purchase_price": _s(p.purchase_price),
        "vat_rate": _s(p.vat_rate),
        "active": p.active,
        "packaging": [
            {"id": u.id, "name": u.name, "quantity": _s(u.quantity)} for u in p.packaging
        ],
    }


def customer_json(c: Customer) -> dict:
    address = c.address("billing")
    return {
        "id": c.id,
        "name": c.name,
        "nip": c.nip,
        "city": address.city if address else None,
        "contacts": [
            {"id": k.id, "name": k.name, "email": k.email, "receives_offers": k.receives_offers}
            for k in c.contacts
        ],
    }


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


def editor_data(offer: Offer) -> dict:
    """Everything the editor page starts from."""
    version = offer.current_version
    lines = [
        {
            "product_id": ln.product_id,
            "sku": ln.sku,
            "name": ln.name,
            "unit": ln.unit,
            "packaging_unit_id": ln.packaging_unit_id,
            "packaging": product_json(ln.product)["packaging"] if ln.product else [],
            "quantity": _s(ln.quantity),
            "list_price": _s(ln.list_price),
            "unit_price": _s(ln.unit_price),
            "discount_pct": _s(ln.discount_pct),
            "vat_rate": _s(ln.vat_rate),
            "optional": ln.optional,
            "purchase_price": _s(ln.purchase_price),
        }
        for ln in version.lines
    ]
    return {
        "id": offer.id,
        "number": offer.number,
        "revision": version.revision,
        "title": offer.title or "",
        "valid_until": offer.valid_until.isoformat(),
        "currency": offer.currency,
        "internal_notes": offer.internal_notes or "",
        "intro": version.intro or "",
        "pricing_mode": version.pricing_mode.value,
        "final_total_net": _s(version.final_total_net),
        "recipients": [
            {**customer_json(r.customer), "contact_ids": r.contact_ids}
            for r in offer.active_recipients
        ],
        "lines": lines,
        "services": [
            {
                "extra_service_id": s.extra_service_id,
                "name": s.name,
                "unit": s.unit,
                "quantity": _s(s.quantity),
                "unit_price": _s(s.unit_price),
                "vat_rate": _s(s.vat_rate),
            }
            for s in version.services
        ],
        "conditions": [
            {"template_id": c.template_id, "title": c.title, "body": c.body}
            for c in version.conditions
        ],
        "currencies": list(CURRENCIES),
    }


def priced_json(lines, services, totals, notices) -> dict:
    """The live totals as the editor shows them."""
    return {
        "lines": [
            {
                "quantity": _s(p.quantity),
                "rounded_from": _s(p.rounded_from),
                "final_unit_price": _s(p.final_unit_price),
                "net": _s(p.net),
                "margin": _s(p.margin),
            }
            for p in totals.lines
        ],
        "services": [_s(n) for n in totals.services],
        "by_rate": [
            {"rate": _s(r.rate), "net": _s(r.net), "vat": _s(r.vat), "gross": _s(r.gross)}
            for r in totals.by_rate
        ],
        "net": _s(totals.net),
        "vat": _s(totals.vat),
        "gross": _s(totals.gross),
        "optional_net": _s(totals.optional_net),
        "margin": _s(totals.margin),
        "margin_pct": _s(totals.margin_pct),
        "margin_complete": totals.margin_complete,
        "notices": notices,
    }


def _error_json(exc: DomainError):
    db.session.rollback()
    return jsonify({"message": exc.message, "errors": exc.errors}), exc.status_code


class OfferEditorMixin:
    """Create, edit and price drafts (mixed into OfferAdmin, which supplies ``get_one``)."""

    def _offer_or_404(self, offer_id) -> Offer:
        offer = self.get_one(str(offer_id)) if str(offer_id or "").isdigit() else None
        if offer is None:
            abort(404)
        return offer

    def new_offer_view(self):
        """GET: a confirmation page; POST: a new draft with the next number, then the editor."""
        if request.method == "POST":
            rep = db.session.get(User, current_user.id)
            offer = offer_editing.create_offer(
                current_actor(), rep, title=(request.form.get("title") or "").strip()[:300] or None
            )
            db.session.commit()
            return redirect(url_for(".editor_view", id=offer.id))
        return self.render("admin/offers/create.html")

    @expose("/editor/<int:id>/")
    def editor_view(self, id: int):
        offer = self._offer_or_404(id)
        if not offer.is_editable:
            flash(_("This offer has been sent; start a new version to change it."), "warning")
            return redirect(url_for(".details_view", id=offer.id))
        catalog = {
            "extra_services": [
                {
                    "id": s.id,
                    "name": s.name,
                    "unit": s.unit,
                    "price": _s(s.default_price),
                    "vat_rate": _s(s.vat_rate),
                }
                for s in db.session.scalars(
                    select(ExtraService)
                    .where(ExtraService.active.is_(True))
                    .order_by(ExtraService.position, ExtraService.name)
                )
            ],
            "condition_templates": [
                {"id": t.id, "title": t.title, "body": t.default_text}
                for t in db.session.scalars(
                    select(OfferConditionTemplate)
                    .where(OfferConditionTemplate.active.is_(True))
                    .order_by(OfferConditionTemplate.position, OfferConditionTemplate.title)
                )
            ],
        }
        return self.render(
            "admin/offers/editor.html", offer=offer, data=editor_data(offer), catalog=catalog
        )

    @expose("/editor/<int:id>/save", methods=("POST",))
    def save_view(self, id: int):
        offer = self._offer_or_404(id)
        try:
            payload = request.get_json(silent=True) or {}
            notices = offer_editing.save_draft(current_actor(), offer, payload)
            version = offer.current_version
            totals = offer_editing.version_totals(version)
            body = priced_json(version.lines, version.services, totals, notices)
            revision = version.revision
            db.session.commit()
        except DomainError as exc:
            return _error_json(exc)
        return jsonify(
            {
                "ok": True,
                "revision": revision,
                "message": _("Offer %(number)s saved.", number=offer.number),
                **body,
            }
        )

    @expose("/editor/<int:id>/preview", methods=("POST",))
    def preview_view(self, id: int):
        self._offer_or_404(id)
        try:
            lines, services, totals, notices = offer_editing.preview_draft(
                None, request.get_json(silent=True) or {}
            )
        except DomainError as exc:
            return _error_json(exc)
        finally:
            db.session.rollback()
        return jsonify(priced_json(lines, services, totals, notices))

    @expose("/products.json")
    def products_view(self):
        """Products by SKU, EAN or name (active first); what the editor's search shows."""
        term = (request.args.get("q") or "").strip()
        if len(term) < 2:
            return jsonify([])
        like = _like(term)
        rows = db.session.scalars(
            select(Product)
            .where(
                or_(
                    Product.sku.ilike(like, escape="\\"),
                    Product.ean.ilike(term + "%"),
                    Product.name.ilike(like, escape="\\"),
                )
            )
            .order_by(Product.active.desc(), (Product.sku == term).desc(), Product.name)
            .limit(SEARCH_LIMIT)
        ).all()
        return jsonify([product_json(p) for p in rows])

    @expose("/customers.json")
    def customers_view(self):
        """Active customers by name, NIP or ERP id."""
        term = (request.args.get("q") or "").strip()
        if len(term) < 2:
            return jsonify([])
        like = _like(term)
        rows = db.session.scalars(
            select(Customer)
            .where(
                Customer.active.is_(True),
                or_(
                    Customer.name.ilike(like, escape="\\"),
                    Customer.nip.ilike(term.replace("-", "").replace(" ", "") + "%"),
                    Customer.external_id.ilike(like, escape="\\"),
                ),
            )
            .order_by(Customer.name)
            .limit(SEARCH_LIMIT)
        ).all()
        return jsonify([customer_json(c) for c in rows])
