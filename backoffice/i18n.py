"""Languages, translation catalogs and locale-aware formatting of money and dates.

Every area of the code keeps its own catalog under ``backoffice/translations/<area>/``
(``pl/LC_MESSAGES/messages.po``); Flask-Babel merges them. Catalogs are compiled to .mo on
start-up when the .po is newer, so a fresh checkout needs no extra step.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

from backoffice.extensions import babel

LANGUAGES = {"pl": "Polski", "en": "English"}
DEFAULT_LOCALE = "pl"
TRANSLATIONS_ROOT = Path(__file__).parent / "translations"


def catalog_dirs() -> list[Path]:
    """Every translation directory (one per area), sorted for a stable merge order."""
    return sorted(p for p in TRANSLATIONS_ROOT.iterdir() if p.is_dir())


def compile_catalogs() -> None:
    """Compile each .po whose .mo is missing or older; atomic so parallel starts are safe."""
    for po_path in TRANSLATIONS_ROOT.glob("*/*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parent.parent.name)
        fd, tmp = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog, use_fuzzy=False)
        os.replace(tmp, mo_path)


def select_locale() -> str:
    """The user's chosen language, else the one picked on the login page, else Polish."""
    if request and request.path.startswith("/api/"):
        return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LOCALE
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in LANGUAGES:
        return user_locale
    chosen = session.get("locale") if request else None
    return chosen if chosen in LANGUAGES else DEFAULT_LOCALE


def format_money(amount, currency: str = "PLN") -> str:
    """1 234,56 zł in Polish, PLN 1,234.56 in English; empty for None."""
    if amount is None or amount == "":
        return ""
    from babel.numbers import format_currency, get_currency_symbol

    locale = str(get_locale() or DEFAULT_LOCALE)
    text = format_currency(Decimal(amount), currency, locale=locale)
    symbol = get_currency_symbol(currency, locale=locale)
    if symbol.isalpha():
        # A code before the number reads better with a space: "PLN 1,234.56", not "PLN1,234.56".
        text = re.sub(rf"^(-?){re.escape(symbol)}(?=\d)", lambda m: m.group(0) + "\u00a0", text)
    return text


def format_number(value, digits: int | None = None) -> str:
    """A decimal number in the current locale (trailing zeros of quantities dropped)."""
    if value is None or value == "":
        return ""
    from babel.numbers import format_decimal

    value = Decimal(value)
    if digits is None:
        text = format(value.normalize(), "f")
        digits = len(text.split(".")[1]) if "." in text else 0
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=str(get_locale() or DEFAULT_LOCALE))


def format_when(value) -> str:
    """A date or datetime in the current locale and the Warsaw time zone."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return format_datetime(value, "short")
    return format_date(value, "medium")


def init_i18n(app: Flask) -> None:
    """Compile catalogs, wire Flask-Babel and register the formatting filters."""
    compile_catalogs()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(p) for p in catalog_dirs())
    babel.init_app(app, locale_selector=select_locale)
    from backoffice.security import role_label

    app.jinja_env.filters.update(
        money=format_money, number=format_number, when=format_when, role_label=role_label
    )
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, get_locale=get_locale)
