"""Demo data of the service module: registered units from delivered serials, tickets at
different steps of both procedures (called by ``flask demo seed``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from backoffice.actors import Actor
from backoffice.services.service_products import register_product
from backoffice.services.service_ticket_edits import add_work_line, set_quote, update_findings
from backoffice.services.service_tickets import TicketInput, create_ticket
from backoffice.services.service_workflow import change_ticket_status
from backoffice.services.warranty import WARSAW, warsaw_today

FAULTS = (
    "Urządzenie nie włącza się po podłączeniu do zasilania.",
    "Silnik iskrzy i gaśnie po minucie pracy.",
    "Głośna praca przekładni, czuć zapach spalenizny.",
    "Akumulator nie ładuje się, dioda miga na czerwono.",
    "Pęknięta obudowa przy uchwycie, luźny przełącznik.",
)
#: Steps each demo ticket is walked through (warranty / post-warranty).
PATHS = (
    [],
    ["accepted"],
    ["accepted", "goods_received", "diagnosis"],
    ["accepted", "goods_received", "diagnosis", "repair", "ready", "returned", "closed"],
    ["accepted", "goods_received", "diagnosis", "quote_sent"],
)


def _delivered_serials(notes, limit: int, today: dt.date):
    for note in notes:
        if note.issued_at.astimezone(WARSAW).date() > today:
            continue  # not delivered yet
        for line in note.lines:
            for serial in line.serials:
                yield note, line, serial.serial
                limit -= 1
                if limit <= 0:
                    return


def seed_service(actor: Actor, notes, limit: int = 10) -> int:
    """Register up to ``limit`` delivered units and file tickets for half of them. No commit."""
    today = warsaw_today()
    tickets = 0
    for n, (note, line, serial) in enumerate(_delivered_serials(notes, limit, today)):
        unit = register_product(
            actor, customer=note.customer, product=line.product, serial=serial, source="staff"
        )
        if n % 2:
            continue
        ticket = create_ticket(
            actor,
            unit,
            TicketInput(FAULTS[n % len(FAULTS)], contact_name=note.customer.name),
            source="staff",
            filed_on=max(today - dt.timedelta(days=12 - n), unit.purchase_date),
        )
        _walk(actor, ticket, PATHS[(n // 2) % len(PATHS)], today)
        tickets += 1
    return tickets


def _walk(actor: Actor, ticket, path: list[str], today: dt.date) -> None:
    received = max(today - dt.timedelta(days=9), ticket.registered_product.purchase_date)
    for code in path:
        if code == "quote_sent":
            if ticket.kind.value != "post_warranty":
                return
            set_quote(actor, ticket, Decimal("249.00"), "Wymiana łożysk i szczotek.")
        if code == "diagnosis":
            update_findings(actor, ticket, diagnosis="Zużyte szczotki silnika.", repair_notes=None)
            add_work_line(
                actor,
                ticket,
                kind="part",
                description="Szczotki węglowe (komplet)",
                quantity="1",
                unit_price_net="38.00",
            )
        if code == "repair" and ticket.kind.value != "warranty":
            return
        effective = received if code == "goods_received" else None
        change_ticket_status(actor, ticket, code, effective_on=effective)
