"""The Flask-Admin console: one Admin per app, every module's views registered in order."""

from __future__ import annotations

import importlib

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from views.admin.dashboard import DashboardView

#: Console modules in menu order; each has ``register(admin)``.
MODULES = (
    "views.admin.offers",
    "views.admin.integration",
    "views.admin.returns",
    "views.admin.service_tickets",
    "views.admin.loyalty",
    "views.admin.newsletters",
    "views.admin.messaging",
    "views.admin.payment_reminders",
    "views.admin.masterdata",
    "views.admin.system",
)


def init_admin(app: Flask) -> Admin:
    """Create the console for this app and register every module's views."""
    admin = Admin(
        app,
        name=_l("Back office"),
        url="/admin",
        theme=Bootstrap4Theme(base_template="admin/master.html", fluid=True),
        index_view=DashboardView(name=_l("Dashboard"), url="/admin"),
    )
    for name in MODULES:
        importlib.import_module(name).register(admin)
    return admin
