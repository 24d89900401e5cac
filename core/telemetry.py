"""The telemetry port: what the bot counts and times, with a no-op default (stdlib only)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.errors import PermanentError, TransientError
from core.model import AccountKey, Network, Post, Profile, Route
from core.ports import (
    ConnectLink,
    Outcome,
    OutcomeKind,
    Publisher,
    PublishRequest,
)


class Telemetry(Protocol):
    """Counters and timings; an adapter exports them (Prometheus). Never raises, never blocks."""

    def upstream_call(self, upstream: str, status: int | None, seconds: float) -> None:
        """One HTTP exchange with an outside API; `status` None when no answer came."""
        ...

    def published(self, route: str, outcomes: Sequence[str], seconds: float) -> None:
        """One publish request finished: its duration, and each target's OutcomeKind value."""
        ...

    def message_sent(self, platform: str) -> None:
        """A message sent or edited in a chat."""
        ...

    def db_error(self) -> None:
        """A database statement or connection failed."""
        ...


class NullTelemetry:
    """Counts nothing: the default wherever no exporter is wired (tests, console scripts)."""

    def upstream_call(self, upstream: str, status: int | None, seconds: float) -> None:
        pass

    def published(self, route: str, outcomes: Sequence[str], seconds: float) -> None:
        pass

    def message_sent(self, platform: str) -> None:
        pass

    def db_error(self) -> None:
        pass


class MeteredPublisher:
    """A Publisher that reports each publish request's duration and per-target outcomes,
    so the pipeline itself needs no telemetry."""

    def __init__(self, inner: Publisher, telemetry: Telemetry) -> None:
        self._inner = inner
        # Unlinking and deleting the provider account are not metered: callers reach them on
        # the inner publisher (`core.ports.unwrapped`).
        self.wrapped = inner
        self._telemetry = telemetry
        self.route: Route = inner.route

    def unavailable(self, network: Network) -> str | None:
        return self._inner.unavailable(network)

    async def create_account(self, profile: Profile) -> AccountKey | None:
        return await self._inner.create_account(profile)

    async def connect_link(self, profile: Profile, network: Network) -> ConnectLink:
        return await self._inner.connect_link(profile, network)

    async def connected(self, profile: Profile) -> Mapping[Network, str] | None:
        return await self._inner.connected(profile)

    async def publish(self, request: PublishRequest) -> Mapping[Network, Outcome]:
        started = time.monotonic()
        kinds: list[str] = []
        try:
            outcomes = await self._inner.publish(request)
            kinds = [o.kind.value for o in outcomes.values()]
            return outcomes
        except Exception as e:
            kinds = [_kind_of(e).value] * len(request.networks)
            raise
        finally:
            self._telemetry.published(self.route.value, kinds, time.monotonic() - started)

    async def lookup(self, request: PublishRequest, since: datetime) -> Mapping[Network, Outcome]:
        return await self._inner.lookup(request, since)

    async def delete(self, profile: Profile, post: Post, networks: Sequence[Network]) -> None:
        await self._inner.delete(profile, post, networks)


def _kind_of(error: Exception) -> OutcomeKind:
    """What the pipeline makes of a request-level error (core.pipeline.Pipeline._call)."""
    if isinstance(error, TransientError):
        return OutcomeKind.RETRY
    if isinstance(error, PermanentError):
        return OutcomeKind.FAILED
    return OutcomeKind.UNKNOWN  # OutcomeUnknown, or a bug after the request may have left


@dataclass(frozen=True, slots=True)
class QueueReport:
    """What the database holds right now, read when metrics are scraped (all processes'
    work, not only this one's)."""

    posts: Mapping[str, int]  # by PostState value
    due: int  # targets due (or claimed) and not yet sent
    due_lag: float  # seconds the oldest of them has been due; 0 when none is
    digests: Mapping[str, int]  # digest deliveries by status (sent, failed, ...)
