"""The customer and supplier portal at /portal; modules add pages and menu entries."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, render_template
from flask_login import current_user

portal = Blueprint("portal", __name__, url_prefix="/portal")


@dataclass(frozen=True)
class NavItem:
    """A portal menu entry shown when ``visible(user)`` is true."""

    endpoint: str
    label: object  # lazy string
    order: int
    visible: Callable[[object], bool]
    #: ``summary(user)`` → one line for the home page card (e.g. "2 returns in progress").
    summary: Callable[[object], str | None] | None = None


NAV: list[NavItem] = []


def nav_item(
    endpoint: str,
    label,
    order: int = 50,
    visible: Callable[[object], bool] | None = None,
    summary: Callable[[object], str | None] | None = None,
):
    """Register a portal menu entry (at import time of a portal views module); ``summary``
    gives the line shown under it on the home page."""
    if not any(n.endpoint == endpoint for n in NAV):
        NAV.append(NavItem(endpoint, label, order, visible or (lambda user: True), summary))
        NAV.sort(key=lambda n: n.order)


def customers_only(user) -> bool:
    return getattr(user, "customer_id", None) is not None


def suppliers_only(user) -> bool:
    return getattr(user, "supplier_id", None) is not None


@portal.app_context_processor
def _portal_nav():
    def portal_nav():
        if getattr(current_user, "kind", None) != "portal":
            return []
        return [n for n in NAV if n.visible(current_user)]

    return {"portal_nav": portal_nav}


def render_portal(template: str, **context):
    """Render a portal page inside the portal layout."""
    return render_template(template, **context)


#: Portal modules; each adds routes to ``portal`` and entries with ``nav_item``.
MODULES = (
    "views.portal.account",
    "views.portal.offers",
    "views.portal.returns",
    "views.portal.service_tickets",
    "views.portal.loyalty",
    "views.portal.messaging",
)
for _name in MODULES:
    importlib.import_module(_name)
