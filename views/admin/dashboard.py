"""The console home: counters per module, each shown to the roles that use it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_admin import expose
from flask_login import current_user

from views.admin.base import SecureIndexView


@dataclass(frozen=True)
class Counter:
    """A number on the dashboard, linking to the view where it can be acted on."""

    label: object  # a lazy string
    count: Callable[[], int]
    endpoint: str | None = None
    roles: tuple[str, ...] = ()
    #: Bootstrap colour of the card when the number is not zero.
    tone: str = "primary"


COUNTERS: list[Counter] = []


def counter(label, endpoint: str | None = None, roles: tuple[str, ...] = (), tone: str = "primary"):
    """Decorator: register a dashboard counter (call at import time of a views module)."""

    def decorate(func):
        COUNTERS.append(Counter(label, func, endpoint, roles, tone))
        return func

    return decorate


class DashboardView(SecureIndexView):
    """Home page of the console."""

    @expose("/")
    def index(self):
        cards = []
        for c in COUNTERS:
            if c.roles and not current_user.has_role(*c.roles):
                continue
            cards.append(
                {"label": c.label, "value": c.count(), "endpoint": c.endpoint, "tone": c.tone}
            )
        return self.render("admin/dashboard.html", cards=cards)
