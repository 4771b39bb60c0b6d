"""A memo for one transaction: what ``notify()`` reads again and again (templates, matrix,
our company's data) is read once per transaction, not once per message.

It is dropped at commit and rollback, and as soon as the session writes a row of a kind it
holds, so a change made in the same transaction is seen at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from backoffice.extensions import db

_KEY = "messaging.memo"
#: Tables whose rows the memo holds (a flush touching one of them clears it).
WATCHED = frozenset(
    {"message_templates", "notification_rules", "customer_notification_rules", "company_profile"}
)


def memo(name: str, key: Any, load: Callable[[], Any]) -> Any:
    """``load()``'s result for (name, key), computed once in the current transaction."""
    cache = db.session.info.setdefault(_KEY, {})
    slot = (name, key)
    if slot not in cache:
        cache[slot] = load()
    return cache[slot]


def _forget(session: Session, *_args) -> None:
    session.info.pop(_KEY, None)


event.listen(Session, "after_commit", _forget)
event.listen(Session, "after_rollback", _forget)
event.listen(Session, "after_soft_rollback", _forget)


@event.listens_for(Session, "before_flush")
def _forget_on_change(session: Session, _context, _instances) -> None:
    if _KEY not in session.info:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if getattr(obj, "__tablename__", None) in WATCHED:
            _forget(session)
            return
