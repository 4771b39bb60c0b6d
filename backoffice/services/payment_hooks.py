"""What other modules do when a payment is booked (payment reminders thank the customer).

The integration service calls ``dispatch(actor, receivable, payment)`` in the same
transaction when a new payment is stored through the API, or with ``payment=None`` when
the ERP reports a larger paid amount on a receivable. Each module listed in
``HANDLER_MODULES`` may define ``handle_payment(actor, receivable, payment)``; it must not
commit and should be idempotent for the same payment.
"""

from __future__ import annotations

import importlib

from backoffice.actors import Actor

HANDLER_MODULES = ("backoffice.services.payment_reminders",)


def dispatch(actor: Actor, receivable, payment=None) -> None:
    """Call every module's ``handle_payment`` for a newly booked payment."""
    for name in HANDLER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # module not installed (yet)
        handler = getattr(module, "handle_payment", None)
        if handler is not None:
            handler(actor, receivable, payment)
