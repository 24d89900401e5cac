"""The growth chart as inline SVG: presentation attributes only, so no style needs allowing."""

from __future__ import annotations

from html import escape

from core.metrics import ChartSeries
from core.model import Network

__all__ = ["COLORS", "growth_svg"]

COLORS = {n: n.colour for n in Network}
_W, _H, _PAD = 640, 220, 28


def growth_svg(chart: ChartSeries) -> str | None:
    """The chart, or None when no day has a number (the page then says n/a)."""
    known = [v for line in chart.lines.values() for v in line if v is not None]
    if not known or not chart.days:
        return None
    low, high = min(known), max(known)
    span = (high - low) or max(high, 1)
    steps = max(len(chart.days) - 1, 1)

    def point(i: int, v: int) -> str:
        x = _PAD + (_W - 2 * _PAD) * i / steps
        y = _H - _PAD - (_H - 2 * _PAD) * (v - low) / span
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-label="{escape(chart.title)} over {len(chart.days)} days" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" '
        'stroke="#d0d5dd" stroke-width="1"/>',
        f'<text x="{_PAD}" y="{_PAD - 10}" font-size="12" fill="#6b7280">{high:,}</text>',
        f'<text x="{_PAD}" y="{_H - 8}" font-size="12" fill="#6b7280">'
        f"{chart.days[0]:%d %b}</text>",
        f'<text x="{_W - _PAD}" y="{_H - 8}" font-size="12" fill="#6b7280" '
        f'text-anchor="end">{chart.days[-1]:%d %b}</text>',
    ]
    for network, values in chart.lines.items():
        colour = COLORS.get(network, "#444444")
        # Unknown days break the line: a gap, never a drop to zero.
        runs: list[list[str]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(point(i, v))
        for run in runs:
            if len(run) == 1:
                x, y = run[0].split(",")
                parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>')
            elif run:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    'stroke-width="2.5" stroke-linejoin="round"/>'
                )
    parts.append("</svg>")
    legend = " ".join(
        f'<span class="key"><svg viewBox="0 0 10 10" width="10" height="10" aria-hidden="true">'
        f'<rect width="10" height="10" fill="{COLORS.get(n, "#444444")}"/></svg> {n.label}</span>'
        for n in chart.lines
    )
    return "".join(parts) + f'<p class="legend">{legend}</p>'
