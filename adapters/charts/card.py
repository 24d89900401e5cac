"""The media kit card as a PNG: name, networks, 30-day numbers, growth chart, top posts."""

from __future__ import annotations

import asyncio
import io
import math
import threading
from typing import TYPE_CHECKING, Any

from adapters.charts.lines import COLORS
from core.mediakit.facts import DAYS, KitFacts
from core.metrics import NA, format_count, format_rate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CARD_SIZE", "KitCards"]

# 1080 × 1350 px (4:5): within Telegram's photo limits (10 MB, width + height ≤ 10,000, ratio
# ≤ 20, https://core.telegram.org/bots/api#sendphoto) and Slack's file upload (1 GB,
# https://api.slack.com/methods/files.getUploadURLExternal); about 100 kB.
CARD_SIZE = (1080, 1350)
_DPI = 100
_INK, _MUTED, _ACCENT = "#1f2933", "#6b7280", "#3b5bdb"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


class KitCards:
    """core.mediakit.ports.CardRenderer: draws in a worker thread, one card at a time
    (matplotlib's font caches are not documented as thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    async def render(self, facts: KitFacts) -> bytes:
        return await asyncio.to_thread(self.draw, facts)

    def draw(self, facts: KitFacts) -> bytes:
        # Imported on the first card: matplotlib and numpy are ~40 MB a bot may never need.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        with self._lock:
            width, height = CARD_SIZE
            figure = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI, facecolor="white")
            FigureCanvasAgg(figure)
            self._chart(figure, facts, self._text(figure, facts))
            out = io.BytesIO()
            figure.savefig(out, format="png", dpi=_DPI, facecolor="white")
            return out.getvalue()

    def _text(self, figure: Figure, facts: KitFacts) -> float:
        """The name, networks and numbers; returns where the chart's block starts."""

        # parse_math=False: a "$" in a name or a post is text, not matplotlib's mathtext.
        def put(x: float, y: float, text: str, **style: Any) -> None:
            style.setdefault("color", _INK)
            figure.text(x, y, text, parse_math=False, **style)

        put(0.06, 0.945, _clip(facts.name, 40), fontsize=30, weight="bold")
        put(0.06, 0.915, "Media kit", fontsize=14, color=_MUTED)
        y = 0.87
        if not facts.networks:
            put(0.06, y, "No networks connected yet", fontsize=14, color=_MUTED)
            y -= 0.03
        for network in facts.networks[:6]:
            put(0.06, y, network.network.label, fontsize=15, weight="bold",
                color=COLORS.get(network.network, _INK))  # fmt: skip
            put(0.30, y, _clip(network.handle, 28) or NA, fontsize=15)
            put(0.94, y, f"{format_count(network.followers)} followers", fontsize=15, ha="right")
            y -= 0.032
        y -= 0.03
        tiles = (
            ("Followers", format_count(facts.followers)),
            (f"Views ({DAYS} days)", format_count(facts.views)),
            ("Engagement rate", format_rate(facts.rate)),
        )
        for n, (label, value) in enumerate(tiles):
            x = 0.06 + n * 0.31
            put(x, y, value, fontsize=28, weight="bold", color=_ACCENT)
            put(x, y - 0.03, label, fontsize=13, color=_MUTED)
        return y - 0.09

    def _chart(self, figure: Figure, facts: KitFacts, top: float) -> None:
        axes = figure.add_axes((0.09, top - 0.30, 0.85, 0.27))
        axes.set_title(f"Followers, last {DAYS} days", fontsize=13, loc="left", color=_INK)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.grid(True, axis="y", alpha=0.3)
        axes.tick_params(labelsize=10)
        days = facts.growth.days
        drawn = False
        for network, values in facts.growth.lines.items():
            ys = [math.nan if v is None else float(v) for v in values]
            if all(math.isnan(v) for v in ys):
                continue
            axes.plot(range(len(days)), ys, marker="o", markersize=3, linewidth=2,
                      color=COLORS.get(network, "#444444"), label=network.label)  # fmt: skip
            drawn = True
        if days:
            ticks = list(range(0, len(days), 7))
            axes.set_xticks(ticks, [f"{days[i]:%d %b}" for i in ticks])
        if drawn:
            axes.legend(loc="upper left", frameon=False, fontsize=10)
        else:
            axes.set_yticks([])
            axes.text(0.5, 0.5, "n/a — no follower numbers yet", transform=axes.transAxes,
                      ha="center", va="center", fontsize=14, color=_MUTED)  # fmt: skip
        y = top - 0.37
        figure.text(0.06, y, "Top posts", fontsize=16, weight="bold", color=_INK)
        y -= 0.035
        if not facts.top:
            figure.text(0.06, y, "n/a — no measured posts in the last 30 days", fontsize=13,
                        color=_MUTED, parse_math=False)  # fmt: skip
        for n, post in enumerate(facts.top, 1):
            line = f"{n}. {post.network.label} · {_clip(post.title, 48)}"
            figure.text(0.06, y, line, fontsize=13, color=_INK, parse_math=False)
            numbers = f"{format_count(post.views)} views · {format_rate(post.rate)}"
            figure.text(0.94, y, numbers, fontsize=13, color=_MUTED, ha="right")
            y -= 0.032
        updated = "n/a" if facts.updated_at is None else f"{facts.updated_at:%d %b %Y %H:%M} UTC"
        figure.text(0.06, 0.025, f"Last updated {updated} · Postroom", fontsize=11,
                    color=_MUTED)  # fmt: skip
