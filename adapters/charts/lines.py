"""Line charts of a week per network as PNG bytes (matplotlib's Agg canvas, no pyplot)."""

from __future__ import annotations

import asyncio
import io
import math
import threading
from datetime import date
from typing import TYPE_CHECKING

from core.metrics import ChartSeries
from core.model import Network

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

__all__ = ["COLORS", "LineCharts"]

COLORS = {n: n.colour for n in Network}


class LineCharts:
    """core.analytics_ports.ChartRenderer: draws in a worker thread, one chart at a time.

    One figure is built once and redrawn for each chart: only the lines' values, the y
    scale, and (when they change) the day labels and the legend are set again, which is
    about half the cost of building a figure per chart. Figures are made without pyplot, so
    no global figure state is shared; the lock keeps one drawing at a time on the figure
    (and matplotlib's font caches are not documented as thread-safe).
    """

    def __init__(self, *, width: float = 6.0, height: float = 3.0, dpi: int = 80) -> None:
        self._size = (width, height)
        self._dpi = dpi
        self._lock = threading.Lock()
        self._figure: Figure | None = None
        self._axes: Axes | None = None
        self._lines: dict[Network, Line2D] = {}
        self._days: tuple[date, ...] = ()
        self._title = ""
        self._legend: tuple[Network, ...] = ()

    async def render(self, chart: ChartSeries) -> bytes | None:
        if not any(v is not None for line in chart.lines.values() for v in line):
            return None
        return await asyncio.to_thread(self.draw, chart)

    def _build(self) -> tuple[Figure, Axes]:
        # Imported on the first chart, not at start: matplotlib and numpy are ~40 MB of a
        # process that may draw nothing for hours.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        figure = Figure(figsize=self._size, dpi=self._dpi)
        FigureCanvasAgg(figure)
        axes = figure.add_axes((0.09, 0.13, 0.68, 0.74))
        axes.tick_params(axis="y", labelsize=8)
        axes.grid(True, axis="y", alpha=0.3)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        for network in Network:
            (line,) = axes.plot(
                [],
                [],
                marker="o",
                markersize=3,
                linewidth=1.6,
                color=COLORS.get(network, "#444444"),
                label=network.label,
            )
            self._lines[network] = line
        self._figure, self._axes = figure, axes
        return figure, axes

    def draw(self, chart: ChartSeries) -> bytes:
        """The PNG (blocking: call through `render` from async code)."""
        with self._lock:
            figure, axes = (
                (self._figure, self._axes)
                if self._figure is not None and self._axes is not None
                else self._build()
            )
            x = list(range(len(chart.days)))
            if chart.days != self._days:
                axes.set_xticks(x, [f"{d:%a}\n{d.day}" for d in chart.days], fontsize=8)
                axes.set_xlim(-0.3, max(len(x) - 1, 0) + 0.3)
                self._days = chart.days
            if chart.title != self._title:
                axes.set_title(chart.title, fontsize=10, loc="left")
                self._title = chart.title
            top = 0.0
            for network, line in self._lines.items():
                values = chart.lines.get(network)
                line.set_visible(values is not None)
                if values is None:
                    continue
                # Unknown days are gaps in the line, never drawn as zero.
                ys = [math.nan if v is None else float(v) for v in values]
                line.set_data(x, ys)
                top = max([top, *(v for v in ys if not math.isnan(v))])
            axes.set_ylim(0, top * 1.05 if top > 0 else 1)
            shown = tuple(n for n in Network if n in chart.lines)
            if shown != self._legend:
                handles = [self._lines[n] for n in shown]
                axes.legend(
                    handles=handles,
                    loc="upper left",
                    bbox_to_anchor=(1.02, 1.0),
                    frameon=False,
                    fontsize=8,
                )
                self._legend = shown
            out = io.BytesIO()
            figure.savefig(out, format="png", dpi=self._dpi)
            return out.getvalue()
