"""InstagramGraphAnalytics: core's AnalyticsSource for Route.INSTAGRAM_GRAPH (the Free tier).

Per published media: its fields (link, time, product type, like and comment counts), then its
insights. A metric Instagram refuses (retired, or not offered for that media type) is left out
and the rest asked for again; the refused names travel in the reading's note. Account numbers
come from the Instagram user's own fields (followers_count, follows_count, media_count).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from adapters.instagram import graph, insights
from adapters.instagram.http import GraphHttp
from core.errors import OutcomeUnknown, TransientError
from core.metrics import AccountMetric, AnalyticsItem, Metric, PostMetrics
from core.model import Network, Profile, Route
from core.ports import Clock

__all__ = ["REFUSED_READ", "InstagramGraphAnalytics"]

log = logging.getLogger(__name__)

REFUSED_READ = "Instagram refused to give this post's numbers"
REMEMBER_REFUSED = timedelta(hours=24)


class InstagramGraphAnalytics:
    """Reads numbers with the profile's own Instagram token (scope
    instagram_business_manage_insights)."""

    route = Route.INSTAGRAM_GRAPH

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        clock: Clock,
        timeout: float = 30.0,
    ) -> None:
        self._graph = GraphHttp(http, base_url=base_url, timeout=timeout)
        self._clock = clock
        # (media product type, metric) -> until when it is not asked for again: a retired
        # metric would cost a refused request per post and day. Per process, and forgotten
        # after a day in case Instagram takes it back.
        self._refused: dict[tuple[str | None, str], datetime] = {}

    def __repr__(self) -> str:
        return f"InstagramGraphAnalytics({self._graph.base!r})"

    async def post_metrics(
        self, profile: Profile, items: Sequence[AnalyticsItem]
    ) -> Mapping[int, PostMetrics]:
        _, token = graph.credentials(profile)
        found: dict[int, PostMetrics] = {}
        for item in items:
            media_id = _media_id(item)
            if item.network is Network.INSTAGRAM and media_id is not None:
                found[item.id] = await self._media(media_id, token)
        return found

    async def account_metrics(
        self, profile: Profile, networks: Sequence[Network]
    ) -> Mapping[Network, Mapping[AccountMetric, int]]:
        if Network.INSTAGRAM not in networks:
            return {}
        ig_user, token = graph.credentials(profile)
        body = await self._read(insights.account(ig_user), token)
        values = insights.account_values(body)
        return {Network.INSTAGRAM: values} if values else {}

    async def _media(self, media_id: str, token: str) -> PostMetrics:
        body = await self._read(insights.media(media_id), token)
        found = body.get("media_product_type")
        product = found if isinstance(found, str) else None
        now = self._clock.now()
        names = insights.metrics_for(product)
        skipped = [m for m in names if self._refused.get((product, m), now) > now]
        asked = [m for m in names if m not in skipped]
        values, refused, notes = await self._insights(media_id, asked, token)
        for name in refused:
            self._refused[(product, name)] = now + REMEMBER_REFUSED
        if refused or skipped:
            named = [m for m in names if m in refused or m in skipped]
            notes.insert(0, "Instagram refused the metric " + ", ".join(named))
        for metric, count in insights.media_values(body).items():
            values.setdefault(metric, count)
        url = body.get("permalink")
        return PostMetrics(
            values,
            posted_at=graph.parse_time(str(body.get("timestamp", ""))),
            url=url if isinstance(url, str) and url.startswith("http") else None,
            external_id=media_id,
            note="; ".join(notes) or None,
        )

    async def _insights(
        self, media_id: str, asked: Sequence[str], token: str
    ) -> tuple[dict[Metric, int], list[str], list[str]]:
        """The insights Instagram gives, the metrics it refused, and notes on anything else
        it would not give: a refused metric is dropped and the rest asked for again (at most
        once per metric asked)."""
        wanted = list(asked)
        refused: list[str] = []
        notes: list[str] = []
        values: dict[Metric, int] = {}
        while wanted:
            status, body = await self._exchange(insights.insights(media_id, wanted), token)
            error = _error(status, body)
            if error is None:
                values = insights.parse_insights(body)
                break
            code, message = error
            name = insights.refused_metric(code, message, wanted)
            if name is None and code == insights.INVALID_PARAMETER and len(wanted) == 1:
                name = wanted[0]
            if name is not None:
                log.warning(
                    "instagram insights: metric %s refused for media %s: %s; asking for the rest",
                    name,
                    media_id,
                    message[:200],
                )
                refused.append(name)
                wanted.remove(name)
                continue
            if code == insights.INVALID_PARAMETER:
                # Refused without saying which: one metric a request, to keep the others.
                values, more = await self._one_by_one(media_id, wanted, token)
                refused += more
                break
            if code == insights.NOT_ENOUGH_VIEWERS:
                notes.append("too few viewers for Instagram to show insights yet")
                break
            graph.raise_for_error(status, body, refused=REFUSED_READ)
            break
        return values, refused, notes

    async def _one_by_one(
        self, media_id: str, names: Sequence[str], token: str
    ) -> tuple[dict[Metric, int], list[str]]:
        values: dict[Metric, int] = {}
        refused: list[str] = []
        for name in names:
            status, body = await self._exchange(insights.insights(media_id, [name]), token)
            error = _error(status, body)
            if error is None:
                values |= insights.parse_insights(body)
            elif error[0] == insights.INVALID_PARAMETER:
                log.warning(
                    "instagram insights: metric %s refused for media %s: %s",
                    name,
                    media_id,
                    error[1][:200],
                )
                refused.append(name)
            else:
                graph.raise_for_error(status, body, refused=REFUSED_READ)
        return values, refused

    async def _exchange(self, call: graph.Call, token: str) -> tuple[int, Any]:
        try:
            return await self._graph.exchange(call, token)
        except OutcomeUnknown as e:
            raise TransientError(e.reason) from None  # a read: simply asked again

    async def _read(self, call: graph.Call, token: str) -> dict[str, Any]:
        status, body = await self._exchange(call, token)
        graph.raise_for_error(status, body, refused=REFUSED_READ)
        if not isinstance(body, dict):
            raise TransientError(f"Instagram answered HTTP {status} without JSON")
        return body


def _error(status: int, body: Any) -> tuple[int | None, str] | None:
    """None for a success; else the Graph error's (code, message)."""
    found = graph.error_of(body)
    if found is None and 200 <= status < 300 and isinstance(body, dict):
        return None
    return found or (None, f"HTTP {status}")


def _media_id(item: AnalyticsItem) -> str | None:
    """The Instagram media id, which the publisher stores as the external id (the provider
    id may still be a container's when a lookup found the post without its media)."""
    media_id = item.external_id
    return media_id if media_id and media_id.isdigit() else None
