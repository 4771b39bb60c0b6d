"""Polish by default, English on request: catalogs complete, money, numbers, Warsaw time."""

import datetime as dt
from decimal import Decimal

import pytest
from flask_babel import force_locale

from backoffice.i18n import format_money, format_number, format_when
from backoffice.i18n_catalogs import missing

NBSP = "\u00a0"


def plain(text: str) -> str:
    """Babel separates thousands and the currency with (narrow) no-break spaces."""
    return text.replace(NBSP, " ").replace("\u202f", " ")


def test_every_message_has_a_polish_translation():
    untranslated = missing()
    lines = sorted(f"{where}: {msgid!r}" for msgid, where in untranslated.items())
    listing = "\n".join(lines[:60]) + ("\n…" if len(lines) > 60 else "")
    assert not untranslated, (
        f"{len(untranslated)} strings lack a Polish translation "
        f"(python -m backoffice.i18n_catalogs PREFIX):\n{listing}"
    )


@pytest.mark.parametrize(
    "locale,amount,expected",
    [
        ("pl", Decimal("1234.56"), "1 234,56 zł"),
        ("pl", Decimal("-0.5"), "-0,50 zł"),
        ("pl", Decimal("1000000"), "1 000 000,00 zł"),
        ("en", Decimal("1234.56"), "PLN 1,234.56"),
        ("en", "99.9", "PLN 99.90"),
        ("en", Decimal("-5"), "-PLN 5.00"),
    ],
)
def test_money(app, locale, amount, expected):
    with app.test_request_context(), force_locale(locale):
        assert plain(format_money(amount)) == expected


def test_money_in_euro_and_empty(app):
    with app.test_request_context(), force_locale("pl"):
        assert plain(format_money(Decimal("10"), "EUR")) == "10,00 €"
        assert format_money(None) == "" and format_number(None) == ""


def test_numbers_drop_trailing_zeros_of_quantities(app):
    with app.test_request_context(), force_locale("pl"):
        assert plain(format_number(Decimal("1234.500"))) == "1 234,5"
        assert format_number(Decimal("3.000")) == "3"
        assert plain(format_number(Decimal("2.5"), digits=2)) == "2,50"
    with app.test_request_context(), force_locale("en"):
        assert format_number(Decimal("1234.5")) == "1,234.5"


@pytest.mark.parametrize(
    "utc,expected",
    [
        (dt.datetime(2026, 1, 15, 23, 30, tzinfo=dt.UTC), "16.01.2026, 00:30"),  # UTC+1
        (dt.datetime(2026, 7, 15, 22, 30, tzinfo=dt.UTC), "16.07.2026, 00:30"),  # UTC+2
        (dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC), "29.03.2026, 01:59"),  # before DST
        (dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC), "29.03.2026, 03:00"),  # after DST
    ],
)
def test_datetimes_are_shown_in_warsaw_time(app, utc, expected):
    with app.test_request_context(), force_locale("pl"):
        assert plain(format_when(utc)) == expected


def test_dates_in_both_languages(app):
    day = dt.date(2026, 5, 3)
    with app.test_request_context(), force_locale("pl"):
        assert format_when(day) == "3 maj 2026"
    with app.test_request_context(), force_locale("en"):
        assert format_when(day) == "May 3, 2026"
    assert format_when(None) == ""


def test_filters_in_templates(app):
    with app.test_request_context(), force_locale("pl"):
        rendered = app.jinja_env.from_string("{{ 1234.5|money }} · {{ 'sales'|role_label }}")
        assert plain(rendered.render()) == "1 234,50 zł · Sprzedaż"


def test_flask_admin_speaks_polish(admin_client):
    page = admin_client.get("/admin/users/").get_data(as_text=True)
    assert '<html lang="pl">' in page
    for polish in ("Lista", "Tworzenie", "Eksport", "Dodaj filtr", "Szukaj"):
        assert polish in page, polish


def test_wtforms_messages_are_polish(admin_client):
    resp = admin_client.post("/admin/users/new/", data={"email": "a@example.com"})
    assert "To pole jest wymagane." in resp.get_data(as_text=True)


def test_language_follows_the_user_and_the_login_page_choice(staff_client, client, db):
    english = staff_client("sales", locale="en")
    page = english.get("/admin/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log out" in page
    assert '<html lang="pl">' in client.get("/login").get_data(as_text=True)
    client.post("/language/en", data={"next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_api_follows_accept_language(client):
    resp = client.get("/api/v1/no-such-endpoint", headers={"Accept-Language": "en"})
    assert resp.status_code in (401, 404)
