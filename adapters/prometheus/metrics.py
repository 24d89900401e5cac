"""core's Telemetry port as prometheus-client metrics, plus the database's queue at scrape time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from core.states import PostState
from core.telemetry import QueueReport

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Publish requests take from a fraction of a second (sandbox) to a minute (video uploads).
_PUBLISH_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_CALL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class QueueCollector(Collector):
    """Gauges of the last QueueReport read from the database. The web app reads a fresh one
    (with a timeout) before each scrape; when that read fails the gauges are left out and
    postroom_queue_read_ok says 0, rather than showing stale numbers as current."""

    def __init__(self) -> None:
        self.report: QueueReport | None = None

    def collect(self) -> Iterable[Metric]:
        ok = GaugeMetricFamily(
            "postroom_queue_read_ok", "1 when the database answered this scrape's queue read"
        )
        ok.add_metric([], 1.0 if self.report is not None else 0.0)
        yield ok
        report = self.report
        if report is None:
            return
        posts = GaugeMetricFamily("postroom_posts", "Posts by state", labels=["state"])
        for state in PostState:
            posts.add_metric([state.value], float(report.posts.get(state.value, 0)))
        yield posts
        yield GaugeMetricFamily(
            "postroom_queue_depth",
            "Targets due (or claimed) and not yet sent",
            value=float(report.due),
        )
        yield GaugeMetricFamily(
            "postroom_queue_due_lag_seconds",
            "How long the oldest due target has waited to be sent",
            value=report.due_lag,
        )
        digests = GaugeMetricFamily(
            "postroom_digests",
            "Digest deliveries by status (sent: digests sent)",
            labels=["status"],
        )
        for status, count in sorted(report.digests.items()):
            digests.add_metric([status], float(count))
        yield digests


class PrometheusTelemetry:
    """Satisfies core.telemetry.Telemetry. Each instance has its own registry (never the
    process-wide default), so two bots in one process, as in tests, never collide."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self._calls = Counter(
            "postroom_upstream_requests", "HTTP requests to outside APIs", ["upstream"], registry=r
        )
        self._errors = Counter(
            "postroom_upstream_errors",
            "Requests answered 4xx/5xx (429 included) or not answered at all",
            ["upstream"],
            registry=r,
        )
        self._limited = Counter(
            "postroom_upstream_rate_limited",
            "Requests answered 429 Too Many Requests",
            ["upstream"],
            registry=r,
        )
        self._call_seconds = Histogram(
            "postroom_upstream_request_seconds",
            "Duration of requests to outside APIs",
            ["upstream"],
            buckets=_CALL_BUCKETS,
            registry=r,
        )
        self._publish_seconds = Histogram(
            "postroom_publish_seconds",
            "Duration of publish requests (one per post and route)",
            ["route"],
            buckets=_PUBLISH_BUCKETS,
            registry=r,
        )
        self._outcomes = Counter(
            "postroom_publish_outcomes",
            "Targets by what their publish request answered",
            ["route", "outcome"],
            registry=r,
        )
        self._messages = Counter(
            "postroom_chat_messages_sent",
            "Messages sent or edited in chats",
            ["platform"],
            registry=r,
        )
        self._db_errors = Counter(
            "postroom_db_errors", "Failed database statements and connections", registry=r
        )
        self.queue = QueueCollector()
        r.register(self.queue)

    def upstream_call(self, upstream: str, status: int | None, seconds: float) -> None:
        self._calls.labels(upstream).inc()
        self._call_seconds.labels(upstream).observe(seconds)
        if status is None or status >= 400:
            self._errors.labels(upstream).inc()
        if status == 429:
            self._limited.labels(upstream).inc()

    def published(self, route: str, outcomes: Sequence[str], seconds: float) -> None:
        self._publish_seconds.labels(route).observe(seconds)
        for outcome in outcomes:
            self._outcomes.labels(route, outcome).inc()

    def message_sent(self, platform: str) -> None:
        self._messages.labels(platform).inc()

    def db_error(self) -> None:
        self._db_errors.inc()

    def render(self, report: QueueReport | None) -> bytes:
        """The text exposition format, with `report` as the queue's current state."""
        self.queue.report = report
        return generate_latest(self.registry)
