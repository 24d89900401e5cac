"""A request budget per provider profile, shared by publishing, chat and analytics, users first."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from core.model import Route

__all__ = ["BudgetKey", "Lane", "RequestBudget"]

# Ayrshare allows 300 requests per 5 minutes per User Profile, over every endpoint together
# (https://www.ayrshare.com/docs/apis/overview#rate-limits), and may suspend a profile that
# keeps going past its 429s (https://www.ayrshare.com/docs/errors/errors-http): requests over
# budget wait here instead of being refused there.
AYRSHARE_REQUESTS = 300
AYRSHARE_WINDOW = timedelta(minutes=5)

BudgetKey = tuple[Route, int]  # (route, profile id): one provider profile


class Lane(StrEnum):
    """Who is asking: publishing and chat may use the whole window, analytics what they leave."""

    PUBLISHING = "publishing"
    # A user waiting in chat (connections lookup, delete, connect link, account creation):
    # ranked with publishing, first come first served, because someone is waiting for it.
    CHAT = "chat"
    ANALYTICS = "analytics"


@dataclass(slots=True)
class _Profile:
    sent: deque[tuple[datetime, Lane]] = field(default_factory=deque)
    analytics: int = 0  # of `sent`, how many were analytics
    blocked: datetime | None = None  # a 429's Retry-After: nothing goes before
    wanted: datetime | None = None  # publishing was refused and comes back then


class RequestBudget:
    """A sliding window of `limit` requests per `window` per profile, kept by this process.

    Every request made for the profile counts against the same window, as the provider
    counts them: publishing (posts and lookups), chat (a user waiting: the connections
    lookup, deletes from the networks, connect links, account creation, media uploads) and
    analytics. Publishing and chat rank alike, first come first served, and may use all of
    it; a chat caller waits only briefly and otherwise tells the user when to try again.
    Analytics may use at most `analytics_share` of it, never takes a request that would pass
    `limit`, and stands aside while publishing or chat waits for a free slot, so a busy sync
    never delays a post or a user. A 429 on any request holds the profile for all of them.
    """

    def __init__(
        self,
        limit: int = AYRSHARE_REQUESTS,
        window: timedelta = AYRSHARE_WINDOW,
        *,
        analytics_share: int | None = None,
    ) -> None:
        self.limit = limit
        self.window = window
        share = limit if analytics_share is None else analytics_share
        self.analytics_share = max(0, min(share, limit))
        self._profiles: dict[BudgetKey, _Profile] = {}

    def reserve(
        self, key: BudgetKey, now: datetime, lane: Lane = Lane.PUBLISHING
    ) -> datetime | None:
        """None, with one request counted, when it may go now; else when to ask again."""
        p = self._profiles.get(key)
        if p is None:
            if len(self._profiles) > 10_000:
                self._forget(now)
            p = self._profiles[key] = _Profile()
        if p.blocked is not None:
            if p.blocked > now:
                return p.blocked
            p.blocked = None
        self._expire(p, now)
        if lane is not Lane.ANALYTICS:  # publishing or chat: the whole window
            if len(p.sent) >= self.limit:
                p.wanted = p.sent[0][0] + self.window
                return p.wanted
            p.wanted = None
        else:
            if p.wanted is not None and p.wanted + self.window <= now:
                p.wanted = None  # that publishing never came back for its slot
            if p.wanted is not None:
                # Publishing (or chat) takes the next free slot; look again just after it has.
                return max(p.wanted, now) + timedelta(seconds=1)
            if len(p.sent) >= self.limit:
                return p.sent[0][0] + self.window
            if p.analytics >= self.analytics_share:
                oldest = next(at for at, lane_ in p.sent if lane_ is Lane.ANALYTICS)
                return oldest + self.window
            p.analytics += 1
        p.sent.append((now, lane))
        return None

    def block(self, key: BudgetKey, until: datetime) -> None:
        """The provider said to wait (a 429's Retry-After): nothing goes for `key` before."""
        p = self._profiles.setdefault(key, _Profile())
        if p.blocked is None or until > p.blocked:
            p.blocked = until

    def sent_in_window(self, key: BudgetKey, now: datetime) -> int:
        p = self._profiles.get(key)
        if p is None:
            return 0
        self._expire(p, now)
        return len(p.sent)

    def _expire(self, p: _Profile, now: datetime) -> None:
        while p.sent and p.sent[0][0] <= now - self.window:
            _, lane = p.sent.popleft()
            if lane is Lane.ANALYTICS:
                p.analytics -= 1

    def _forget(self, now: datetime) -> None:
        for key, p in list(self._profiles.items()):
            idle = not p.sent or p.sent[-1][0] <= now - self.window
            if idle and (p.blocked is None or p.blocked <= now) and p.wanted is None:
                del self._profiles[key]
