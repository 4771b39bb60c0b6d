"""Portal pages of the messaging module."""
