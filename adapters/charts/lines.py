"""Line charts of a week per network as PNG bytes (matplotlib's Agg canvas, no pyplot)."""

from __future__ import annotations

import asyncio
import io
import math
import threading

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from core.metrics import ChartSeries
from core.model import Network

__all__ = ["COLORS", "LineCharts"]

COLORS = {
    Network.INSTAGRAM: "#d62976",
    Network.FACEBOOK: "#1877f2",
    Network.TIKTOK: "#111111",
    Network.YOUTUBE: "#ff0000",
    Network.LINKEDIN: "#0a66c2",
    Network.X: "#7f7f7f",
}


class LineCharts:
    """core.ports.ChartRenderer: draws in a worker thread, one chart at a time.

    Figures are made without pyplot, so no global figure state is shared; the lock is there
    because matplotlib's font caches are not documented as thread-safe.
    """

    def __init__(self, *, width: float = 6.0, height: float = 3.0, dpi: int = 80) -> None:
        self._size = (width, height)
        self._dpi = dpi
        self._lock = threading.Lock()

    async def render(self, chart: ChartSeries) -> bytes | None:
        if not any(v is not None for line in chart.lines.values() for v in line):
            return None
        return await asyncio.to_thread(self.draw, chart)

    def draw(self, chart: ChartSeries) -> bytes:
        """The PNG (blocking: call through `render` from async code)."""
        with self._lock:
            figure = Figure(figsize=self._size, dpi=self._dpi)
            FigureCanvasAgg(figure)
            axes = figure.add_axes((0.09, 0.13, 0.68, 0.74))
            x = list(range(len(chart.days)))
            for network, values in chart.lines.items():
                # Unknown days are gaps in the line, never drawn as zero.
                ys = [math.nan if v is None else float(v) for v in values]
                axes.plot(
                    x,
                    ys,
                    marker="o",
                    markersize=3,
                    linewidth=1.6,
                    color=COLORS.get(network, "#444444"),
                    label=network.label,
                )
            axes.set_xticks(x, [f"{d:%a}\n{d.day}" for d in chart.days], fontsize=8)
            axes.tick_params(axis="y", labelsize=8)
            axes.set_ylim(bottom=0)
            axes.grid(True, axis="y", alpha=0.3)
            for side in ("top", "right"):
                axes.spines[side].set_visible(False)
            axes.set_title(chart.title, fontsize=10, loc="left")
            axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
            out = io.BytesIO()
            figure.savefig(out, format="png", dpi=self._dpi)
            return out.getvalue()
