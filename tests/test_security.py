"""Passwords, redirects, access markers and role names."""

import pytest

from backoffice.security import (
    hash_password,
    needs_rehash,
    portal_required,
    public_view,
    role_label,
    safe_next,
    staff_required,
    verify_password,
)


@pytest.mark.parametrize(
    "target,expected",
    [
        (None, "/d"),
        ("", "/d"),
        ("/admin/offers/?page=2", "/admin/offers/?page=2"),
        ("admin", "/d"),
        ("https://evil.example.com/", "/d"),
        ("//evil.example.com", "/d"),
        ("/\\evil.example.com", "/d"),
        ("\\\\evil", "/d"),
        ("javascript:alert(1)", "/d"),
        ("/admin/\nLocation: x", "/d"),
        ("/%0d%0aSet-Cookie:x", "/%0d%0aSet-Cookie:x"),  # percent-encoded stays a local path
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target, "/d") == expected


def test_safe_next_with_prefix():
    assert safe_next("/portal/offers", "/portal/", prefix="/portal") == "/portal/offers"
    assert safe_next("/admin/", "/portal/", prefix="/portal") == "/portal/"


def test_passwords(app):
    digest = hash_password("Zażółć gęślą jaźń")
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "Zażółć gęślą jaźń")
    assert not verify_password(digest, "zażółć gęślą jaźń")
    assert not verify_password(None, "")
    assert not verify_password("not-a-hash", "x")


def test_needs_rehash_upgrades_weaker_parameters(app, monkeypatch):
    from argon2 import PasswordHasher

    monkeypatch.setitem(app.config, "FAST_PASSWORD_HASH", False)  # production parameters
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("x")
    assert needs_rehash(weak)
    assert not needs_rehash(PasswordHasher().hash("x"))
    assert needs_rehash("garbage")


def test_decorators_declare_access():
    def view():
        return "ok"

    assert staff_required("sales", "rma")(view).access == ("staff", ("sales", "rma"))
    assert portal_required(view).access == ("portal", ())
    assert public_view(view).access == ("public", ())


def test_role_labels_are_translated(app):
    with app.test_request_context():
        assert role_label("sales") == "Sprzedaż"
        assert role_label("rma") == "Zwroty (RMA)"
        assert role_label("unknown") == "unknown"
