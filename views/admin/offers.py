"""Console views of the offers module."""


def register(admin) -> None:
    """Add this module's views to the console."""
