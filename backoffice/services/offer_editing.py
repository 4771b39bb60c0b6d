"""Building offers: create a draft, save the editor's content, price it, duplicate, copy.

Only a draft offer (its current, unsent version) can be changed; a sent version is frozen
and changing it means revising the offer (``services.offers.revise_offer``), which copies
the content into the next version with ``copy_content``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from backoffice.extensions import db
from backoffice.services import offer_pricing as pricing
from backoffice.services.audit import diff, record
from backoffice.services.offer_drafts import DraftInput, LineDraft, parse_draft
from backoffice.services.offer_numbers import WARSAW, allocate_number
from models.base import utcnow
from models.customers import Contact, Customer
from models.offer_catalog import OfferConditionTemplate
from models.offer_lines import OfferCondition, OfferLine, OfferServiceLine
from models.offers import Offer, OfferRecipient, OfferStatus, OfferVersion, PricingMode
from models.products import PackagingUnit, Product
from models.users import User


def today() -> dt.date:
    """Today in Warsaw."""
    return utcnow().astimezone(WARSAW).date()


def lock_offer(offer_id: int) -> Offer:
    """Reload the offer with a row lock (PostgreSQL) so status changes queue up."""
    offer = db.session.get(Offer, offer_id, with_for_update=True, populate_existing=True)
    if offer is None:
        raise NotFound(_("The offer does not exist."))
    return offer


def ensure_editable(offer: Offer) -> None:
    if offer.status != OfferStatus.DRAFT:
        raise InvalidTransition(
            _(
                "Offer %(number)s has been sent and cannot be changed; "
                "revise it to create a new version.",
                number=offer.number,
            )
        )


def create_offer(
    actor: Actor,
    rep: User,
    *,
    customers: list[Customer] = (),
    title: str | None = None,
    valid_until: dt.date | None = None,
    currency: str = "PLN",
) -> Offer:
    """A new draft offer with the next number, version 1 and the preselected conditions."""
    year, seq, number = allocate_number()
    days = int(current_app.config.get("OFFER_VALIDITY_DAYS", 30))
    offer = Offer(
        number=number,
        year=year,
        sequence=seq,
        title=title,
        rep=rep,
        currency=currency,
        valid_until=valid_until or today() + dt.timedelta(days=days),
        status=OfferStatus.DRAFT,
    )
    version = OfferVersion(number=1, revision=1, created_by=actor.label, intro=_default_intro())
    templates = db.session.scalars(
        select(OfferConditionTemplate)
        .where(
            OfferConditionTemplate.active.is_(True), OfferConditionTemplate.preselected.is_(True)
        )
        .order_by(OfferConditionTemplate.position, OfferConditionTemplate.title)
    ).all()
    version.conditions = [
        OfferCondition(position=i, template_id=t.id, title=t.title, body=t.default_text)
        for i, t in enumerate(templates, start=1)
    ]
    offer.versions.append(version)
    for i, customer in enumerate(customers, start=1):
        offer.recipients.append(OfferRecipient(customer=customer, position=i))
    db.session.add(offer)
    db.session.flush()
    record(actor, "offer.create", offer, summary=number)
    return offer


def _default_intro() -> str:
    return _("Thank you for your interest. We are pleased to present our offer.")


def save_draft(actor: Actor, offer: Offer, payload: dict) -> list[str]:
    """Replace the draft's content with the editor's payload; returns notices for the rep.

    Raises ValidationFailed (field errors), InvalidTransition (not a draft) or Conflict (the
    draft was saved by someone else since the editor loaded it).
    """
    draft = parse_draft(payload)
    offer = lock_offer(offer.id)
    ensure_editable(offer)
    version = offer.current_version
    if draft.revision is not None and draft.revision != version.revision:
        raise Conflict(
            _("Someone saved this offer in the meantime. Reload the page to see their changes.")
        )
    lines, services, conditions = build_content(draft)
    customers = _check_recipients(draft)
    offer.title, offer.valid_until, offer.currency = draft.title, draft.valid_until, draft.currency
    offer.internal_notes = draft.internal_notes
    version.intro, version.pricing_mode = draft.intro, draft.pricing_mode
    version.final_total_net = draft.final_total_net
    header_changes = diff(offer, ["title", "valid_until", "currency", "internal_notes"])
    version.lines, version.services, version.conditions = lines, services, conditions
    _sync_recipients(offer, draft, customers)
    totals = reprice(version)
    version.revision += 1
    record(
        actor,
        "offer.update",
        offer,
        summary=_(
            "Version %(v)d saved: %(n)d line(s), net %(net)s.",
            v=version.number,
            n=len(lines),
            net=totals.net,
        ),
        changes=header_changes or None,
    )
    return rounding_notices(lines, totals)


def preview_draft(
    offer: Offer, payload: dict
) -> tuple[list[OfferLine], list[OfferServiceLine], pricing.OfferTotals, list[str]]:
    """Price the editor's payload without saving anything (the editor's live totals)."""
    draft = parse_draft(payload)
    lines, services, _conditions = build_content(draft)
    totals = price_lines(lines, services, draft.pricing_mode, draft.final_total_net)
    return lines, services, totals, rounding_notices(lines, totals)


def build_content(draft: DraftInput):
    """Lines, services and conditions (not yet in the session) from a parsed draft."""
    errors: dict[str, list[str]] = {}
    ids = {ln.product_id for ln in draft.lines if ln.product_id}
    products = (
        {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids))).all()}
        if ids
        else {}
    )
    lines = [_build_line(i, ln, products, errors) for i, ln in enumerate(draft.lines, start=1)]
    services = [
        OfferServiceLine(
            position=i,
            extra_service_id=s.extra_service_id,
            name=s.name,
            unit=s.unit or "usł.",
            quantity=s.quantity,
            unit_price=s.unit_price,
            vat_rate=s.vat_rate,
        )
        for i, s in enumerate(draft.services, start=1)
    ]
    conditions = [
        OfferCondition(position=i, template_id=c.template_id, title=c.title, body=c.body)
        for i, c in enumerate(draft.conditions, start=1)
    ]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    return lines, services, conditions


def _build_line(position: int, ln: LineDraft, products: dict, errors: dict) -> OfferLine:
    path = f"lines.{position - 1}"
    product = products.get(ln.product_id) if ln.product_id else None
    if ln.product_id and product is None:
        errors.setdefault(f"{path}.product_id", []).append(_("The product does not exist."))
    package = None
    if ln.packaging_unit_id:
        package = db.session.get(PackagingUnit, ln.packaging_unit_id)
        if package is None or product is None or package.product_id != product.id:
            errors.setdefault(f"{path}.packaging_unit_id", []).append(
                _("Choose a packaging of this product.")
            )
            package = None
    price = ln.unit_price
    if price is None:
        if product is None:
            errors.setdefault(f"{path}.unit_price", []).append(_("Enter the price."))
        price = product.price_net if product else Decimal("0")
    vat = ln.vat_rate if ln.vat_rate is not None else (product.vat_rate if product else None)
    if vat is None:
        errors.setdefault(f"{path}.vat_rate", []).append(_("Enter the VAT rate."))
    return OfferLine(
        position=position,
        product_id=product.id if product else None,
        sku=(product.sku if product else ln.sku),
        name=ln.name or (product.name if product else ""),
        unit=ln.unit or (product.unit if product else "szt."),
        packaging_unit_id=package.id if package else None,
        packaging_name=package.name if package else None,
        package_quantity=package.quantity if package else None,
        quantity=ln.quantity,
        list_price=product.price_net if product else None,
        unit_price=price,
        discount_pct=ln.discount_pct,
        vat_rate=vat if vat is not None else Decimal("23"),
        optional=ln.optional,
        purchase_price=product.purchase_price if product else None,
    )


def compute_totals(lines, services, mode: PricingMode, final_total: Decimal | None):
    """Price line and service objects without changing them."""
    inputs = [
        pricing.LineInput(
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            vat_rate=ln.vat_rate,
            discount_pct=ln.discount_pct or Decimal("0"),
            optional=ln.optional,
            package_quantity=ln.package_quantity,
            purchase_price=ln.purchase_price,
        )
        for ln in lines
    ]
    service_inputs = [pricing.ServiceInput(s.quantity, s.unit_price, s.vat_rate) for s in services]
    target = final_total if mode == PricingMode.FINAL_TOTAL else None
    try:
        return pricing.price_offer(inputs, service_inputs, target)
    except pricing.PricingError as exc:
        raise ValidationFailed(
            _("A final total can only be spread over lines with a price; enter unit prices first."),
            field="final_total_net",
        ) from exc


def version_totals(version: OfferVersion) -> pricing.OfferTotals:
    """A version's totals and margins (read-only)."""
    return compute_totals(
        version.lines, version.services, version.pricing_mode, version.final_total_net
    )


