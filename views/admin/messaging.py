"""Console views of the messaging module."""


def register(admin) -> None:
    """Add this module's views to the console."""
