"""A handler module the tests plug into order_hooks / payment_hooks to see the calls."""

import threading

CALLS: list[tuple] = []
_lock = threading.Lock()


def handle_order_event(actor, order, event):
    with _lock:
        CALLS.append(("order", order.external_id, event.event_id, event.type.value))


def handle_payment(actor, receivable, payment):
    with _lock:
        CALLS.append(("payment", receivable.external_id, payment.external_id if payment else None))
