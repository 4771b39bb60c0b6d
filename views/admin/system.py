"""Console views of the system module."""


def register(admin) -> None:
    """Add this module's views to the console."""
