"""Console views of the system module: users, audit log, queue and jobs, own account."""

from views.admin import system_account, system_audit, system_queue, system_users


def register(admin) -> None:
    """Add this module's views to the console (category Administration)."""
    system_users.register(admin)
    system_audit.register(admin)
    system_queue.register(admin)
    system_account.register(admin)
