"""Command-line interface: ``flask --app wsgi <command>``."""

from __future__ import annotations

import importlib

from flask import Flask

#: Modules defining click commands or groups in ``COMMANDS``.
MODULES = (
    "backoffice.cli.users",
    "backoffice.cli.jobs",
    "backoffice.cli.demo",
    "backoffice.cli.imports",
)


def register_cli(app: Flask) -> None:
    """Attach every module's commands to the app's CLI."""
    for name in MODULES:
        for command in importlib.import_module(name).COMMANDS:
            app.cli.add_command(command)
