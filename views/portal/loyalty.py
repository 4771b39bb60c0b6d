"""Portal pages of the loyalty module."""
