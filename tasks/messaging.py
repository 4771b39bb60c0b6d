"""Sending queued messages (the communication module)."""


def dispatch(channel: str) -> None:
    """Send every due queued message of ``channel``; being built in issue 4."""
    raise NotImplementedError("the communication module's sender is not built yet")
