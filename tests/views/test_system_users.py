"""Console user administration: list, filters, create, edit, buttons, batch actions."""

import re

import pytest
from sqlalchemy import select

from backoffice.security import verify_password
from models import AuditEntry, User
from tests.conftest import PASSWORD, login
from tests.factories import make_user


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_only_admins_reach_user_administration(staff_client, client):
    assert client.get("/admin/users/").status_code == 302
    assert staff_client("sales", "finance").get("/admin/users/").status_code == 403
    assert staff_client("admin").get("/admin/users/").status_code == 200


def test_list_search_and_filters(admin_client, db):
    make_user(roles=("sales",), name="Zdzisław Sprzedawca", email="zdzislaw@example.com")
    make_user(roles=("rma",), name="Renata Zwrotna", email="renata@example.com", active=False)
    page = text(admin_client.get("/admin/users/"))
    assert "Zdzisław Sprzedawca" in page and "Renata Zwrotna" in page
    assert "Użytkownicy" in page and "Sprzedaż" in page  # translated title and role badge
    found = text(admin_client.get("/admin/users/?search=zdzis"))
    assert "Zdzisław" in found and "Renata" not in found
    # Filters: role (index 0) and active (index 1), in Flask-Admin's URL form.
    by_role = text(admin_client.get("/admin/users/?flt0_0=rma"))
    assert "Renata" in by_role and "Zdzisław" not in by_role
    inactive = text(admin_client.get("/admin/users/?flt1_1=0"))
    assert "Renata" in inactive and "Zdzisław" not in inactive


def test_create_with_given_password(admin_client, db):
    resp = admin_client.post(
        "/admin/users/new/",
        data={
            "name": "Łucja Śliwińska",
            "email": "lucja@example.com",
            "roles": ["sales", "marketing"],
            "locale": "pl",
            "password": "Hasło-Łucji-1",
        },
    )
    assert resp.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "lucja@example.com")).one()
    assert user.roles == {"sales", "marketing"}
    assert verify_password(user.password_hash, "Hasło-Łucji-1")
    c = login(type(admin_client)(admin_client.application), "lucja@example.com", "Hasło-Łucji-1")
    assert c.get("/admin/").status_code == 200


def test_create_with_generated_password_shows_it_once(admin_client, db):
    resp = admin_client.post(
        "/admin/users/new/",
        data={"name": "Jan", "email": "jan@example.com", "roles": ["finance"], "locale": "en"},
    )
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    page = text(resp)
    password = re.search(r'value="([^"]+)"\s+readonly', page)
    assert password, page
    user = db.session.scalars(select(User).where(User.email == "jan@example.com")).one()
    assert verify_password(user.password_hash, password.group(1))
    assert password.group(1) not in text(admin_client.get(f"/admin/users/details/?id={user.id}"))


@pytest.mark.parametrize(
    "data,message",
    [
        ({"email": "zly-adres"}, "Nieprawidłowy adres e-mail"),
        ({"roles": []}, "Wybierz co najmniej jedną rolę"),
        ({"password": "krótkie"}, "co najmniej 8"),
    ],
)
def test_create_shows_form_errors_and_writes_nothing(admin_client, db, data, message):
    form = {"name": "X", "email": "x@example.com", "roles": ["sales"], "locale": "pl"}
    form.update(data)
    resp = admin_client.post("/admin/users/new/", data=form)
    assert resp.status_code == 200
    assert message in text(resp)
    assert db.session.scalars(select(User).where(User.name == "X")).all() == []


def test_duplicate_email_is_a_form_error(admin_client, db):
    make_user(email="taken@example.com")
    resp = admin_client.post(
        "/admin/users/new/",
        data={"name": "X", "email": "Taken@example.com", "roles": ["sales"], "locale": "pl"},
    )
    assert resp.status_code == 200
    assert "Konto z tym adresem e-mail już istnieje" in text(resp)


def test_edit_roles_and_profile(admin_client, db):
    user = make_user(roles=("sales",), name="Przed")
    resp = admin_client.post(
        f"/admin/users/edit/?id={user.id}",
        data={"name": "Po", "email": user.email, "roles": ["rma", "service"], "locale": "en"},
    )
    assert resp.status_code == 302
    db.session.refresh(user)
    assert user.name == "Po" and user.roles == {"rma", "service"} and user.locale == "en"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.update")).one()
    assert entry.actor_id == admin_client.user.id and entry.changes["name"] == ["Przed", "Po"]


