"""The tier a profile has at the moment of sending: a plan that ended since the billing pass
last ran must not publish to what only that plan reached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from core.model import Profile, Target, Tier
from core.policy import Policy
from core.tiers import derive_tier


@dataclass(frozen=True, slots=True)
class PlanGate:
    """The dispatcher derives the tier again (core.tiers) for each claimed post; a target
    the derived tier no longer reaches is held as a lapse holds it, and `lapsed` (the
    billing lifecycle's refresh) applies the ended plan and tells the owner."""

    policy: Policy
    base: Tier
    lapsed: Callable[[int], Awaitable[object]]

    def tier(self, profile: Profile, now: datetime) -> Tier:
        return derive_tier(profile.subscription, profile.grants, now, base=self.base).tier

    def reaches(self, tier: Tier, target: Target) -> bool:
        return self.policy.reaches(tier, target.network, target.route)

    def lapsed_for(self, profile: Profile, now: datetime, targets: Iterable[Target]) -> bool:
        """Whether the profile's plan has ended (its tier derived now is below the one last
        applied) and so leaves one of `targets` out of reach."""
        tier = self.tier(profile, now)
        if _rank(tier) >= _rank(profile.tier):
            return False
        return any(not self.reaches(tier, t) for t in targets)


def _rank(tier: Tier) -> int:
    return list(Tier).index(tier)
