"""A connection's life: days left, how it reads in chat, and what a provider's report changes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.model import Connection, ConnectionStatus, Network, Profile, Route
from core.policy import Policy

# The owner is warned this long before a link or token runs out (issue 17: 7 days).
WARN_BEFORE = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class LinkState:
    """One network as its provider reports it: linked, with a name and, when the network
    limits it, the time the link must be renewed by (LinkedIn's 60-day link on Ayrshare)."""

    display_name: str = ""
    expires_at: datetime | None = None


def days_left(connection: Connection, now: datetime) -> int | None:
    """Whole days until the connection's access ends, rounded up (0 once it has ended);
    None when it has no known end."""
    if connection.expires_at is None:
        return None
    left = (connection.expires_at - now) / timedelta(days=1)
    return max(math.ceil(left), 0)


def expiring(connection: Connection, now: datetime) -> bool:
    """Connected, with its end within `WARN_BEFORE`: the owner should renew it."""
    return (
        connection.status is ConnectionStatus.CONNECTED
        and connection.expires_at is not None
        and connection.expires_at - now <= WARN_BEFORE
    )


def state_text(connection: Connection | None, now: datetime) -> str:
    """How /status shows a connection: "✅ connected, 5 days left · Ana Li"."""
    if connection is None:
        return "not connected"
    if connection.status is ConnectionStatus.BROKEN:
        return "⚠️ " + short_state(connection, now)
    text = "✅ " + short_state(connection, now)
    if connection.display_name:
        text += f" · {connection.display_name}"
    return text


def short_state(connection: Connection, now: datetime) -> str:
    """The state and days left, nothing personal (the digest may go to a group):
    "connected, 5 days left", "broken — reconnect"."""
    if connection.status is ConnectionStatus.BROKEN:
        return "broken — reconnect"
    left = days_left(connection, now)
    if left is None:
        return "connected"
    return "expired — reconnect" if left == 0 else f"connected, {_days(left)} left"


def _same_day(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < timedelta(days=1)


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def apply_links(
    profile: Profile,
    route: Route,
    linked: Mapping[Network, LinkState],
    policy: Policy,
    now: datetime,
) -> list[Network]:
    """Fold a provider's report of what is linked through `route` into the profile's
    connections; returns the networks whose connection changed.

    A network linked there is connected (name and end as reported). One we had connected
    that the provider no longer lists becomes broken, not forgotten: the owner did not ask
    us to disconnect it (/disconnect removes it), so they are told and offered a reconnect.
    `updated_at` moves only when the status does: a broken connection keeps the time it
    broke, which is what the warning once per break is keyed on.
    """
    changed: list[Network] = []
    for network in Network:
        if policy.rules[profile.tier].routes.get(network) is not route:
            continue
        known = profile.connections.get(network)
        state = linked.get(network)
        if state is not None:
            fresh = Connection(
                network,
                ConnectionStatus.CONNECTED,
                state.display_name,
                now,
                state.expires_at,
            )
            if known is not None and known.status is ConnectionStatus.CONNECTED:
                fresh.updated_at = known.updated_at
                fresh.display_name = state.display_name or known.display_name
                # "5 days remaining" read hours apart is the same end: keep the stored one.
                if _same_day(known.expires_at, state.expires_at):
                    fresh.expires_at = known.expires_at
            if known != fresh:
                profile.connections[network] = fresh
                changed.append(network)
        elif known is not None and known.status is ConnectionStatus.CONNECTED:
            profile.connections[network] = Connection(
                network, ConnectionStatus.BROKEN, known.display_name, now, known.expires_at
            )
            changed.append(network)
    return changed
