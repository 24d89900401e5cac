"""Synthetic post metrics and follower counts for the sandbox, deterministic per id."""

from __future__ import annotations

import hashlib
import math
import random
from datetime import UTC, datetime

from core.model import Network

__all__ = ["METRICS", "REPORTED", "synthetic_followers", "synthetic_metrics"]

METRICS = ("views", "likes", "comments", "shares", "saves")

# What each network's analytics report (Ayrshare /analytics/post keys): YouTube has no share
# or save count, TikTok no saves, and only Instagram reports saves (`savedCount`).
REPORTED: dict[Network, frozenset[str]] = {
    Network.INSTAGRAM: frozenset(METRICS),
    Network.FACEBOOK: frozenset({"views", "likes", "comments", "shares"}),
    Network.TIKTOK: frozenset({"views", "likes", "comments", "shares"}),
    Network.YOUTUBE: frozenset({"views", "likes", "comments"}),
    Network.LINKEDIN: frozenset({"views", "likes", "comments", "shares"}),
    Network.X: frozenset({"views", "likes", "comments", "shares"}),
}

# Typical final views of a small account's post, and audience size, per network.
_REACH = {
    Network.INSTAGRAM: 900,
    Network.FACEBOOK: 400,
    Network.TIKTOK: 2500,
    Network.YOUTUBE: 700,
    Network.LINKEDIN: 600,
    Network.X: 800,
}
_AUDIENCE = {
    Network.INSTAGRAM: 1200,
    Network.FACEBOOK: 800,
    Network.TIKTOK: 1500,
    Network.YOUTUBE: 300,
    Network.LINKEDIN: 500,
    Network.X: 700,
}
# Engagement per view (low, high), and how much slower than views each metric settles.
_RATES = {
    "likes": (0.02, 0.09, 1.0),
    "comments": (0.002, 0.012, 1.6),
    "shares": (0.001, 0.010, 1.3),
    "saves": (0.002, 0.020, 1.3),
}
_FOLLOWER_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def synthetic_metrics(
    external_id: str, published_at: datetime, now: datetime, network: Network
) -> dict[str, int | None]:
    """Counts for a post at `now`: zero when fresh, rising towards a per-post ceiling.

    The same id always gives the same curve, and a later `now` never gives a smaller count.
    Metrics the network does not report are None.
    """
    rng = _rng("post", network.value, external_id)
    # Draw every parameter whatever the network reports, so curves never depend on that table.
    ceiling = _REACH[network] * rng.lognormvariate(0.0, 0.8)
    hours_to_settle = rng.uniform(6.0, 48.0)
    rates = {name: (rng.uniform(lo, hi), slower) for name, (lo, hi, slower) in _RATES.items()}
    hours = max(0.0, (now - published_at).total_seconds() / 3600)

    def grown(total: float, tau: float) -> int:
        return int(total * (1.0 - math.exp(-hours / tau)))

    counts: dict[str, int | None] = dict.fromkeys(METRICS)
    reported = REPORTED[network]
    if "views" in reported:
        counts["views"] = grown(ceiling, hours_to_settle)
    for name, (rate, slower) in rates.items():
        if name in reported:
            counts[name] = grown(ceiling * rate, hours_to_settle * slower)
    return counts


def synthetic_followers(profile_id: int, network: Network, now: datetime) -> int:
    """A profile's followers on `network`, growing by a steady few per day."""
    rng = _rng("followers", network.value, str(profile_id))
    base = _AUDIENCE[network] * rng.lognormvariate(0.0, 0.7)
    per_day = base * rng.uniform(0.0005, 0.003) + rng.uniform(0.2, 1.5)
    days = max(0, (now - _FOLLOWER_EPOCH).days)
    return int(base) + int(per_day * days)


def _rng(*parts: str) -> random.Random:
    # Seeded from a stable hash (not hash(), which varies per process).
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))
