"""A small line chart as inline SVG (no JavaScript, no CDN): a campaign's activity over time.

Pure: numbers in, SVG text out; every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 34


def line_chart(
    labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]], title: str = ""
) -> str:
    """``series`` is (name, colour, values); ``labels`` name the buckets (x axis)."""
    count = max(1, len(labels))
    peak = max([1, *(max(values, default=0) for _n, _c, values in series)])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(v: int) -> float:
        return TOP + plot_h - plot_h * v / peak

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="w-100" data-testid="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for step in range(5):
        value = round(peak * step / 4)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#e4e8ee"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#6b7785">{value}</text>'
        )
    every = max(1, count // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - 12}" font-size="11" text-anchor="middle" '
                f'fill="#6b7785">{escape(label)}</text>'
            )
    for name, colour, values in series:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline fill="none" stroke="{escape(colour)}" stroke-width="2" points="{points}">'
            f"<title>{escape(name)}</title></polyline>"
        )
    parts.append("</svg>")
    return "".join(parts)
