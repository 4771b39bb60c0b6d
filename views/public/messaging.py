"""Public endpoints of the messaging module."""
