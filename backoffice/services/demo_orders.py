"""Demo orders, delivery notes (WZ, some older than 12 months, serial numbers on tracked
products) and receivables (paid, overdue, due soon, due later) for the other modules."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from backoffice.extensions import db
from models import (
    DeliveredSerial,
    DeliveryNote,
    DeliveryNoteLine,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Receivable,
)

CENT = Decimal("0.01")
#: Delivery notes are spread over this many days back, so some are beyond a 12-month window.
HISTORY_DAYS = 540


def build_orders(rng: random.Random, now: dt.datetime, count: int, customers, products):
    """``count`` orders; all but the newest few have a delivery note. Returns the notes."""
    active = [c for c in customers if c.active] or customers
    notes = []
    for n in range(count):
        # Newest first, denser in recent months, the oldest beyond a 12-month return window.
        days_ago = int(HISTORY_DAYS * (n / max(count, 1)) ** 2) + rng.randint(0, 2)
        placed = now - dt.timedelta(days=days_ago, hours=rng.randint(0, 8))
        order = _order(rng, n, placed, rng.choice(active), products)
        db.session.add(order)
        if n >= 5 or count <= 5:
            notes.append(_note(rng, n, order))
    db.session.add_all(notes)
    db.session.flush()
    return notes


def _order(rng, n: int, placed: dt.datetime, customer, products) -> Order:
    order = Order(
        external_id=f"DEMO-ZAM-{n + 1:05d}",
        number=f"ZAM/{placed.year}/{n + 1:05d}",
        customer=customer,
        placed_at=placed,
        source=rng.choice(("shop", "shop", "erp")),
    )
    for line_no, product in enumerate(
        rng.sample(products, k=min(len(products), rng.randint(1, 5))), start=1
    ):
        order.lines.append(
            OrderLine(
                line_no=line_no,
                product=product,
                name=product.name,
                quantity=Decimal(rng.randint(1, 12)),
                unit_price_net=product.price_net,
                vat_rate=product.vat_rate,
            )
        )
    net = sum((ln.quantity * ln.unit_price_net for ln in order.lines), Decimal(0))
    vat = sum(
        (ln.quantity * ln.unit_price_net * ln.vat_rate / 100 for ln in order.lines), Decimal(0)
    )
    order.total_net, order.total_vat = net.quantize(CENT), vat.quantize(CENT)
    order.total_gross = order.total_net + order.total_vat
    return order


def _note(rng, n: int, order: Order) -> DeliveryNote:
    issued = order.placed_at + dt.timedelta(days=rng.randint(1, 3))
    order.status = OrderStatus.DELIVERED
    order.shipped_at, order.delivered_at = issued, issued + dt.timedelta(days=1)
    note = DeliveryNote(
        external_id=f"DEMO-WZ-{n + 1:05d}",
        number=f"WZ/{issued.year}/{n + 1:05d}",
        customer=order.customer,
        order=order,
        issued_at=issued,
    )
    for line in order.lines:
        note_line = DeliveryNoteLine(
            line_no=line.line_no, product=line.product, quantity=line.quantity
        )
        if line.product.serial_tracked:
            note_line.serials = [
                DeliveredSerial(serial=f"SN{n + 1:05d}{line.line_no:02d}{i + 1:03d}")
                for i in range(int(line.quantity))
            ]
        note.lines.append(note_line)
    return note


def build_receivables(rng: random.Random, now: dt.datetime, notes) -> int:
    """One invoice per delivery note; the newest ones are open (overdue, due soon, later)."""
    today = now.date()
    receivables = []
    for i, note in enumerate(sorted(notes, key=lambda x: x.issued_at, reverse=True)):
        amount = note.order.total_gross if note.order is not None else Decimal("100.00")
        kind = ("overdue", "due_soon", "later", "paid")[i % 4] if i < 60 else "paid"
        due = {
            "overdue": today - dt.timedelta(days=rng.randint(1, 45)),
            "due_soon": today + dt.timedelta(days=rng.randint(1, 7)),
            "later": today + dt.timedelta(days=rng.randint(10, 30)),
        }.get(kind, note.issued_at.date() + dt.timedelta(days=14))
        receivable = Receivable(
            external_id=f"DEMO-FV-{i + 1:05d}",
            customer=note.customer,
            document_number=f"FV/{note.issued_at.year}/{i + 1:05d}",
            issued_at=min(note.issued_at.date(), due - dt.timedelta(days=14)),
            due_date=due,
            amount=amount,
        )
        if kind == "paid":
            paid_at = dt.datetime.combine(min(due, today), dt.time(12), tzinfo=dt.UTC)
            receivable.paid_amount, receivable.is_open, receivable.paid_at = amount, False, paid_at
            receivable.payments.append(
                Payment(external_id=f"DEMO-PL-{i + 1:05d}", amount=amount, paid_at=paid_at)
            )
        receivables.append(receivable)
    db.session.add_all(receivables)
    return len(receivables)
