"""Crawl every GET route as every kind of user: nobody sees what they should not.

The expectation comes from the code itself, so views added later are covered: each console
view's ``roles`` (and its own ``is_accessible`` / ``can_create`` / ``can_edit``), each portal
route's ``access`` marker (``portal_required`` / ``public_view``) and the portal menu's
``visible(user)``. Every HTML page rendered on the way must be in Polish (``lang="pl"``) with
only translated menu entries.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import pytest
from flask_admin.model import BaseModelView
from flask_login import login_user
from sqlalchemy import select
from werkzeug.routing import AnyConverter, IntegerConverter, UUIDConverter

from backoffice.i18n_catalogs import ROOT
from models.users import Role
from tests.conftest import PASSWORD, login
from tests.factories import (
    make_contact,
    make_customer,
    make_portal_user,
    make_product,
    make_supplier,
    make_user,
)
from views.admin.base import SecureMixin
from views.portal import NAV

STAFF = tuple(r.value for r in Role)
IDENTITIES = ("anonymous", *STAFF, "customer", "customer_restricted", "supplier")
#: Console endpoints that need edit rights on top of view rights.
EDIT_ENDPOINTS = {"create_view": "can_create", "edit_view": "can_edit"}


@dataclass
class Crawl:
    """What one identity met on its way through the site."""

    leaks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    language: dict[str, str] = field(default_factory=dict)  # problem → first page
    undeclared: list[str] = field(default_factory=list)
    pages: int = 0


# --- the people and the rows ----------------------------------------------------------------


def _people(db) -> dict[str, object]:
    """One user per identity (portal users with every permission, one without any)."""
    customer = make_customer(name="Hurtownia Łódź")
    make_contact(customer)
    make_product()
    people = {role: make_user(roles=(role,), password=PASSWORD) for role in STAFF}
    flags = dict(
        can_file_returns=True,
        can_accept_offers=True,
        can_file_service_tickets=True,
        can_redeem_points=True,
        is_company_admin=True,
    )
    people["customer"] = make_portal_user(password=PASSWORD, customer=customer, **flags)
    people["customer_restricted"] = make_portal_user(
        password=PASSWORD,
        customer=customer,
        can_file_returns=False,
        can_accept_offers=False,
        can_file_service_tickets=False,
        can_redeem_points=False,
    )
    people["supplier"] = make_portal_user(password=PASSWORD, supplier=make_supplier(), **flags)
    db.session.commit()
    return people


def _client(app, user):
    client = app.test_client()
    if user is not None:
        login(client, user.email, portal=getattr(user, "kind", "") == "portal")
    return client


# --- building URLs ----------------------------------------------------------------------


def _first_id(db, table_hint: str) -> int:
    """The id of a real row of the table the argument names ("offer_id" → offers), else 1."""
    name = table_hint.removesuffix("_id")
    for table in db.metadata.sorted_tables:
        if table.name in {name, f"{name}s", f"{name}es"} and "id" in table.c:
            found = db.session.execute(select(table.c.id).limit(1)).scalar()
            if found is not None:
                return found
    return 1


def _fill(db, rule) -> dict[str, object]:
    values = {}
    for arg in rule.arguments:
        converter = rule._converters.get(arg)
        if isinstance(converter, IntegerConverter):
            values[arg] = _first_id(db, arg)
        elif isinstance(converter, UUIDConverter):
            values[arg] = uuid.uuid4()
        elif isinstance(converter, AnyConverter):
            values[arg] = sorted(converter.items)[0]
        elif arg == "export_type":
            values[arg] = "csv"
        else:
            values[arg] = "x"
    return values


def _urls(app, db):
    """(path, endpoint) of every GET route, with a real ``?id=`` for console row pages."""
    views = _admin_views(app)
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint.endswith("static"):
            continue
        _domain, path = rule.build(_fill(db, rule), append_unknown=False)
        prefix, _, method = rule.endpoint.partition(".")
        view = views.get(prefix)
        if isinstance(view, BaseModelView) and method in {"details_view", "edit_view"}:
            row = db.session.scalars(select(view.model).limit(1)).first()
            if row is not None:
                path += f"?id={view.get_pk_value(row)}"
        yield path, rule.endpoint


def _admin_views(app) -> dict:
    admin = app.extensions["admin"][0]
    return {view.endpoint: view for view in admin._views}


# --- what each identity may see ------------------------------------------------------------


def _console_allows(app, view, method: str, user) -> bool:
    """The view's own declaration, evaluated for this user."""
    if user is None or getattr(user, "kind", None) != "staff":
        return False
    if not isinstance(view, SecureMixin):
        pytest.fail(f"console view {view.endpoint} does not inherit the secured base class")
    # The roles are the declaration; a view's own is_accessible may only narrow them.
    allowed = not view.roles or user.has_role(*view.roles)
    with app.test_request_context():
        login_user(user)
        allowed = allowed and view.is_accessible()
        # Flask-Admin's own create/edit pages also need edit rights; a view that replaces
        # them (e.g. a create page that shows a secret once) decides for itself.
        own_page = getattr(type(view), method, None) is getattr(BaseModelView, method, None)
        if allowed and method in EDIT_ENDPOINTS and own_page:
            allowed = bool(getattr(view, EDIT_ENDPOINTS[method]))
    return allowed


