"""Offer documents: which need rendering, what they show, rendering and storing them.

Every version has a PDF and an XLSX per recipient. ``request_documents`` marks the ones that
are not current (never rendered, or rendered from an older revision of a draft) as pending
and defers one job per document on the ``documents`` queue. A document that is current for
a sent version is never rendered again: what the customer received stays what we keep.
Files live under ``STORAGE_DIR/offers/<year>/<offer id>/`` with their SHA-256.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import unicodedata
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from backoffice.extensions import db
from backoffice.queue import defer
from backoffice.services import offer_pricing as pricing
from backoffice.services.offer_editing import today
from models.base import utcnow
from models.customers import Contact
from models.offer_documents import DocumentKind, DocumentStatus, OfferDocument
from models.offer_lines import OfferLine
from models.offers import Offer, OfferRecipient, OfferVersion
from reports.amount_in_words import amount_in_words
from reports.gc_pause import gc_paused
from reports.offer_view import LineRow, OfferView, Party, ServiceRow, VatLine


def request_documents(version: OfferVersion, kinds=tuple(DocumentKind)) -> list[OfferDocument]:
    """Make sure every recipient's documents of the version are current or being rendered."""
    existing = {(d.recipient_id, d.kind): d for d in version.documents}
    wanted = []
    for recipient in version.offer.active_recipients:
        for kind in kinds:
            doc = existing.get((recipient.id, kind))
            if doc is None:
                doc = OfferDocument(recipient_id=recipient.id, kind=DocumentKind(kind))
                version.documents.append(doc)
            wanted.append(doc)
    db.session.flush()
    for doc in wanted:
        if doc.is_current:
            continue
        doc.status, doc.requested_at, doc.error = DocumentStatus.PENDING, utcnow(), None
        defer(
            "tasks.offers.render_offer_document",
            doc.id,
            queue="documents",
            key=f"offer-doc-{doc.id}",
            timeout=900,
            description=f"{version.offer.number} v{version.number} {doc.kind.value}",
        )
    return wanted


def load_for_rendering(document_id: int) -> OfferDocument | None:
    """The document with its version, offer, rep, recipient and customer in one query."""
    return db.session.get(
        OfferDocument,
        document_id,
        options=[
            joinedload(OfferDocument.version).joinedload(OfferVersion.offer).joinedload(Offer.rep),
            joinedload(OfferDocument.recipient).joinedload(OfferRecipient.customer),
        ],
    )


# --- what the document shows ---------------------------------------------------------------


def _company_party() -> Party:
    from backoffice.services.company import get_profile

    profile = get_profile()
    address = [profile.street or "", " ".join(p for p in (profile.postal_code, profile.city) if p)]
    bank = " ".join(p for p in (profile.bank_name, _iban(profile.bank_account)) if p) or None
    return Party(
        name=profile.name,
        address_lines=[a for a in address if a.strip()],
        nip=profile.nip,
        email=profile.email,
        phone=profile.phone,
        website=profile.website,
        bank=bank,
        logo_path=_logo(profile.logo_path),
    )


def _iban(account: str | None) -> str | None:
    if not account:
        return None
    return " ".join(account[i : i + 4] for i in range(0, len(account), 4))


def _logo(relative: str | None) -> str | None:
    if not relative:
        return None
    root = Path(current_app.config["STORAGE_DIR"]).resolve()
    path = (root / relative).resolve()
    return str(path) if root in path.parents and path.is_file() else None


def _buyer_party(recipient: OfferRecipient) -> Party:
    customer = recipient.customer
    address = customer.address("billing") or (customer.addresses[0] if customer.addresses else None)
    lines = [address.street, f"{address.postal_code} {address.city}"] if address else []
    contacts = [c for c in customer.contacts if c.id in (recipient.contact_ids or [])]
    if not recipient.contact_ids:
        contacts = [c for c in customer.contacts if c.receives_offers]
    return Party(
        name=customer.name,
        address_lines=lines,
        nip=customer.nip,
        email=customer.email,
        phone=customer.phone,
        logo_path=_logo(customer.logo_path),
        contacts=[_contact_text(c) for c in contacts],
    )


def _contact_text(contact: Contact) -> str:
    parts = [contact.name, contact.position, contact.email, contact.phone]
    return ", ".join(p for p in parts if p)


