"""What other modules do when an order event arrives (notifications, loyalty points, codes).

The integration service stores an order event once (a repeated event id is ignored) and
then calls ``dispatch(actor, order, event)`` in the same transaction. Each module listed in
``HANDLER_MODULES`` may define ``handle_order_event(actor, order, event)``; it must not
commit and should be idempotent for the same event.
"""

from __future__ import annotations

import importlib

from backoffice.actors import Actor

HANDLER_MODULES = (
    "backoffice.services.order_notifications",  # e-mail / SMS per event (communication)
    "backoffice.services.loyalty",  # points earned / reversed
    "backoffice.services.discount_codes",  # cancelled order releases its code use
)


def dispatch(actor: Actor, order, event) -> None:
    """Call every module's ``handle_order_event`` for a newly stored event."""
    for name in HANDLER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # module not installed (yet)
        handler = getattr(module, "handle_order_event", None)
        if handler is not None:
            handler(actor, order, event)