def price_lines(lines, services, mode: PricingMode, final_total: Decimal | None):
    """Run the pricing rules and write the amounts onto the line and service objects."""
    totals = compute_totals(lines, services, mode, final_total)
    for ln, priced in zip(lines, totals.lines, strict=True):
        ln.quantity, ln.final_unit_price, ln.net_amount = (
            priced.quantity,
            priced.final_unit_price,
            priced.net,
        )
    for s, net in zip(services, totals.services, strict=True):
        s.net_amount = net
    return totals


def reprice(version: OfferVersion) -> pricing.OfferTotals:
    """Recompute the version's amounts and totals (and the offer's list totals)."""
    totals = price_lines(
        version.lines, version.services, version.pricing_mode, version.final_total_net
    )
    version.total_net, version.total_vat, version.total_gross = totals.net, totals.vat, totals.gross
    offer = version.offer
    if offer is not None and offer.current_version_no == version.number:
        offer.total_net, offer.total_gross = totals.net, totals.gross
    return totals


def rounding_notices(lines, totals: pricing.OfferTotals) -> list[str]:
    """ "Line 2: quantity rounded up from 10 to 12 (karton of 12)." for each rounded line."""
    out = []
    for index, entered, rounded in totals.notices:
        line = lines[index]
        out.append(
            _(
                "Line %(no)d (%(name)s): quantity rounded up from %(entered)s to %(rounded)s "
                "to make whole packages (%(package)s of %(size)s).",
                no=index + 1,
                name=line.name,
                entered=_plain(entered),
                rounded=_plain(rounded),
                package=line.packaging_name,
                size=_plain(line.package_quantity),
            )
        )
    return out


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text).replace(".", ",")


