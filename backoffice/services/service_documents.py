"""Service documents: the shipping label and the repair report, rendered once and kept.

Both are stored as ticket attachments with their SHA-256, so a reprint gives the same
bytes; the label is re-rendered only when staff ask for it (e.g. a changed address).
Texts are in the customer's language.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.i18n import format_money, format_number, format_when
from backoffice.services.audit import record
from backoffice.services.service_attachments import store_document
from models.company import CompanyProfile
from models.customers import Customer
from models.service_tickets import AttachmentKind, ServiceAttachment, ServiceTicket
from reports.service_label import ServiceLabelView, render_service_label
from reports.service_report import RepairReportView, ReportLine, render_repair_report


def company_lines() -> list[str]:
    """Our name and address from the company profile (empty when not filled in)."""
    from backoffice.extensions import db

    company = db.session.scalar(select(CompanyProfile).order_by(CompanyProfile.id).limit(1))
    if company is None:
        return []
    lines = [
        company.name,
        company.street or "",
        f"{company.postal_code or ''} {company.city or ''}",
    ]
    if company.nip:
        lines.append(f"NIP {company.nip}")
    if company.phone:
        lines.append(company.phone)
    return [line.strip() for line in lines if line and line.strip()]


def customer_lines(customer: Customer) -> list[str]:
    """Name and the shipping (else billing) address of a customer."""
    address = customer.address("shipping") or customer.address("billing")
    lines = [customer.name]
    if address is not None:
        lines += [address.street, f"{address.postal_code} {address.city}"]
    if customer.nip:
        lines.append(f"NIP {customer.nip}")
    return lines


def _locale(ticket: ServiceTicket) -> str:
    return ticket.customer.locale if ticket.customer.locale in ("pl", "en") else "pl"


def _current(ticket: ServiceTicket, kind: AttachmentKind) -> ServiceAttachment | None:
    rows = [a for a in ticket.attachments if a.kind == kind]
    return rows[-1] if rows else None


def ticket_label(actor: Actor, ticket: ServiceTicket, regenerate: bool = False):
    """The ticket's stored label, rendering and storing it first if needed. No commit."""
    existing = _current(ticket, AttachmentKind.LABEL)
    if existing is not None and not regenerate:
        return existing
    with force_locale(_locale(ticket)):
        unit = ticket.registered_product
        view = ServiceLabelView(
            number=ticket.number,
            title=_("Service shipment"),
            sender=customer_lines(ticket.customer),
            recipient=[_("Service department")] + company_lines(),
            notes=[
                f"{unit.product.sku} {unit.product.name}",
                _("Serial number: %(serial)s", serial=unit.serial) if unit.serial else "",
                _("Attach this label to the parcel."),
            ],
            sender_label=_("Sender"),
            recipient_label=_("Recipient"),
        )
        pdf = render_service_label(view)
    filename = f"etykieta-{ticket.number.replace('/', '-')}.pdf"
    row = store_document(actor, ticket, AttachmentKind.LABEL, filename, pdf)
    record(actor, "service_ticket.label", ticket, summary=row.sha256)
    return row


def repair_report(actor: Actor, ticket: ServiceTicket) -> ServiceAttachment:
    """Render and keep the repair report (once per ticket; later calls return it). No commit."""
    existing = _current(ticket, AttachmentKind.REPAIR_REPORT)
    if existing is not None:
        return existing
    with force_locale(_locale(ticket)):
        pdf = render_repair_report(_report_view(ticket))
    filename = f"karta-naprawy-{ticket.number.replace('/', '-')}.pdf"
    row = store_document(actor, ticket, AttachmentKind.REPAIR_REPORT, filename, pdf)
    record(actor, "service_ticket.repair_report", ticket, summary=row.sha256)
    return row


def _report_view(ticket: ServiceTicket) -> RepairReportView:
    unit = ticket.registered_product
    kind = _("warranty repair") if ticket.kind.value == "warranty" else _("post-warranty repair")
    facts = [
        (_("Product"), f"{unit.product.sku} — {unit.product.name}"),
        (_("Serial number"), unit.serial or "—"),
        (_("Ticket type"), kind),
        (_("Purchase date"), format_when(unit.purchase_date)),
        (_("Filed on"), format_when(ticket.filed_on)),
        (_("Goods received"), format_when(ticket.goods_received_on) or "—"),
        (_("Returned"), format_when(ticket.returned_on) or "—"),
        (_("Warranty valid until"), format_when(unit.warranty_ends_on)),
        (_("Handled by"), ticket.assigned_to.name if ticket.assigned_to else "—"),
    ]
    sections = [(_("Fault reported"), ticket.fault_description)]
    if ticket.diagnosis:
        sections.append((_("Diagnosis"), ticket.diagnosis))
    if ticket.repair_notes:
        sections.append((_("Work done"), ticket.repair_notes))
    lines = [
        ReportLine(
            line.description,
            format_number(line.quantity),
            format_money(line.unit_price_net),
            f"{format_number(line.vat_rate)}%",
            format_money(line.total_net),
            format_money(line.total_gross),
        )
        for line in ticket.lines
    ]
    totals = (
        [
            (_("Total net"), format_money(ticket.cost_net)),
            (_("Total gross"), format_money(ticket.cost_gross)),
        ]
        if ticket.lines
        else []
    )
    if ticket.lines and ticket.kind.value == "warranty":
        totals.append((_("Customer pays"), _("nothing (warranty repair)")))
    history = [
        (
            format_when(e.at),
            e.to_status.label(_locale(ticket)) if e.to_status else e.kind,
            e.actor_label if e.actor_kind == "staff" else _("customer's user"),
        )
        for e in ticket.events
        if e.public and e.kind in ("created", "status")
    ]
    return RepairReportView(
        title=_("Repair report"),
        number=ticket.number,
        company=company_lines(),
        customer=customer_lines(ticket.customer),
        facts=facts,
        sections=sections,
        lines=lines,
        totals=totals,
        history=history,
        labels={
            "customer": _("Customer"),
            "ticket": _("Ticket"),
            "work": _("Parts and work"),
            "no_work": _("No parts or work recorded."),
            "description": _("Description"),
            "quantity": _("Quantity"),
            "unit_price": _("Unit price net"),
            "vat": _("VAT"),
            "net": _("Net"),
            "gross": _("Gross"),
            "history": _("History"),
        },
        footer=_("Document generated by the service department."),
    )
