"""CLI commands: demo."""

COMMANDS = ()
