"""Profiles behind chat identities, and the per-profile provider account created lazily."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from core.errors import Conflict, DomainError
from core.model import Identity, Profile, Route, Tier
from core.ports import Clock, Publisher, UnitOfWorkFactory

log = logging.getLogger(__name__)


class Accounts:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publishers: Mapping[Route, Publisher],
        clock: Clock,
        *,
        default_tier: Tier = Tier.FREE,
        default_timezone: str = "UTC",
    ) -> None:
        self._uow = uow
        self._publishers = publishers
        self._clock = clock
        self.default_tier = default_tier
        self.default_timezone = default_timezone
        # One creation per profile inside this process; across processes the row lock taken
        # by `profiles.lock` serialises it (PostgreSQL), SQLite allows one process anyway.
        self._locks: dict[int, asyncio.Lock] = {}

    async def find(self, identity: Identity) -> Profile | None:
        """The identity's profile if it has one (a linked channel's: the one it is linked to)."""
        async with self._uow() as uow:
            link = await uow.links.link_of(identity)
            if link is not None and (owner := await uow.profiles.get(link.profile_id)):
                return owner
            return await uow.profiles.by_identity(identity)

    async def exists(self, profile_id: int) -> bool:
        async with self._uow() as uow:
            return await uow.profiles.get(profile_id) is not None

    async def profile_for(self, identity: Identity, display_name: str = "") -> Profile:
        """The identity's profile, created on first contact with the default tier; a linked
        channel's is the profile it is linked to."""
        profile = await self.find(identity)
        if profile is not None:
            return profile
        async with self._uow() as uow:
            try:
                profile = await uow.profiles.create(
                    identity,
                    tier=self.default_tier,
                    timezone=self.default_timezone,
                    display_name=display_name[:64],
                    now=self._clock.now(),
                )
                await uow.commit()
                return profile
            except Conflict:
                # Two first messages at once: the other one created it.
                log.debug("profile creation raced for %s", identity, exc_info=True)
        async with self._uow() as uow:
            profile = await uow.profiles.by_identity(identity)
            if profile is None:
                raise RuntimeError(f"profile for {identity} could not be created")
            return profile

    async def ensure_account(self, profile: Profile, route: Route) -> Profile:
        """The profile with its provider account for `route`, creating it once if needed."""
        if route in profile.accounts:
            return profile
        lock = self._locks.setdefault(profile.id, asyncio.Lock())
        async with lock, self._uow() as uow:
            current = await uow.profiles.lock(profile.id)
            if current is None:
                raise DomainError("Your profile no longer exists. Send /start to begin again.")
            if route in current.accounts:
                return current
            account = await self._publishers[route].create_account(current)
            if account is None:
                return current
            current.accounts[route] = account
            await uow.profiles.save(current)
            await uow.commit()
            log.info("created %s account %s for profile %s", route.value, account.ref, profile.id)
            return current
