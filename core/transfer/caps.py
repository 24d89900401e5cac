"""The caps an import's rows share with what is stored: the plan's scheduled-post limit and
monthly posts, and Instagram's rolling 24 hours, each row counting those before it."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import datetime

from core.errors import DomainError
from core.import_ports import PlannedPost
from core.model import Network, Profile
from core.policy import Policy
from core.ports import UnitOfWork
from core.publishing.quotas import QUOTAS, quota_refusal
from core.transfer.rows import RowError
from core.transfer.table import TIME
from core.when import month_of


async def within_limits(
    uow: UnitOfWork, profile: Profile, policy: Policy, planned: Sequence[PlannedPost]
) -> tuple[list[PlannedPost], list[RowError]]:
    """The rows that fit, in file order, and why each other does not: a row fits when it
    would, scheduled after the ones that fit before it. Reads the counts once each."""
    fits: list[PlannedPost] = []
    errors: list[RowError] = []
    if not planned:
        return fits, errors
    scheduled = await uow.posts.count_scheduled(profile.id)
    months: dict[tuple[datetime, datetime], int] = {}
    taken = await _activity(uow, profile, planned)
    for post in planned:
        month = month_of(post.due, profile.timezone)
        try:
            policy.check_scheduled(profile.tier, scheduled)
            if month not in months:
                months[month] = await uow.posts.count_outgoing(
                    profile.id, since=month[0], until=month[1]
                )
            policy.check_monthly(profile.tier, months[month])
        except DomainError as e:
            errors.append(RowError(post.row, "", str(e)))
            continue
        refusal = next(
            (
                r
                for n in post.networks
                if n in taken
                and (
                    r := quota_refusal(n, _near(taken[n], post.due, n), post.due, profile.timezone)
                )
            ),
            None,
        )
        if refusal is not None:
            errors.append(RowError(post.row, TIME, refusal))
            continue
        fits.append(post)
        scheduled += 1
        months[month] += 1
        for network in post.networks:
            if network in taken:
                bisect.insort(taken[network], post.due)
    return fits, errors


async def _activity(
    uow: UnitOfWork, profile: Profile, planned: Sequence[PlannedPost]
) -> dict[Network, list[datetime]]:
    """When the profile's posts on each quota'd network went out or are due, sorted, over
    the whole span the import covers (one query a network)."""
    found: dict[Network, list[datetime]] = {}
    for network, quota in QUOTAS.items():
        dues = [p.due for p in planned if network in p.networks]
        if not dues:
            continue
        activity = await uow.posts.network_activity(
            profile.id, network, since=min(dues) - quota.window, until=max(dues) + quota.window
        )
        found[network] = sorted(at for at, _ in activity)
    return found


def _near(taken: list[datetime], when: datetime, network: Network) -> list[datetime]:
    """The times within one window either side of `when`: all the quota check looks at, so a
    thousand rows are checked against tens of times each, not thousands."""
    window = QUOTAS[network].window
    start = bisect.bisect_left(taken, when - window)
    end = bisect.bisect_right(taken, when + window)
    return taken[start:end]
