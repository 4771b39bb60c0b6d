"""Portal pages of the returns module."""
