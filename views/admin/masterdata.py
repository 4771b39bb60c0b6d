"""Console views of the masterdata module."""


def register(admin) -> None:
    """Add this module's views to the console."""