def build_view(version: OfferVersion, recipient: OfferRecipient) -> OfferView:
    """The data of one recipient's document of a version."""
    offer: Offer = version.offer
    locale = recipient.customer.locale if recipient.customer.locale in ("pl", "en") else "pl"
    # Plain rows, not ORM objects: a 1,000-line offer is read in a few milliseconds.
    line_data = db.session.execute(
        select(
            OfferLine.sku,
            OfferLine.name,
            OfferLine.packaging_name,
            OfferLine.package_quantity,
            OfferLine.quantity,
            OfferLine.unit,
            OfferLine.unit_price,
            OfferLine.discount_pct,
            OfferLine.final_unit_price,
            OfferLine.net_amount,
            OfferLine.vat_rate,
            OfferLine.optional,
        )
        .where(OfferLine.version_id == version.id)
        .order_by(OfferLine.position, OfferLine.id)
    ).all()
    lines = [
        LineRow(
            i,
            sku,
            name,
            f"{packaging} ({_plain(per_package)} {unit})" if packaging else None,
            quantity,
            unit,
            unit_price,
            discount or 0,
            final_price,
            net,
            vat_rate,
            optional,
        )
        for i, (sku, name, packaging, per_package, quantity, unit, unit_price, discount,
                final_price, net, vat_rate, optional) in enumerate(line_data, start=1)
    ]  # fmt: skip
    services = [
        ServiceRow(i, s.name, s.quantity, s.unit, s.unit_price, s.net_amount, s.vat_rate)
        for i, s in enumerate(version.services, start=1)
    ]
    summed = [(ln.vat_rate, ln.net) for ln in lines if not ln.optional]
    rows = pricing.vat_rows(summed + [(s.vat_rate, s.net_amount) for s in version.services])
    gross = sum((r.gross for r in rows), Decimal("0.00"))
    rep = offer.rep
    return OfferView(
        number=offer.number,
        version=version.number,
        title=offer.title,
        issued_on=(version.sent_at.date() if version.sent_at else today()),
        valid_until=offer.valid_until,
        currency=offer.currency,
        locale=locale,
        seller=_company_party(),
        buyer=_buyer_party(recipient),
        rep_name=rep.name,
        rep_email=rep.email,
        rep_phone=rep.phone,
        intro=version.intro,
        lines=lines,
        services=services,
        vat_lines=[VatLine(r.rate, r.net, r.vat, r.gross) for r in rows],
        total_net=sum((r.net for r in rows), Decimal("0.00")),
        total_vat=sum((r.vat for r in rows), Decimal("0.00")),
        total_gross=gross,
        optional_net=sum((ln.net for ln in lines if ln.optional), Decimal("0.00")),
        amount_in_words=amount_in_words(gross, offer.currency) if locale == "pl" else None,
        conditions=[(c.title, c.body) for c in version.conditions],
        final_total_mode=version.pricing_mode.value == "final_total",
    )


def _plain(value) -> str:
    text = format(value, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text).replace(".", ",")


# --- rendering and storing -----------------------------------------------------------------


def render_bytes(view: OfferView, kind: DocumentKind) -> bytes:
    """The document's bytes, in the document's language."""
    from reports.offer_pdf import render_offer_pdf
    from reports.offer_xlsx import render_offer_xlsx

    with force_locale(view.locale):
        if kind == DocumentKind.PDF:
            return render_offer_pdf(view)
        return render_offer_xlsx(view)


def document_filename(offer: Offer, version: OfferVersion, recipient: OfferRecipient, kind) -> str:
    """E.g. Oferta_OF-2026-00042_v2_Hurtownia-Lodz.pdf (ASCII, safe everywhere)."""
    customer = unicodedata.normalize(
        "NFKD", recipient.customer.name.replace("ł", "l").replace("Ł", "L")
    )
    customer = re.sub(r"[^A-Za-z0-9]+", "-", customer.encode("ascii", "ignore").decode()).strip("-")
    number = re.sub(r"[^A-Za-z0-9]+", "-", offer.number).strip("-")
    name = customer[:40] or str(recipient.customer_id)
    return f"Oferta_{number}_v{version.number}_{name}.{DocumentKind(kind).value}"


def store_file(relative: str, data: bytes) -> str:
    """Write atomically under STORAGE_DIR; returns the SHA-256 of the content."""
    root = Path(current_app.config["STORAGE_DIR"])
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
    return hashlib.sha256(data).hexdigest()


def render_document(document: OfferDocument) -> bool:
    """Render and store one document unless it is already current; True if it stored it.

    The row is marked ready with the revision it shows. A slower job rendering an older
    revision never overwrites a newer one (its file is deleted instead).
    """
    version = document.version
    if document.is_current:
        return False
    revision = version.revision
    recipient = document.recipient
    with gc_paused():  # tens of thousands of short-lived objects (see reports.gc_pause)
        data = render_bytes(build_view(version, recipient), document.kind)
    offer = version.offer
    filename = document_filename(offer, version, recipient, document.kind)
    relative = f"offers/{offer.year}/{offer.id}/v{version.number}/r{revision}-{filename}"
    digest = store_file(relative, data)
    old_path = document.path
    done = db.session.execute(
        update(OfferDocument)
        .where(
            OfferDocument.id == document.id,
            or_(
                OfferDocument.status != DocumentStatus.READY,
                OfferDocument.revision.is_(None),
                OfferDocument.revision < revision,
            ),
        )
        .values(
            status=DocumentStatus.READY,
            revision=revision,
            path=relative,
            filename=filename,
            sha256=digest,
            size=len(data),
            rendered_at=utcnow(),
            error=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(document)
    if not done:
        _remove_later(relative)
    elif old_path and old_path != relative:
        _remove_later(old_path)
    return bool(done)


def _remove_later(relative: str) -> None:
    """Delete a superseded draft file once the new one is committed."""
    from sqlalchemy import event

    root = Path(current_app.config["STORAGE_DIR"])

    @event.listens_for(db.session(), "after_commit", once=True)
    def _remove(_session):
        with contextlib.suppress(OSError):
            (root / relative).unlink(missing_ok=True)


def absolute_path(document: OfferDocument) -> Path:
    """Where the stored file is (for downloads and attachments)."""
    return Path(current_app.config["STORAGE_DIR"]) / document.path