def _access_marker(func):
    while func is not None:
        if hasattr(func, "access"):
            return func.access
        func = getattr(func, "__wrapped__", None)
    return None


def _portal_allows(app, endpoint: str, user, crawl: Crawl) -> bool:
    marker = _access_marker(app.view_functions[endpoint])
    if marker is None:
        crawl.undeclared.append(endpoint)
        return False
    kind, _roles = marker
    if kind == "public":
        return True
    if user is None or getattr(user, "kind", None) != "portal":
        return False
    nav = next((n for n in NAV if n.endpoint == endpoint), None)
    return nav is None or bool(nav.visible(user))


# --- checks on rendered pages --------------------------------------------------------------


def _polish_texts() -> set[str]:
    """Every Polish text of our catalogs and of Flask-Admin's own catalog."""
    import flask_admin
    from babel.messages.pofile import read_po

    catalogs = list((ROOT / "backoffice" / "translations").glob("*/pl/LC_MESSAGES/*.po"))
    catalogs.append(Path(flask_admin.__file__).parent / "translations/pl/LC_MESSAGES/admin.po")
    texts: set[str] = set()
    for po in catalogs:
        with po.open("rb") as fh:
            for message in read_po(fh, locale="pl"):
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                texts.update(unescape(s).strip() for s in strings if s)
    return texts


CONSOLE_MENU = re.compile(
    r'data-testid="main-menu">(.*?)</ul>\s*<ul class="nav navbar-nav navbar-right', re.S
)
PORTAL_MENU = re.compile(r'id="portal-nav">\s*<ul[^>]*>(.*?)</ul>', re.S)
MENU_LINK = re.compile(r'<a [^>]*class="[^"]*(?:nav-link|dropdown-item)[^"]*"[^>]*>(.*?)</a>', re.S)


def _menu_entries(html: str) -> list[str]:
    """The labels of the console's or the portal's main menu on a page."""
    block = CONSOLE_MENU.search(html) or PORTAL_MENU.search(html)
    if not block:
        return []
    labels = (unescape(re.sub(r"<[^>]+>", "", raw)).strip() for raw in MENU_LINK.findall(block[1]))
    return [label for label in labels if label]


def _check_html(path: str, html: str, crawl: Crawl, polish: set[str]) -> None:
    if '<html lang="pl">' not in html:
        crawl.language.setdefault('no <html lang="pl">', path)
    for label in _menu_entries(html):
        if label not in polish:
            crawl.language.setdefault(f"untranslated menu entry {label!r}", path)


# --- the crawl ----------------------------------------------------------------------------


def _crawl(app, db, client, user) -> Crawl:
    crawl, polish = Crawl(), _polish_texts()
    views = _admin_views(app)
    for path, endpoint in sorted(set(_urls(app, db))):
        resp = client.get(path)
        crawl.pages += 1
        status = resp.status_code
        if status >= 500:
            crawl.errors.append(f"{status} {path}")
        prefix, _, method = endpoint.partition(".")
        if path.startswith("/admin"):
            view = views.get(prefix)
            allowed = view is not None and _console_allows(app, view, method, user)
        elif path.startswith("/portal"):
            allowed = _portal_allows(app, endpoint, user, crawl)
        else:
            allowed = True
        if status == 200 and not allowed:
            crawl.leaks.append(f"{path} ({endpoint})")
        if status == 200 and resp.mimetype == "text/html":
            _check_html(path, resp.get_data(as_text=True), crawl, polish)
    return crawl


@pytest.mark.parametrize("identity", IDENTITIES)
def test_nobody_sees_what_they_should_not(app, db, identity):
    people = _people(db)
    user = people.get(identity)
    client = _client(app, user)
    crawl = _crawl(app, db, client, user)
    assert crawl.pages > 20
    assert not crawl.undeclared, f"portal routes without an access marker: {crawl.undeclared}"
    assert not crawl.leaks, f"{identity} got 200 where it should not:\n" + "\n".join(crawl.leaks)
    assert not crawl.errors, f"{identity} met server errors:\n" + "\n".join(crawl.errors)
    assert not crawl.language, "\n".join(f"{k} (first on {v})" for k, v in crawl.language.items())
