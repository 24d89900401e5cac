"""Each profile's digest chart drawn once per digest day and reused across its chats."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import date

from core.analytics_ports import ChartRenderer
from core.metrics import ChartSeries

__all__ = ["ChartCache"]

log = logging.getLogger(__name__)

Key = tuple[int, date, bool]  # (profile id, digest day, weekly)


class ChartCache:
    """The rendered PNG per (profile, day, daily or weekly), redrawn only when the numbers it
    shows changed. Concurrent digests of one profile wait for one drawing, not one each.

    Bounded (least recently used out): the prepared digests hold the same bytes, so entries
    for digests waiting to be sent cost no extra memory.
    """

    def __init__(self, charts: ChartRenderer, size: int = 4000) -> None:
        self._charts = charts
        self._size = size
        self._images: OrderedDict[Key, tuple[ChartSeries, bytes | None]] = OrderedDict()
        self._drawing: dict[Key, asyncio.Lock] = {}

    async def image(
        self, profile_id: int, day: date, weekly: bool, chart: ChartSeries
    ) -> bytes | None:
        key = (profile_id, day, weekly)
        lock = self._drawing.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                found = self._images.get(key)
                if found is not None and found[0] == chart:
                    self._images.move_to_end(key)
                    return found[1]
                try:
                    image = await self._charts.render(chart)
                except Exception:
                    # A digest without its picture beats no digest (and it is tried again).
                    log.exception("digest chart for profile %s failed", profile_id)
                    return None
                self._images[key] = (chart, image)
                self._images.move_to_end(key)
                while len(self._images) > self._size:
                    self._images.popitem(last=False)
                return image
        finally:
            if not lock.locked() and self._drawing.get(key) is lock:
                del self._drawing[key]
