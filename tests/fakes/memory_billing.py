"""The billing tables for the write-side fake: copied on a unit's first write, swapped in at
commit (the last commit wins, which the fake's single-task tests never race)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from core.model import PAYING, Grant, Profile, Provider, Subscription, Tier


@dataclass
class BillingTables:
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    grants: dict[int, list[Grant]] = field(default_factory=dict)
    events: set[tuple[str, str]] = field(default_factory=set)
    next_grant: int = 1


class BillingTransaction:
    def __init__(self, committed: Callable[[], BillingTables]) -> None:
        self._committed = committed
        self.own: BillingTables | None = None

    def read(self) -> BillingTables:
        return self.own if self.own is not None else self._committed()

    def write(self) -> BillingTables:
        if self.own is None:
            self.own = copy.deepcopy(self._committed())
        return self.own

    def discard(self) -> None:
        self.own = None


class InMemoryBillingRepository:
    def __init__(
        self,
        tx: BillingTransaction,
        profiles: Callable[[], dict[int, Profile]],
        set_tier: Callable[[int, Tier], None],
    ) -> None:
        self._tx = tx
        self._profiles = profiles
        self._set_tier = set_tier

    async def set_tier(self, profile_id: int, tier: Tier) -> None:
        self._set_tier(profile_id, tier)

    async def save_subscription(self, profile_id: int, subscription: Subscription) -> None:
        self._tx.write().subscriptions[profile_id] = copy.deepcopy(subscription)

    async def add_grant(self, profile_id: int, grant: Grant) -> Grant:
        tables = self._tx.write()
        stored = replace(grant, id=tables.next_grant)
        tables.next_grant += 1
        tables.grants.setdefault(profile_id, []).append(stored)
        return stored

    async def revoke_grants(self, profile_id: int, now: datetime) -> int:
        tables = self._tx.write()
        grants = tables.grants.get(profile_id, [])
        running = [g for g in grants if g.grants(now)]
        tables.grants[profile_id] = [
            replace(g, revoked_at=now) if g in running else g for g in grants
        ]
        return len(running)

    async def record_event(
        self, source: str, event_id: str, *, profile_id: int | None, kind: str, now: datetime
    ) -> bool:
        if (source, event_id) in self._tx.read().events:
            return False
        self._tx.write().events.add((source, event_id))
        return True

    async def seen(self, source: str, event_id: str) -> bool:
        return (source, event_id) in self._tx.read().events

    async def forget_event(self, source: str, event_id: str) -> None:
        self._tx.write().events.discard((source, event_id))

    async def profile_of(
        self, provider: Provider, *, customer_id: str = "", subscription_id: str = ""
    ) -> int | None:
        if not customer_id and not subscription_id:
            return None
        for pid, sub in self._tx.read().subscriptions.items():
            if sub.provider is not provider:
                continue
            if customer_id and sub.customer_id != customer_id:
                continue
            if subscription_id and sub.subscription_id != subscription_id:
                continue
            return pid
        return None

    async def lapsing(
        self, now: datetime, *, base: Tier, limit: int, after: int = 0
    ) -> Sequence[int]:
        tables = self._tx.read()
        found = []
        for pid, profile in sorted(self._profiles().items()):
            if profile.tier is base or pid <= after:
                continue
            sub = tables.subscriptions.get(pid)
            paying = sub is not None and sub.status in PAYING and sub.grants(now)
            if paying or any(g.grants(now) for g in tables.grants.get(pid, [])):
                continue
            found.append(pid)
        return found[:limit]

    async def ending(
        self, now: datetime, until: datetime, *, limit: int, after: int = 0
    ) -> Sequence[int]:
        tables = self._tx.read()
        found = set()
        for pid, sub in tables.subscriptions.items():
            end = sub.current_period_end
            if sub.grants(now) and sub.cancel_at_period_end and end is not None and end <= until:
                found.add(pid)
        for pid, grants in tables.grants.items():
            for g in grants:
                if g.grants(now) and g.ends_at is not None and g.ends_at <= until:
                    found.add(pid)
        return sorted(pid for pid in found if pid > after)[:limit]

    def load(self, profile: Profile) -> None:
        tables = self._tx.read()
        profile.subscription = copy.deepcopy(tables.subscriptions.get(profile.id))
        profile.grants = copy.deepcopy(tables.grants.get(profile.id, []))
