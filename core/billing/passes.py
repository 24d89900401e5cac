"""The scheduled billing pass: plans that ended are applied, endings three days out are told."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from core.billing import notices
from core.billing.lifecycle import OWN, Billing
from core.model import Network, Tier
from core.ports import Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)

REMIND_BEFORE = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class PassResult:
    lapsed: int = 0
    reminded: int = 0


class BillingPass:
    """Safe in every process at once: a lapse is applied under the profile's row lock and
    only by the pass that still finds the old tier stored; a reminder is sent by the pass
    whose once-only record (the events table) went in first."""

    def __init__(
        self,
        billing: Billing,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        remind_before: timedelta = REMIND_BEFORE,
        batch: int = 100,
    ) -> None:
        self._billing = billing
        self._uow = uow
        self._clock = clock
        self._remind_before = remind_before
        self._batch = batch

    async def run(self) -> PassResult:
        """Every profile whose plan ended and every reminder due, a page at a time (a cursor
        on the profile id, so a long list is read to its end in one pass)."""
        now = self._clock.now()
        lapsed = reminded = 0
        after = 0
        while True:
            async with self._uow() as uow:
                page = await uow.billing.lapsing(
                    now, base=self._billing.base, limit=self._batch, after=after
                )
            for profile_id in page:
                try:
                    change = await self._billing.refresh(profile_id)
                except Exception:
                    log.exception("applying the ended plan of profile %s failed", profile_id)
                    continue
                lapsed += change.before is not change.tier
            if len(page) < self._batch:
                break
            after = page[-1]
        after = 0
        while True:
            async with self._uow() as uow:
                page = await uow.billing.ending(
                    now, now + self._remind_before, limit=self._batch, after=after
                )
            for profile_id in page:
                try:
                    reminded += await self.remind(profile_id)
                except Exception:
                    log.exception("the renewal reminder of profile %s failed", profile_id)
            if len(page) < self._batch:
                break
            after = page[-1]
        if lapsed or reminded:
            log.info("billing: %d plan(s) ended, %d reminder(s) sent", lapsed, reminded)
        return PassResult(lapsed, reminded)

    async def remind(self, profile_id: int) -> bool:
        """The one reminder of a plan ending within `remind_before` that will not renew."""
        now = self._clock.now()
        async with self._uow() as uow:
            profile = await uow.profiles.get(profile_id)
            if profile is None:
                return False
            standing = self._billing.standing(profile, now)
            ends = standing.ends_at
            if standing.tier is self._billing.base or ends is None:
                return False
            if not now < ends <= now + self._remind_before:
                return False
            first = await uow.billing.record_event(
                OWN,
                f"reminder:{profile_id}:{ends.isoformat()}",
                profile_id=profile_id,
                kind="reminder",
                now=now,
            )
            if not first:
                return False
            # Recorded before it is sent: a crash between the two loses one reminder rather
            # than sending it twice.
            await uow.commit()
            identities = await uow.profiles.identities(profile_id)
        reply = notices.ending(standing, profile.timezone, self._losing(standing.tier))
        return await self._billing.send(profile_id, identities, reply)

    def _losing(self, tier: Tier) -> list[Network]:
        policy = self._billing.policy
        keeps = policy[self._billing.base].routes
        return [n for n, route in policy[tier].routes.items() if keeps.get(n) is not route]
