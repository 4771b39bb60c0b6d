"""CLI commands: imports."""

COMMANDS = ()
