"""Ports of the connection lifecycle: link checks due, warnings sent, provider link events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from core.model import Network, Route


class WarningKind(StrEnum):
    EXPIRING = "expiring"  # its link or token ends within a week
    BROKEN = "broken"  # the network revoked or ended our access


class LinkEventKind(StrEnum):
    LINK = "link"
    UNLINK = "unlink"
    REFRESH = "refresh"  # the network wants the link renewed by a date


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """What a provider told us of one network of one of its accounts (Ayrshare's `social`
    webhook). `by_system`: the provider or network did it, not the user (an auto-unlink)."""

    account_ref: str  # the provider's account id (Ayrshare's refId)
    network: Network
    kind: LinkEventKind
    by_system: bool = False
    display_name: str = ""
    renew_by: datetime | None = None


class LifecycleRepository(Protocol):
    """Pro link checks (one row per profile: when its links are next read) and warnings
    (one row per profile, network, kind and local day: the claim that makes one message)."""

    async def by_account(self, route: Route, ref: str) -> int | None:
        """The profile whose `route` account has this provider id (Ayrshare's refId)."""
        ...

    async def checks_due(self, now: datetime, *, limit: int) -> Sequence[int]:
        """Profiles with an Ayrshare account whose links are due to be read (never read, or
        their next time has come)."""
        ...

    async def claim_check(self, profile_id: int, *, now: datetime, next_at: datetime) -> bool:
        """Take the profile's due check, moving its next time to `next_at`; False when
        another worker took it, or it is not due."""
        ...

    async def to_warn(self, horizon: datetime, *, limit: int, after: int = 0) -> Sequence[int]:
        """Profiles (ids above `after`, ascending) with a broken connection or one ending
        by `horizon`."""
        ...

    async def claim_warning(
        self, profile_id: int, network: Network, kind: WarningKind, day: date, *, now: datetime
    ) -> bool:
        """Take the warning of that day: False when it was sent or is being sent (a claim
        left unsent for 10 minutes, by a worker that died, is taken over)."""
        ...

    async def warned(
        self, profile_id: int, network: Network, kind: WarningKind, day: date, *, now: datetime
    ) -> None:
        """The claimed warning went out."""
        ...

    async def unclaim(
        self, profile_id: int, network: Network, kind: WarningKind, day: date
    ) -> None:
        """Sending failed: the next pass may try again."""
        ...

    async def last_warned(
        self, profile_id: int, network: Network, kind: WarningKind
    ) -> datetime | None:
        """When such a warning last went out, or None."""
        ...
