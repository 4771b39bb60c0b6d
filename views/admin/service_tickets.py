"""Console views of the service_tickets module."""


def register(admin) -> None:
    """Add this module's views to the console."""
