"""Public endpoints of the newsletters module."""
