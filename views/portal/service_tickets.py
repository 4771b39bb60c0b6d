"""Portal pages of the service_tickets module."""
