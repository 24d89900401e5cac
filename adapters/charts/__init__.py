"""Charts for digests and stats: PNGs drawn with matplotlib (Agg) off the event loop."""

from adapters.charts.lines import LineCharts

__all__ = ["LineCharts"]
