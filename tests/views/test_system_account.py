"""The console's own-account page: every staff user changes their password and language."""

from backoffice.security import verify_password
from tests.conftest import PASSWORD, login


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_every_staff_role_has_an_account_page(staff_client):
    for role in ("sales", "logistics"):
        c = staff_client(role)
        page = text(c.get("/admin/account/"))
        assert "Zmień hasło" in page and c.user.email in page


def test_account_page_is_not_in_the_menu_but_in_the_user_menu(staff_client):
    page = text(staff_client("sales").get("/admin/"))
    nav = page.split('data-testid="main-menu"')[1].split("</ul>")[0]
    assert "/admin/account/" not in nav
    assert 'data-testid="my-account"' in page


def test_change_password(staff_client, db, app):
    c = staff_client("sales")
    elsewhere = login(app.test_client(), c.user.email)  # the same user on another computer
    assert elsewhere.get("/admin/").status_code == 200
    resp = c.post(
        "/admin/account/",
        data={
            "form": "password",
            "pw-current": PASSWORD,
            "pw-new": "Nowe-hasło-2026",
            "pw-repeat": "Nowe-hasło-2026",
        },
    )
    assert resp.status_code == 302
    db.session.refresh(c.user)
    assert verify_password(c.user.password_hash, "Nowe-hasło-2026")
    assert c.get("/admin/").status_code == 200  # the session that changed it stays
    assert elsewhere.get("/admin/").status_code == 302  # every other one ends
    assert login(app.test_client(), c.user.email, "Nowe-hasło-2026")


def test_change_password_errors_stay_on_the_form(staff_client, db):
    c = staff_client("sales")
    cases = [
        (
            {"pw-current": "wrong", "pw-new": "Nowe-hasło-1", "pw-repeat": "Nowe-hasło-1"},
            "Obecne hasło jest nieprawidłowe",
        ),
        (
            {"pw-current": PASSWORD, "pw-new": "Nowe-hasło-1", "pw-repeat": "inne"},
            "Hasła się różnią",
        ),
        ({"pw-current": PASSWORD, "pw-new": "aaaaaaaaaa", "pw-repeat": "aaaaaaaaaa"}, "zbyt łatwe"),
    ]
    for data, message in cases:
        resp = c.post("/admin/account/", data={"form": "password", **data})
        assert resp.status_code == 200
        assert message in text(resp), message
    db.session.refresh(c.user)
    assert verify_password(c.user.password_hash, PASSWORD)


def test_change_language(staff_client, db):
    c = staff_client("sales")
    c.post("/admin/account/", data={"form": "language", "lang-locale": "en"})
    db.session.refresh(c.user)
    assert c.user.locale == "en"
    assert '<html lang="en">' in text(c.get("/admin/account/"))


def test_changes_of_the_own_account_are_audited_against_the_user(staff_client, db):
    from sqlalchemy import select

    from models import AuditEntry

    c = staff_client("sales")
    c.post("/admin/account/", data={"form": "language", "lang-locale": "en"})
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "staff.language")
    ).one()
    assert (entry.object_type, entry.object_id) == ("User", str(c.user.id))
    assert entry.actor_id == c.user.id and entry.changes == {"locale": ["pl", "en"]}
