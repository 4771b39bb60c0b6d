"""Console views of the payment_reminders module."""


def register(admin) -> None:
    """Add this module's views to the console."""
