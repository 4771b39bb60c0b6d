"""CSRF: every form POST without a token is refused; Flask-Admin's forms work with one.

One mechanism everywhere: Flask-WTF's ``CSRFProtect`` plus ``FlaskForm`` as Flask-Admin's
``form_base_class`` (the suite turns CSRF off for brevity; these tests turn it back on).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from models import CustomerGroup, User
from tests.conftest import PASSWORD
from tests.conftest import test_config as suite_config
from tests.factories import make_group, make_portal_user, make_user

PROTECTED = ("/admin", "/portal", "/login", "/logout", "/language")


def token_from(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login_with_token(client, email: str, portal: bool = False) -> None:
    path = "/portal/login" if portal else "/login"
    token = token_from(client.get(path).get_data(as_text=True))
    resp = client.post(path, data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    return app


def _post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or not rule.rule.startswith(PROTECTED):
            continue
        values = {
            arg: 1 if isinstance(rule._converters.get(arg), IntegerConverter) else "x"
            for arg in rule.arguments
        }
        if "code" in values:
            values["code"] = "en"
        yield rule.build(values, append_unknown=False)[1]


def test_every_form_post_without_a_token_is_refused(csrf_on, db):
    admin = make_user(roles=("admin",), password=PASSWORD)
    portal_user = make_portal_user(password=PASSWORD, is_company_admin=True)
    db.session.commit()
    staff, customer = csrf_on.test_client(), csrf_on.test_client()
    login_with_token(staff, admin.email)
    login_with_token(customer, portal_user.email, portal=True)
    paths = sorted(set(_post_routes(csrf_on)))
    assert len(paths) > 10 and "/admin/users/new/" in paths and "/logout" in paths
    accepted = []
    for path in paths:
        client = customer if path.startswith("/portal") else staff
        for data in ({}, {"csrf_token": "forged"}):
            resp = client.post(path, data=data)
            if resp.status_code != 400:
                accepted.append(f"{resp.status_code} {path} {data}")
    assert not accepted, "POSTs accepted without a valid CSRF token:\n" + "\n".join(accepted)
    # The refusal is a readable Polish page, and the sessions still work afterwards.
    page = staff.post("/admin/users/new/").get_data(as_text=True)
    assert "Nie można przyjąć formularza" in page
    assert staff.get("/admin/").status_code == 200


def test_token_of_another_session_is_refused(csrf_on, db):
    admin = make_user(roles=("admin",), password=PASSWORD)
    db.session.commit()
    attacker = csrf_on.test_client()
    foreign = token_from(attacker.get("/login").get_data(as_text=True))
    victim = csrf_on.test_client()
    login_with_token(victim, admin.email)
    resp = victim.post("/admin/queue/test-job/", data={"csrf_token": foreign})
    assert resp.status_code == 400


def test_create_edit_and_action_forms_work_with_a_token(csrf_on, db):
    admin = make_user(roles=("admin",), password=PASSWORD)
    db.session.commit()
    c = csrf_on.test_client()
    login_with_token(c, admin.email)
    # create
    token = token_from(c.get("/admin/users/new/").get_data(as_text=True))
    form = {"name": "Nowy", "email": "nowy@example.com", "roles": ["sales"], "locale": "pl"}
    resp = c.post(
        "/admin/users/new/", data={**form, "password": "Hasło-nowe-1", "csrf_token": token}
    )
    assert resp.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "nowy@example.com")).one()
    # edit
    token = token_from(c.get(f"/admin/users/edit/?id={user.id}").get_data(as_text=True))
    resp = c.post(
        f"/admin/users/edit/?id={user.id}", data={**form, "name": "Zmieniony", "csrf_token": token}
    )
    assert resp.status_code == 302
    # batch action (the list page's action form carries the token)
    token = token_from(c.get("/admin/users/").get_data(as_text=True))
    resp = c.post(
        "/admin/users/action/",
        data={"action": "deactivate", "rowid": [user.id], "csrf_token": token},
    )
    assert resp.status_code == 302
    # a button form on the details page
    token = token_from(c.get(f"/admin/users/details/?id={user.id}").get_data(as_text=True))
    assert (
        c.post("/admin/users/activate/", data={"id": user.id, "csrf_token": token}).status_code
        == 302
    )
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.name == "Zmieniony" and user.active


@pytest.mark.committed
def test_delete_form_works_with_a_token(infra, db):
    """A view that allows deleting, on an app built for this test (registered before use)."""
    from backoffice import create_app
    from views.admin.base import SecureModelView

    class GroupAdmin(SecureModelView):
        roles = ("admin",)
        allow_delete = True

    app = create_app({**suite_config(infra), "WTF_CSRF_ENABLED": True})
    app.extensions["admin"][0].add_view(
        GroupAdmin(CustomerGroup, name="Test", endpoint="csrf_groups", url="/admin/csrf-groups")
    )
    admin = make_user(roles=("admin",), password=PASSWORD)
    group_id = make_group(name="Do usunięcia").id
    db.session.commit()
    c = app.test_client()
    login_with_token(c, admin.email)
    assert c.post("/admin/csrf-groups/delete/", data={"id": group_id}).status_code == 400
    token = token_from(c.get("/admin/csrf-groups/").get_data(as_text=True))
    resp = c.post("/admin/csrf-groups/delete/", data={"id": group_id, "csrf_token": token})
    assert resp.status_code == 302
    db.session.rollback()  # end this session's snapshot, taken before the other app deleted
    assert db.session.get(CustomerGroup, group_id) is None
