"""Command-line interface: ``flask --app wsgi <command>``.

Every module in this package lists its click commands or groups in ``COMMANDS``; adding a
file is enough to register it.
"""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def register_cli(app: Flask) -> None:
    """Attach every module's commands to the app's CLI."""
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            app.cli.add_command(command)
