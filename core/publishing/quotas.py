"""Per-network publishing quotas (Instagram's rolling 24 hours) checked before anything is sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.model import Network
from core.when import format_local


@dataclass(frozen=True, slots=True)
class Quota:
    """At most `posts` publications per account in any rolling `window`."""

    posts: int
    window: timedelta


# Instagram's rolling 24 h publishing limit per account, enforced at media_publish. Meta's
# current reference says 50 and asks schedulers to enforce it themselves
# (https://developers.facebook.com/docs/instagram-platform/content-publishing/, and
# docs/limits-by-platform.md#instagram-graph-api); through Ayrshare the same limit comes back as
# code 435 (https://www.ayrshare.com/docs/errors/errors-ayrshare).
QUOTAS: Mapping[Network, Quota] = {Network.INSTAGRAM: Quota(50, timedelta(hours=24))}


def quota_refusal(
    network: Network, taken: Sequence[datetime], when: datetime, tz: str
) -> str | None:
    """Why one more post to `network` at `when` would break its rolling quota, given when the
    account's other posts there went out or are due; None when it fits.

    Every publication, the new one and those after it, must find fewer than the quota's posts
    in the window before it.
    """
    quota = QUOTAS.get(network)
    if quota is None:
        return None
    later = [t for t in taken if when < t < when + quota.window]
    for point in (when, *later):
        used = sum(1 for t in taken if point - quota.window < t <= point)
        if used + 1 > quota.posts:
            hours = int(quota.window.total_seconds() // 3600)
            return (
                f"{network.label} allows {quota.posts} posts per {hours} hours per account, "
                f"and this account already has {used} published or scheduled in the "
                f"{hours} hours up to {format_local(point, tz)}. Pick a later time, or untick "
                f"{network.label}."
            )
    return None
