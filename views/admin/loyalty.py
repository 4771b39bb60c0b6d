"""Console views of the loyalty module."""


def register(admin) -> None:
    """Add this module's views to the console."""
