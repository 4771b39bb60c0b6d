"""Offer arithmetic: packaging, discounts, the final-total spread, VAT per rate, margins, and
amounts in Polish words."""

from decimal import Decimal as D

import pytest

from backoffice.services.offer_pricing import (
    LineInput,
    PricingError,
    ServiceInput,
    accepted_net,
    price_offer,
    round_to_package,
    spread_total,
)
from reports.amount_in_words import amount_in_words


@pytest.mark.parametrize(
    "qty,package,expected",
    [
        ("10", "12", "12"),
        ("12", "12", "12"),
        ("13", "12", "24"),
        ("1.5", "0.5", "1.5"),
        ("7", None, "7"),
    ],
)
def test_quantity_rounds_up_to_whole_packages(qty, package, expected):
    assert round_to_package(D(qty), D(package) if package else None) == D(expected)


def test_unit_price_mode_discount_vat_optional_and_margin():
    totals = price_offer(
        [
            LineInput(
                D("10"),
                D("100.00"),
                D("23"),
                D("5"),
                package_quantity=D("12"),
                purchase_price=D("50"),
            ),
            LineInput(D("3"), D("19.99"), D("8")),
            LineInput(D("1"), D("500"), D("23"), optional=True),
        ],
        [ServiceInput(D("1"), D("150.00"), D("23"))],
    )
    first, second, optional = totals.lines
    assert (first.quantity, first.rounded_from, first.final_unit_price) == (
        D("12"),
        D("10"),
        D("95"),
    )
    assert first.net == D("1140.00") and second.net == D("59.97") and optional.net == D("500.00")
    assert [(r.rate, r.net, r.vat, r.gross) for r in totals.by_rate] == [
        (D("23"), D("1290.00"), D("296.70"), D("1586.70")),
        (D("8"), D("59.97"), D("4.80"), D("64.77")),
    ]
    assert totals.net == D("1349.97") and totals.gross == D("1651.47")
    assert totals.optional_net == D("500.00")
    assert totals.margin == D("540.00") and not totals.margin_complete  # line 2 has no cost
    assert totals.notices == [(0, D("10"), D("12"))]


def test_final_total_is_spread_exactly_with_deterministic_cents():
    lines = [LineInput(D("3"), D("10"), D("23")) for _ in range(3)] + [
        LineInput(D("1"), D("99"), D("23"), optional=True)
    ]
    totals = price_offer(lines, final_total=D("100.00"))
    nets = [p.net for p in totals.lines]
    assert nets[:3] == [D("33.34"), D("33.33"), D("33.33")]  # the spare cent goes to line 1
    assert nets[3] == D("99.00")  # optional lines keep their own price
    assert sum(nets[:3]) == D("100.00") and totals.net == D("100.00")
    assert totals.lines[0].final_unit_price == D("11.1133")
    assert price_offer(lines, final_total=D("100.00")).lines == totals.lines


def test_spread_follows_proportions_and_largest_remainders():
    assert spread_total([D("1"), D("2"), D("3")], D("1.00")) == [D("0.17"), D("0.33"), D("0.50")]
    assert sum(spread_total([D("7"), D("13"), D("29"), D("31")], D("999.99"))) == D("999.99")
    with pytest.raises(PricingError):
        spread_total([D("0"), D("0")], D("10"))


def test_partial_acceptance_value():
    assert accepted_net(D("1140.00"), D("12"), D("12")) == D("1140.00")
    assert accepted_net(D("33.34"), D("3"), D("1")) == D("11.11")


@pytest.mark.parametrize(
    "amount,words",
    [
        ("1234.50", "tysiąc dwieście trzydzieści cztery złote 50/100"),
        ("0", "zero złotych 00/100"),
        ("1", "jeden złoty 00/100"),
        ("12", "dwanaście złotych 00/100"),
        ("22.05", "dwadzieścia dwa złote 05/100"),
        ("1001", "tysiąc jeden złotych 00/100"),
        ("2000", "dwa tysiące złotych 00/100"),
        ("15112.99", "piętnaście tysięcy sto dwanaście złotych 99/100"),
        ("2500000.01", "dwa miliony pięćset tysięcy złotych 01/100"),
    ],
)
def test_amount_in_polish_words(amount, words):
    assert amount_in_words(D(amount)) == words


def test_amount_in_words_other_currency():
    assert amount_in_words(D("5"), "EUR") == "pięć euro 00/100"
