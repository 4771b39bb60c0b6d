"""Every periodic job in one declarative list (cron strings in Europe/Warsaw time)."""

from backoffice.schedule import Periodic

SCHEDULE: list[Periodic] = [
    Periodic("cleanup-jobs", "tasks.maintenance.cleanup_jobs", "17 3 * * *"),
]
