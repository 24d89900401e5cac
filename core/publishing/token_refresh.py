"""Refreshes login tokens (Instagram's 60-day tokens) well before they expire."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from core.errors import PermanentError, TransientError
from core.logins import AccountLogin
from core.model import AccountKey, ConnectionStatus
from core.ports import Clock, UnitOfWorkFactory

__all__ = ["MIN_AGE", "REFRESH_AHEAD", "RETRY_IN", "TokenRefresh"]

log = logging.getLogger(__name__)

# Instagram refreshes a long-lived token that is at least 24 hours old and unexpired, for
# another 60 days (https://developers.facebook.com/docs/instagram-platform/reference/
# refresh_access_token); refreshing 10 days ahead leaves room for days of failures.
MIN_AGE = timedelta(hours=24)
REFRESH_AHEAD = timedelta(days=10)
RETRY_IN = timedelta(hours=1)  # a claimed token is not tried again sooner (by any worker)
BATCH = 50


class TokenRefresh:
    """One pass: claim the due tokens (each by one worker, in the database), refresh each.
    A token Instagram refuses (or rejects, code 190), or one that will have expired before the
    next try, marks the connection broken; a passing failure is retried in an hour."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        logins: Sequence[AccountLogin],
        clock: Clock,
        *,
        batch: int = BATCH,
    ) -> None:
        self._uow = uow
        self._logins = tuple(logins)
        self._clock = clock
        self._batch = batch

    async def run(self) -> int:
        """Refresh what is due; returns how many tokens were renewed."""
        renewed = 0
        for login in self._logins:
            while True:
                now = self._clock.now()
                async with self._uow() as uow:
                    due = await uow.logins.claim_refresh(
                        login.route,
                        login.network,
                        now=now,
                        expiring_before=now + REFRESH_AHEAD,
                        issued_before=now - MIN_AGE,
                        retry_at=now + RETRY_IN,
                        limit=self._batch,
                    )
                    await uow.commit()
                for profile_id in due:
                    renewed += await self._refresh(login, profile_id)
                if len(due) < self._batch:
                    break
        if renewed:
            log.info("refreshed %d login token(s)", renewed)
        return renewed

    async def _refresh(self, login: AccountLogin, profile_id: int) -> int:
        async with self._uow() as uow:
            profile = await uow.profiles.get(profile_id)
        account = None if profile is None else profile.accounts.get(login.route)
        if account is None:
            return 0
        try:
            fresh = await login.refresh(account.key)
        except TransientError as e:
            ends = account.expires_at
            if ends is None or ends > self._clock.now() + RETRY_IN:
                log.warning("token of profile %s not refreshed yet: %s", profile_id, e.reason)
                return 0
            await self._broken(login, profile_id, account, e.reason)
            return 0
        except PermanentError as e:
            await self._broken(login, profile_id, account, e.reason)
            return 0
        async with self._uow() as uow:
            current = await uow.profiles.lock(profile_id)
            held = None if current is None else current.accounts.get(login.route)
            if current is None or held is None or held.key != account.key:
                return 0  # disconnected or reconnected meanwhile: that token is not ours
            current.accounts[login.route] = replace(
                held, key=fresh.token, expires_at=fresh.expires_at, issued_at=self._clock.now()
            )
            connection = current.connections.get(login.network)
            if connection is not None:  # what /status and the expiry warnings read
                connection.expires_at = fresh.expires_at
            await uow.profiles.save(current)
            await uow.commit()
        return 1

    async def _broken(
        self, login: AccountLogin, profile_id: int, account: AccountKey, reason: str
    ) -> None:
        log.warning(
            "%s token of profile %s cannot be refreshed: %s",
            login.network.label,
            profile_id,
            reason,
        )
        async with self._uow() as uow:
            current = await uow.profiles.lock(profile_id)
            held = None if current is None else current.accounts.get(login.route)
            if current is None or held is None or held.key != account.key:
                return
            connection = current.connections.get(login.network)
            if connection is None or connection.status is ConnectionStatus.BROKEN:
                return
            connection.status = ConnectionStatus.BROKEN
            connection.updated_at = self._clock.now()
            await uow.profiles.save(current)
            await uow.commit()