def test_status_is_not_a_form_field(admin_client, db):
    user = make_user(roles=("sales",))
    form = text(admin_client.get(f"/admin/users/edit/?id={user.id}"))
    assert 'name="active"' not in form and 'name="password"' not in form
    admin_client.post(
        f"/admin/users/edit/?id={user.id}",
        data={"name": "x", "email": user.email, "roles": ["sales"], "locale": "pl", "active": ""},
    )
    db.session.refresh(user)
    assert user.active


def test_deactivate_and_activate_buttons(admin_client, db, app):
    user = make_user(roles=("sales",), password=PASSWORD)
    db.session.commit()
    their = login(app.test_client(), user.email)
    details = text(admin_client.get(f"/admin/users/details/?id={user.id}"))
    assert 'data-testid="deactivate"' in details and "data-confirm=" in details
    resp = admin_client.post("/admin/users/deactivate/", data={"id": user.id})
    assert resp.status_code == 302
    db.session.refresh(user)
    assert not user.active
    assert their.get("/admin/").status_code == 302  # their open session has ended
    admin_client.post("/admin/users/activate/", data={"id": user.id})
    db.session.refresh(user)
    assert user.active


def test_last_admin_cannot_be_deactivated_from_the_console(admin_client, db):
    resp = admin_client.post(
        "/admin/users/deactivate/", data={"id": admin_client.user.id}, follow_redirects=True
    )
    assert "Nie możesz dezaktywować własnego konta" in text(resp)
    assert admin_client.user.active
    # No other admin: demoting oneself is refused too.
    resp = admin_client.post(
        f"/admin/users/edit/?id={admin_client.user.id}",
        data={"name": "x", "email": admin_client.user.email, "roles": ["sales"], "locale": "pl"},
    )
    assert "Musi pozostać co najmniej jeden aktywny administrator" in text(resp)


def test_buttons_need_post(admin_client, db):
    user = make_user(roles=("sales",))
    assert admin_client.get(f"/admin/users/deactivate/?id={user.id}").status_code == 405
    assert admin_client.post("/admin/users/deactivate/", data={"id": 999999}).status_code == 404


def test_reset_password_shows_the_new_one_once(admin_client, db, app):
    user = make_user(roles=("sales",), password=PASSWORD)
    db.session.commit()
    resp = admin_client.post("/admin/users/reset-password/", data={"id": user.id})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    new = re.search(r'value="([^"]+)"\s+readonly', text(resp)).group(1)
    assert login(app.test_client(), user.email, new).get("/admin/").status_code == 200
    resp = app.test_client().post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 200  # the old password no longer works


def test_batch_deactivate_is_all_or_nothing(admin_client, db):
    a = make_user(roles=("sales",))
    b = make_user(roles=("rma",))
    db.session.commit()
    resp = admin_client.post(
        "/admin/users/action/",
        data={"action": "deactivate", "rowid": [a.id, b.id, admin_client.user.id]},
        follow_redirects=True,
    )
    assert "Niczego nie zmieniono" in text(resp)
    db.session.refresh(a)
    assert a.active
    resp = admin_client.post(
        "/admin/users/action/",
        data={"action": "deactivate", "rowid": [a.id, b.id]},
        follow_redirects=True,
    )
    assert "Zmieniono 2 konta" in text(resp)
    db.session.refresh(a), db.session.refresh(b)
    assert not a.active and not b.active


def test_details_show_recent_activity(admin_client, db):
    user = make_user(roles=("sales",))
    admin_client.post("/admin/users/deactivate/", data={"id": user.id})
    page = text(admin_client.get(f"/admin/users/details/?id={user.id}"))
    assert "staff.deactivate" in page


def test_export_xlsx_lists_users_with_role_names(admin_client, db):
    from io import BytesIO

    from openpyxl import load_workbook

    make_user(roles=("sales", "rma"), name='=HYPERLINK("x")')
    resp = admin_client.get("/admin/users/export/xlsx/")
    assert resp.status_code == 200
    rows = list(load_workbook(BytesIO(resp.data)).active.values)
    cells = [c for row in rows for c in row if isinstance(c, str)]
    assert any("Sprzedaż" in c and "Zwroty (RMA)" in c for c in cells)
    assert not any(c.startswith("=") for c in cells)


@pytest.mark.parametrize("bad", ["abc", "None", "-1", "99999999999999999999", "1.5"])
def test_garbage_ids_are_no_such_record(admin_client, bad):
    for page in ("details", "edit"):
        resp = admin_client.get(f"/admin/users/{page}/?id={bad}")
        assert resp.status_code == 302  # back to the list with "Record does not exist"
