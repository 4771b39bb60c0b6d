"""Amounts in Polish words, as printed on documents: "tysiąc dwieście trzydzieści cztery
złote 50/100"."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

UNITS = (
    "",
    "jeden",
    "dwa",
    "trzy",
    "cztery",
    "pięć",
    "sześć",
    "siedem",
    "osiem",
    "dziewięć",
)
TEENS = (
    "dziesięć",
    "jedenaście",
    "dwanaście",
    "trzynaście",
    "czternaście",
    "piętnaście",
    "szesnaście",
    "siedemnaście",
    "osiemnaście",
    "dziewiętnaście",
)
TENS = (
    "",
    "",
    "dwadzieścia",
    "trzydzieści",
    "czterdzieści",
    "pięćdziesiąt",
    "sześćdziesiąt",
    "siedemdziesiąt",
    "osiemdziesiąt",
    "dziewięćdziesiąt",
)
HUNDREDS = (
    "",
    "sto",
    "dwieście",
    "trzysta",
    "czterysta",
    "pięćset",
    "sześćset",
    "siedemset",
    "osiemset",
    "dziewięćset",
)
#: (one, 2–4, 5+) forms of each power of a thousand.
SCALES = (
    ("", "", ""),
    ("tysiąc", "tysiące", "tysięcy"),
    ("milion", "miliony", "milionów"),
    ("miliard", "miliardy", "miliardów"),
    ("bilion", "biliony", "bilionów"),
)
#: Currency names in the three forms; unknown currencies are written as their code.
CURRENCIES = {
    "PLN": ("złoty", "złote", "złotych"),
    "EUR": ("euro", "euro", "euro"),
    "USD": ("dolar", "dolary", "dolarów"),
    "GBP": ("funt", "funty", "funtów"),
    "CHF": ("frank", "franki", "franków"),
    "CZK": ("korona", "korony", "koron"),
}


def plural_form(n: int, forms: tuple[str, str, str]) -> str:
    """The Polish noun form for ``n``: 1 złoty, 2–4 złote (not 12–14), otherwise złotych."""
    if n == 1:
        return forms[0]
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return forms[1]
    return forms[2]


def _triple(n: int) -> list[str]:
    words = [HUNDREDS[n // 100]]
    rest = n % 100
    if 10 <= rest < 20:
        words.append(TEENS[rest - 10])
    else:
        words += [TENS[rest // 10], UNITS[rest % 10]]
    return [w for w in words if w]


def number_in_words(n: int) -> str:
    """A non-negative integer in Polish words ("tysiąc dwieście trzydzieści cztery")."""
    if n < 0:
        return "minus " + number_in_words(-n)
    if n == 0:
        return "zero"
    groups = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    if len(groups) > len(SCALES):
        raise ValueError("number too large to write in words")
    words: list[str] = []
    for power in range(len(groups) - 1, -1, -1):
        group = groups[power]
        if not group:
            continue
        if power and group == 1:
            words.append(SCALES[power][0])  # "tysiąc", not "jeden tysiąc"
            continue
        words += _triple(group)
        if power:
            words.append(plural_form(group, SCALES[power]))
    return " ".join(words)


def amount_in_words(amount: Decimal, currency: str = "PLN") -> str:
    """E.g. Decimal("1234.50") → "tysiąc dwieście trzydzieści cztery złote 50/100"."""
    amount = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "minus " if amount < 0 else ""
    amount = abs(amount)
    whole = int(amount)
    cents = int((amount - whole) * 100)
    forms = CURRENCIES.get(currency.upper(), (currency, currency, currency))
    return f"{sign}{number_in_words(whole)} {plural_form(whole, forms)} {cents:02d}/100"
