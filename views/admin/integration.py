"""Console views of the integration module."""


def register(admin) -> None:
    """Add this module's views to the console."""
