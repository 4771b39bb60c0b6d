"""Portal pages of the offers module."""
