"""Console views of the returns module."""


def register(admin) -> None:
    """Add this module's views to the console."""
