"""The sender's settings, the dispatch job's key, and the plain data of a claimed message."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from flask import current_app

from backoffice.queue import defer

#: Settings of the sender and their defaults (override in the app config).
DEFAULTS = {
    "MESSAGE_BATCH_SIZE": 100,
    "MESSAGE_MAX_ATTEMPTS": 3,
    #: Seconds to wait after the 1st, 2nd, … failed try.
    "MESSAGE_RETRY_DELAYS": (60, 300, 1800),
    #: Seconds to wait when the server cannot be reached at all (not counted as a try).
    "MESSAGE_OUTAGE_DELAY": 60,
    #: A row claimed longer ago than this is taken to belong to a dead worker.
    "MESSAGE_STUCK_AFTER": 300,
    #: Queued messages older than this are given up ("expired").
    "MESSAGE_EXPIRE_HOURS": 72,
    #: Seconds one dispatch job keeps sending before it hands over to the next one.
    "MESSAGE_DISPATCH_BUDGET": 240,
    "SMTP_TIMEOUT": 30,
    #: PostgreSQL: commit outcomes without waiting for the disk flush (faster on slow disks;
    #: a crash of PostgreSQL itself could then resend the last fraction of a second).
    "MESSAGE_ASYNC_COMMIT": False,
}
#: host:pid of this worker, kept on attempt rows.
WORKER = f"{socket.gethostname()}:{os.getpid()}"


def setting(name: str):
    """A sender setting from the app config, else its default."""
    return current_app.config.get(name, DEFAULTS.get(name))


def retry_delay(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed ones."""
    delays = list(setting("MESSAGE_RETRY_DELAYS"))
    return int(delays[min(max(attempts, 1), len(delays)) - 1])


def dispatch_key(channel: str) -> str:
    """The dedupe key of the pending dispatch job of a channel."""
    return f"dispatch-{channel}"


def defer_dispatch(channel: str, delay: float = 0, key_suffix: str = "") -> None:
    """Queue a dispatch job for the channel after commit (at most one pending per key)."""
    key = dispatch_key(channel) + ("-later" if delay else key_suffix)
    defer("tasks.messaging.dispatch", str(channel), queue="mail", key=key, delay=delay, timeout=300)


@dataclass(frozen=True)
class Outgoing:
    """The plain data of one claimed message (no ORM object survives the per-message commit)."""

    id: int
    channel: str
    recipient: str
    recipient_name: str | None
    subject: str | None
    body_html: str | None
    body_text: str
    attachments: list | None
    headers: dict | None
    attempts: int
