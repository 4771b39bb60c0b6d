"""Offer arithmetic, pure and Decimal-only: packaging, discounts, the final-total mode, VAT.

Rules (one place for each):

* a quantity that is not a multiple of the chosen package is rounded *up* to whole packages;
* unit-price mode: price after discount = round(unit price × (100 − discount %) / 100, 2);
  line net = round(quantity × price after discount, 2);
* final-total mode: the rep's net total is spread over the non-optional product lines in
  proportion to their unit-price-mode values; every line gets its share rounded down to the
  cent, and the cents left over go one each to the lines with the largest remainders (ties:
  the earlier line), so the lines always add up to the total exactly;
* optional lines are priced at their own unit prices, shown but never summed;
* VAT is computed per rate on the sum of net values at that rate (as on a Polish invoice);
* margin = net − purchase price × quantity, over the lines whose purchase price is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
UNIT_PLACES = Decimal("0.0001")


def money(value: Decimal) -> Decimal:
    """Round half up to the cent."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineInput:
    """A product line as the rep entered it."""

    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    discount_pct: Decimal = Decimal("0")
    optional: bool = False
    package_quantity: Decimal | None = None
    purchase_price: Decimal | None = None


@dataclass(frozen=True)
class ServiceInput:
    """An extra service line."""

    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class PricedLine:
    quantity: Decimal
    #: The quantity entered, when it was rounded up to whole packages.
    rounded_from: Decimal | None
    final_unit_price: Decimal
    net: Decimal
    vat_rate: Decimal
    optional: bool
    margin: Decimal | None


@dataclass(frozen=True)
class VatRow:
    rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class OfferTotals:
    lines: list[PricedLine]
    services: list[Decimal]
    by_rate: list[VatRow]
    net: Decimal
    vat: Decimal
    gross: Decimal
    optional_net: Decimal
    margin: Decimal | None
    margin_pct: Decimal | None
    #: False when some summed line has no purchase price (the margin covers only the others).
    margin_complete: bool
    notices: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)


class PricingError(ValueError):
    """The inputs cannot be priced (e.g. a final total over lines worth nothing)."""


def round_to_package(quantity: Decimal, package: Decimal | None) -> Decimal:
    """The smallest multiple of ``package`` not below ``quantity`` (unchanged without one)."""
    if not package or package <= 0:
        return quantity
    packages = (quantity / package).to_integral_value(rounding=ROUND_CEILING)
    rounded = packages * package
    return quantity if rounded == quantity else rounded


def discounted_unit_price(unit_price: Decimal, discount_pct: Decimal) -> Decimal:
    return money(unit_price * (HUNDRED - discount_pct) / HUNDRED)


def spread_total(bases: Sequence[Decimal], total: Decimal) -> list[Decimal]:
    """Split ``total`` in proportion to ``bases``; shares add up to ``total`` exactly."""
    whole = sum(bases, Decimal("0"))
    if not bases:
        return []
    if whole <= 0:
        raise PricingError("the lines are worth nothing, a total cannot be spread over them")
    exact = [total * b / whole for b in bases]
    shares = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int(((total - sum(shares, Decimal("0"))) / CENT).to_integral_value())
    order = sorted(range(len(bases)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += CENT
    return shares


def vat_rows(items: Sequence[tuple[Decimal, Decimal]]) -> list[VatRow]:
    """(rate, net) pairs → one row per rate, highest rate first."""
    nets: dict[Decimal, Decimal] = {}
    for rate, net in items:
        key = Decimal(rate).normalize()
        nets[key] = nets.get(key, Decimal("0")) + net
    rows = []
    for rate in sorted(nets, reverse=True):
        net = money(nets[rate])
        vat = money(net * rate / HUNDRED)
        rows.append(VatRow(rate, net, vat, net + vat))
    return rows


def price_offer(
    lines: Sequence[LineInput],
    services: Sequence[ServiceInput] = (),
    final_total: Decimal | None = None,
) -> OfferTotals:
    """Price a version; ``final_total`` switches to final-total mode."""
    quantities, notices = [], []
    for i, line in enumerate(lines):
        qty = round_to_package(line.quantity, line.package_quantity)
        if qty != line.quantity:
            notices.append((i, line.quantity, qty))
        quantities.append(qty)
    base = [
        money(q * discounted_unit_price(ln.unit_price, ln.discount_pct))
        for q, ln in zip(quantities, lines, strict=True)
    ]
    nets = list(base)
    if final_total is not None:
        summed = [i for i, ln in enumerate(lines) if not ln.optional]
        for i, share in zip(
            summed, spread_total([base[i] for i in summed], final_total), strict=True
        ):
            nets[i] = share
    priced = [
        _priced(ln, q, nets[i], i, notices)
        for i, (ln, q) in enumerate(zip(lines, quantities, strict=True))
    ]
    service_nets = [money(s.quantity * s.unit_price) for s in services]
    return _totals(priced, services, service_nets, notices)


def _priced(line: LineInput, qty: Decimal, net: Decimal, index: int, notices) -> PricedLine:
    rounded = next((entered for i, entered, _q in notices if i == index), None)
    unit = (net / qty).quantize(UNIT_PLACES, rounding=ROUND_HALF_UP) if qty else Decimal("0")
    margin = None
    if line.purchase_price is not None:
        margin = net - money(line.purchase_price * qty)
    return PricedLine(qty, rounded, unit, net, line.vat_rate, line.optional, margin)


def _totals(priced, services, service_nets, notices) -> OfferTotals:
    summed = [p for p in priced if not p.optional]
    rows = vat_rows(
        [(p.vat_rate, p.net) for p in summed]
        + [(s.vat_rate, n) for s, n in zip(services, service_nets, strict=True)]
    )
    known = [p for p in summed if p.margin is not None]
    margin = sum((p.margin for p in known), Decimal("0")) if known else None
    known_net = sum((p.net for p in known), Decimal("0"))
    margin_pct = money(margin * HUNDRED / known_net) if known and known_net else None
    return OfferTotals(
        lines=priced,
        services=service_nets,
        by_rate=rows,
        net=sum((r.net for r in rows), Decimal("0.00")),
        vat=sum((r.vat for r in rows), Decimal("0.00")),
        gross=sum((r.gross for r in rows), Decimal("0.00")),
        optional_net=sum((p.net for p in priced if p.optional), Decimal("0.00")),
        margin=margin,
        margin_pct=margin_pct,
        margin_complete=len(known) == len(summed),
        notices=notices,
    )


def accepted_net(line_net: Decimal, offered: Decimal, accepted: Decimal) -> Decimal:
    """Value of an accepted part of a line: the whole line value, or its proportion."""
    if accepted == offered:
        return line_net
    return money(line_net * accepted / offered)
