"""Parsing single cells of an imported CSV/XLSX file into Python values.

Every parser takes the raw cell (text from a CSV; text, number, bool or date from XLSX),
returns ``None`` for an empty cell and raises ``CellError`` with a user-readable message
otherwise. Polish conventions are accepted: decimal commas, "tak"/"nie", "23%".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backoffice.errors import ValidationFailed
from backoffice.validators import (
    normalise_ean,
    normalise_email,
    normalise_nip,
    normalise_phone,
)

Parser = Callable[[object], object]
TRUE_WORDS = {"1", "tak", "t", "yes", "y", "true", "prawda", "x", "✓"}
FALSE_WORDS = {"0", "nie", "n", "no", "false", "fałsz", "falsz", "-"}
VAT_RATES = (Decimal("23"), Decimal("8"), Decimal("5"), Decimal("0"))


class CellError(Exception):
    """A cell's value is unusable; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = str(message)


@dataclass(frozen=True)
class Column:
    """One importable column: its key, accepted headers, parser and documentation."""

    key: str
    header_pl: str
    header_en: str
    parse: Parser
    help: object = ""  # lazy string shown on the upload page
    aliases: tuple[str, ...] = ()
    example: object = ""


def raw_text(value) -> str:
    """The cell as stripped text; whole-number floats from XLSX lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).replace("\u00a0", " ").strip()


def text(max_length: int) -> Parser:
    """Free text up to ``max_length`` characters."""

    def parse(value):
        value = raw_text(value)
        if not value:
            return None
        if len(value) > max_length:
            raise CellError(_("Too long: at most %(n)d characters.", n=max_length))
        return value

    return parse


def _wrap(normaliser) -> Parser:
    def parse(value):
        value = raw_text(value)
        if not value:
            return None
        try:
            return normaliser(value)
        except ValidationFailed as exc:
            raise CellError(exc.message) from exc

    return parse


nip = _wrap(normalise_nip)
ean = _wrap(normalise_ean)
phone = _wrap(normalise_phone)
email = _wrap(lambda v: normalise_email(v, required=False))


def decimal(places: int, minimum: Decimal | None = Decimal(0)) -> Parser:
    """A number with at most ``places`` decimals: "1 234,56", "1234.56" or an XLSX number."""

    def parse(value):
        if isinstance(value, bool):
            raise CellError(_("Not a number."))
        if isinstance(value, int | float):
            number = _from_float(value, places)
        else:
            number = _parse_decimal_text(raw_text(value))
            if number is None:
                return None
        if number.as_tuple().exponent < -places:
            raise CellError(_("At most %(n)d decimal places allowed.", n=places))
        if minimum is not None and number < minimum:
            raise CellError(_("Must not be less than %(n)s.", n=minimum))
        if number.adjusted() >= 12 - places:
            raise CellError(_("The number is too large."))
        return number.quantize(Decimal(1).scaleb(-places))

    return parse


def _from_float(value: float, places: int) -> Decimal:
    number = Decimal(repr(value))
    rounded = number.quantize(Decimal(1).scaleb(-places))
    # Spreadsheet arithmetic leaves 30.000000000000004; anything that close is the rounded value.
    return rounded if abs(number - rounded) < Decimal("1e-9") else number


def _parse_decimal_text(value: str) -> Decimal | None:
    if not value:
        return None
    cleaned = re.sub(r"[\s']|zł|pln", "", value, flags=re.IGNORECASE)
    if "," in cleaned and "." in cleaned:
        # The last separator is the decimal one: "1.234,56" or "1,234.56".
        thousands = "." if cleaned.rfind(",") > cleaned.rfind(".") else ","
        cleaned = cleaned.replace(thousands, "")
    cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", cleaned):
        raise CellError(_("Not a number: %(value)s.", value=value))
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:
        raise CellError(_("Not a number: %(value)s.", value=value)) from exc


def integer(minimum: int, maximum: int) -> Parser:
    """A whole number within [minimum, maximum]."""
    to_decimal = decimal(0, minimum=None)

    def parse(value):
        try:
            number = to_decimal(value)
        except CellError as exc:
            raise CellError(_("Not a whole number.")) from exc
        if number is None:
            return None
        if not minimum <= number <= maximum:
            raise CellError(_("Must be between %(low)d and %(high)d.", low=minimum, high=maximum))
        return int(number)

    return parse


def boolean(value):
    """tak/nie, yes/no, 1/0, true/false, x; None when empty."""
    if isinstance(value, bool):
        return value
    word = raw_text(value).casefold()
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(_("Use tak/nie (yes/no, 1/0)."))


def vat_rate(value):
    """23, "23%", "8 %" or an XLSX percentage 0.23 → Decimal("23"); only 23, 8, 5, 0."""
    if isinstance(value, float) and 0 < value < 1:
        value = value * 100
    text_value = raw_text(value).removesuffix("%").strip()
    if not text_value:
        return None
    try:
        rate = _parse_decimal_text(text_value)
    except CellError:
        rate = None
    rate = rate.normalize() if rate is not None else None
    for allowed in VAT_RATES:
        if rate is not None and rate == allowed:
            return allowed
    raise CellError(
        _("VAT rate must be one of: %(rates)s.", rates=", ".join(f"{r}%" for r in VAT_RATES))
    )


def country(value):
    """A two-letter country code, upper case."""
    code = raw_text(value).upper()
    if not code:
        return None
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise CellError(_("Use a two-letter country code such as PL or DE."))
    return code


def locale(value):
    """pl or en."""
    code = raw_text(value).lower()
    if not code:
        return None
    if code not in {"pl", "en"}:
        raise CellError(_("Language must be pl or en."))
    return code


def group_path(value) -> tuple[str, ...] | None:
    """ "Elektronika / Kable" or "Elektronika > Kable" → ("Elektronika", "Kable")."""
    path = raw_text(value)
    if not path:
        return None
    parts = tuple(p.strip() for p in re.split(r"\s*[/>]\s*", path))
    if any(not p for p in parts):
        raise CellError(_("Empty group name in the path %(value)s.", value=path))
    if any(len(p) > 200 for p in parts):
        raise CellError(_("A group name is longer than 200 characters."))
    return parts


def packaging(value) -> list[tuple[str, Decimal]] | None:
    """ "karton:12|paleta:480" → [("karton", 12), ("paleta", 480)]; quantities > 0."""
    spec = raw_text(value)
    if not spec:
        return None
    units, names = [], set()
    for part in spec.split("|"):
        name, sep, qty = part.rpartition(":") if ":" in part else part.rpartition("=")
        name = name.strip()
        if not sep or not name or len(name) > 64:
            raise CellError(_("Packaging must look like karton:12|paleta:480."))
        quantity = decimal(3, minimum=None)(qty)
        if quantity is None or quantity <= 0:
            raise CellError(_("Packaging quantity must be greater than 0 (%(name)s).", name=name))
        if name.casefold() in names:
            raise CellError(_("Packaging %(name)s is listed twice.", name=name))
        names.add(name.casefold())
        units.append((name, quantity))
    return units


#: Lazy labels reused by the column lists of both kinds.
YES_NO_HELP = _l("tak/nie (also yes/no, 1/0)")


@dataclass
class ParsedRow:
    """One data row: its line in the file and its parsed values by column key."""

    line: int
    values: dict
    #: Keys of the cells that could not be parsed (their values are None).
    bad: set = field(default_factory=set)


@dataclass(frozen=True)
class RowError:
    """Why a row (or, with line 0, the whole file) cannot be imported."""

    line: int
    column: str
    message: str
    value: str = ""


def chunked(items: list, size: int = 500):
    """Slices of ``items`` small enough for an SQL ``IN (…)`` on every database."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
