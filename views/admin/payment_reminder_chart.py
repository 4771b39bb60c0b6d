"""The ageing chart: an inline SVG bar chart (no script, no CDN), one bar per bucket."""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup

from backoffice.i18n import format_money

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 640, 240, 24, 40, 12
COLOURS = ("#2e7d32", "#f9a825", "#ef6c00", "#d84315", "#b71c1c")


def ageing_svg(totals: dict | None, buckets) -> Markup:
    """Bars of the outstanding amount in each bucket (one currency's totals row)."""
    if not totals or not totals.get("total"):
        return Markup("")
    values = [Decimal(totals[key]) for key, _label in buckets]
    peak = max(values) or Decimal(1)
    slot = (WIDTH - 2 * LEFT) / len(values)
    plot = HEIGHT - TOP - BOTTOM
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" '
            'width="100%" style="max-width:{}px" data-testid="ageing-chart">'
        ).format(WIDTH, HEIGHT, WIDTH)
    ]
    for i, ((_key, label), value, colour) in enumerate(zip(buckets, values, COLOURS, strict=True)):
        bar = int(plot * float(value / peak))
        x = LEFT + i * slot + slot * 0.15
        y = TOP + plot - bar
        parts.append(
            Markup(
                '<rect x="{:.0f}" y="{}" width="{:.0f}" height="{}" fill="{}"><title>{}: {}</title>'
                "</rect>"
                '<text x="{:.0f}" y="{}" font-size="11" text-anchor="middle">{}</text>'
                '<text x="{:.0f}" y="{}" font-size="12" text-anchor="middle">{}</text>'
            ).format(
                x,
                y,
                slot * 0.7,
                max(bar, 1),
                colour,
                label,
                format_money(value, totals["currency"]),
                x + slot * 0.35,
                y - 6,
                format_money(value, totals["currency"]),
                x + slot * 0.35,
                HEIGHT - BOTTOM + 18,
                label,
            )  # fmt: skip
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
