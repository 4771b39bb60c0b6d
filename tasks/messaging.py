"""Sending queued messages and recovering stuck ones (the communication module)."""

from backoffice.schedule import Periodic
from backoffice.services import message_recovery, message_sending

SCHEDULE = [
    Periodic("messages-sweep", "tasks.messaging.sweep", "* * * * *", timeout=120),
]


def dispatch(channel: str) -> None:
    """Send every due queued message of ``channel`` ("email" or "sms"); commits per message."""
    message_sending.send_due_messages(channel)


def sweep() -> None:
    """Re-queue messages a dead worker left in ``sending`` and dispatch due ones."""
    message_recovery.sweep_messages()
