"""Domain errors raised by services and shown to users as plain messages."""

from __future__ import annotations


class DomainError(Exception):
    """A service refused an operation; ``message`` is user-readable (already translated).

    ``field`` optionally names the input the message is about, so forms and the API can
    attach it to that field.
    """

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.errors = errors or ({field: [self.message]} if field else {})


class ValidationFailed(DomainError):
    """Input data is invalid; ``errors`` maps field paths to lists of messages."""


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The operation collides with the current state (a duplicate, a used code, …)."""

    status_code = 409


class Forbidden(DomainError):
    status_code = 403


class InvalidTransition(Conflict):
    """A workflow step is not allowed from the object's current status."""
