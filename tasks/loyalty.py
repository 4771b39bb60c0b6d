"""Loyalty jobs: the daily expiry of points."""

from __future__ import annotations

import logging

from backoffice.actors import SYSTEM
from backoffice.extensions import db
from backoffice.queue import heartbeat
from backoffice.schedule import Periodic
from backoffice.services.points_ledger import customers_with_expired_points, expire_customer_points
from models.base import utcnow

log = logging.getLogger(__name__)

SCHEDULE = [
    Periodic("loyalty-expire-points", "tasks.loyalty.expire_points", "20 0 * * *"),
]


def expire_points() -> int:
    """Expire every lot whose date has passed (oldest first), committing per customer.

    Running it twice expires nothing more; a crash halfway leaves the rest for the rerun.
    """
    now = utcnow()
    total = customers = 0
    done: set[int] = set()
    while ids := [i for i in customers_with_expired_points(now) if i not in done]:
        for customer_id in ids:
            done.add(customer_id)
            total += expire_customer_points(SYSTEM, customer_id, now)
            db.session.commit()
            customers += 1
        heartbeat()
    log.info("expired %d points of %d customers", total, customers)
    return total
