"""Console views of the newsletters module."""


def register(admin) -> None:
    """Add this module's views to the console."""
