"""Every periodic job, collected from the ``SCHEDULE`` list of each module in ``tasks/``.

Cron strings are in Europe/Warsaw time (see backoffice/schedule.py).
"""

import importlib
import pkgutil

import tasks
from backoffice.schedule import Periodic


def collect() -> list[Periodic]:
    """All modules' periodic entries, sorted by name."""
    entries: list[Periodic] = []
    for info in pkgutil.iter_modules(tasks.__path__):
        if info.name == "schedule":
            continue
        module = importlib.import_module(f"tasks.{info.name}")
        entries.extend(getattr(module, "SCHEDULE", ()))
    return sorted(entries, key=lambda e: e.name)


SCHEDULE: list[Periodic] = collect()