def _check_recipients(draft: DraftInput) -> dict[int, Customer]:
    ids = [r.customer_id for r in draft.recipients]
    customers = (
        {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(ids))).all()}
        if ids
        else {}
    )
    errors: dict[str, list[str]] = {}
    for i, r in enumerate(draft.recipients):
        customer = customers.get(r.customer_id)
        if customer is None:
            errors.setdefault(f"recipients.{i}", []).append(_("The customer does not exist."))
        elif r.contact_ids:
            owned = set(
                db.session.scalars(
                    select(Contact.id).where(
                        Contact.customer_id == customer.id, Contact.id.in_(r.contact_ids)
                    )
                )
            )
            if owned != set(r.contact_ids):
                errors.setdefault(f"recipients.{i}", []).append(
                    _("Choose contacts of this customer.")
                )
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors=errors)
    return customers


def _sync_recipients(offer: Offer, draft: DraftInput, customers: dict[int, Customer]) -> None:
    """Add new customers, reinstate or withdraw existing ones; never lose an answer given."""
    wanted = {r.customer_id: r for r in draft.recipients}
    existing = {r.customer_id: r for r in offer.recipients}
    for position, (customer_id, wish) in enumerate(wanted.items(), start=1):
        recipient = existing.get(customer_id)
        if recipient is None:
            recipient = OfferRecipient(customer=customers[customer_id])
            offer.recipients.append(recipient)
        elif recipient.status == OfferStatus.CANCELLED:
            recipient.status = OfferStatus.DRAFT
        recipient.position, recipient.contact_ids = position, wish.contact_ids
    for customer_id, recipient in existing.items():
        if customer_id in wanted:
            continue
        if recipient.sent_at is None:
            # Never received anything: forget it, with the drafts rendered for it.
            for version in offer.versions:
                for document in [d for d in version.documents if d.recipient_id == recipient.id]:
                    version.documents.remove(document)
            offer.recipients.remove(recipient)
        else:
            recipient.status = OfferStatus.CANCELLED  # keeps what it received before


def copy_content(source: OfferVersion, target: OfferVersion) -> None:
    """Copy lines, services, conditions and pricing of one version into another."""
    target.pricing_mode, target.final_total_net = source.pricing_mode, source.final_total_net
    target.intro = source.intro
    line_fields = [c.key for c in OfferLine.__table__.columns if c.key not in {"id", "version_id"}]
    target.lines = [OfferLine(**{f: getattr(ln, f) for f in line_fields}) for ln in source.lines]
    service_fields = [
        c.key for c in OfferServiceLine.__table__.columns if c.key not in {"id", "version_id"}
    ]
    target.services = [
        OfferServiceLine(**{f: getattr(s, f) for f in service_fields}) for s in source.services
    ]
    target.conditions = [
        OfferCondition(position=c.position, template_id=c.template_id, title=c.title, body=c.body)
        for c in source.conditions
    ]
    target.total_net, target.total_vat = source.total_net, source.total_vat
    target.total_gross = source.total_gross


def duplicate_offer(actor: Actor, source: Offer, rep: User) -> Offer:
    """A new draft offer (new number) with the source's current content and customers."""
    offer = create_offer(
        actor,
        rep,
        customers=[r.customer for r in source.active_recipients],
        title=source.title,
        currency=source.currency,
    )
    offer.duplicated_from = source
    offer.internal_notes = source.internal_notes
    copy_content(source.current_version, offer.current_version)
    for new, old in zip(offer.recipients, source.active_recipients, strict=True):
        new.contact_ids = old.contact_ids
    reprice(offer.current_version)
    db.session.flush()
    record(actor, "offer.duplicate", offer, summary=_("Copy of %(number)s", number=source.number))
    record(actor, "offer.duplicated", source, summary=offer.number)
    return offer
