"""Many Slack workspaces: tokens from the installation store, rotated before they expire."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.request.internals import extract_enterprise_id
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator

log = logging.getLogger(__name__)

# The bot scopes the app asks for when a workspace installs it (docs/slack-manifest.yaml has
# the same list; tests/slack/test_manifest.py checks they agree).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "im:history",
    "files:write",
    "files:read",
    "users:read",  # users.info: who administers a workspace, for team profiles
    "channels:read",  # member_left_channel in a public channel: a team member left it
    "groups:read",  # member_left_channel in a private channel
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
NOT_INSTALLED = (
    "Postroom is not installed in this workspace (any more), so nothing was done. "
    "An admin can add it again from the install page."
)
# A looked-up token is reused this long: progress edits come in bursts. An uninstall or a
# revocation drops it at once (the store's delete methods below).
TOKEN_TTL = 30.0
# With token rotation a bot token lasts 12 hours
# (https://api.slack.com/authentication/rotation); it is refreshed when it has less than
# this left, bolt's own default window, so a token handed out still works for hours.
ROTATE_BEFORE_MINUTES = 120


class NotInstalled(LookupError):
    """No installation for the workspace a message is for (uninstalled, or never installed)."""


def team_of(body: dict[str, Any]) -> str:
    """The Slack team (workspace) id a request comes from."""
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    return str(team or (body.get("user") or {}).get("team_id") or "")


def workspace_of(body: dict[str, Any]) -> str:
    """How Postroom names a request's workspace (`Identity.workspace`, `ChatRef.workspace`):
    its team id, or `E…:T…` on Enterprise Grid, where the bot token may belong to the
    workspace or to the whole organisation (an org-wide install)."""
    team = team_of(body)
    enterprise = extract_enterprise_id(body)
    return f"{enterprise}:{team}" if enterprise else team


def parse_workspace(workspace: str) -> tuple[str | None, str | None]:
    """(enterprise id, team id) of a `workspace_of` name."""
    enterprise, colon, team = workspace.rpartition(":")
    return (enterprise or None) if colon else None, team or None


def _key(enterprise: str | None, team: str | None) -> str:
    return f"{enterprise}:{team or ''}" if enterprise else team or ""


_Found = TypeVar("_Found", Bot, Installation)


def _expiring(expires_at: int | None, wall: Callable[[], float]) -> bool:
    return expires_at is not None and expires_at <= wall() + ROTATE_BEFORE_MINUTES * 60


class WorkspaceTokens(AsyncInstallationStore):
    """The installation store bolt and the messenger both read through.

    Inside is our encrypted SQL store (passed in by bot/). A bot or user token about to
    expire is exchanged for a new one with its refresh token (oauth.v2.access,
    grant_type=refresh_token, through slack_sdk's AsyncTokenRotator) and the new pair is saved
    before the installation is handed out; one exchange at a time per workspace, since Slack
    revokes a refresh token once it is used. bolt's own rotation then finds nothing to do.
    `token` caches each workspace's bot token for the messenger; saving or deleting an
    installation (bolt's app_uninstalled and tokens_revoked listeners delete) drops it, so a
    revoked token is never used again by this process.
    """

    def __init__(
        self,
        store: AsyncInstallationStore,
        rotator: AsyncTokenRotator | None = None,
        *,
        ttl: float = TOKEN_TTL,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,  # slack_sdk's rotator reads time.time too
    ) -> None:
        self.store = store
        self._rotator = rotator
        self._ttl = ttl
        self._monotonic = monotonic
        self._wall = wall
        self._cache: dict[str, tuple[float, Bot]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def logger(self) -> logging.Logger:
        return log

    # --- the messenger's lookup --------------------------------------------------------------

    async def token(self, workspace: str) -> str:
        """The bot token for a `workspace_of` name; NotInstalled when there is none."""
        now = self._monotonic()
        cached = self._cache.get(workspace)
        if (
            cached is not None
            and now - cached[0] < self._ttl
            and not _expiring(cached[1].bot_token_expires_at, self._wall)
        ):
            return str(cached[1].bot_token)
        enterprise, team = parse_workspace(workspace)
        bot = await self.async_find_bot(enterprise_id=enterprise, team_id=team)
        if bot is None and enterprise is not None:  # an org-wide install serves every team
            bot = await self.async_find_bot(
                enterprise_id=enterprise, team_id=None, is_enterprise_install=True
            )
        if bot is None or not bot.bot_token:
            self._cache.pop(workspace, None)
            log.warning("slack: no installation for workspace %s; nothing sent there", workspace)
            raise NotInstalled(workspace)
        self._cache[workspace] = (now, bot)
        return bot.bot_token

    def forget(self, enterprise: str | None, team: str | None) -> None:
        """Drop cached tokens of a workspace (of every team, for an org-wide install)."""
        if team is None and enterprise is not None:
            for key in [k for k in self._cache if k.startswith(f"{enterprise}:")]:
                del self._cache[key]
        self._cache.pop(_key(enterprise, team), None)

    # --- finding, with rotation --------------------------------------------------------------

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        async def find() -> Bot | None:
            return await self.store.async_find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )

        async def rotate(rotator: AsyncTokenRotator, bot: Bot) -> Bot | None:
            return await rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_BEFORE_MINUTES
            )

        return await self._fresh(find, rotate, self.store.async_save_bot)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        async def find() -> Installation | None:
            return await self.store.async_find_installation(
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
                is_enterprise_install=is_enterprise_install,
            )

        async def rotate(rotator: AsyncTokenRotator, found: Installation) -> Installation | None:
            return await rotator.perform_token_rotation(
                installation=found, minutes_before_expiration=ROTATE_BEFORE_MINUTES
            )

        return await self._fresh(find, rotate, self.store.async_save)

    async def _fresh(
        self,
        find: Callable[[], Awaitable[_Found | None]],
        rotate: Callable[[AsyncTokenRotator, _Found], Awaitable[_Found | None]],
        save: Callable[[_Found], Awaitable[None]],
    ) -> _Found | None:
        """What `find` finds, its tokens rotated and saved first when they expire soon."""
        found = await find()
        if found is None or self._rotator is None or not self._stale(found):
            return found
        async with self._lock(found.enterprise_id, found.team_id):
            found = await find()  # another task may have just rotated it
            if found is None or not self._stale(found):
                return found
            try:
                rotated = await rotate(self._rotator, found)
            except SlackTokenRotationError as e:
                return self._not_rotated(found, e)
            if rotated is None:
                return found
            await save(rotated)
            self.forget(rotated.enterprise_id, rotated.team_id)
            log.info("slack: the tokens of workspace %s were rotated", rotated.team_id)
            return rotated

    def _stale(self, found: Bot | Installation) -> bool:
        user_expires = getattr(found, "user_token_expires_at", None)  # a Bot has none
        return _expiring(found.bot_token_expires_at, self._wall) or _expiring(
            user_expires, self._wall
        )

    def _lock(self, enterprise: str | None, team: str | None) -> asyncio.Lock:
        return self._locks.setdefault(_key(enterprise, team), asyncio.Lock())

    def _not_rotated(self, found: _Found, error: SlackTokenRotationError) -> _Found:
        # Slack's reason only (invalid_refresh_token, …): the exception's text could carry
        # the request's arguments. The token still works until it expires.
        response = error.api_error.response
        reason = response.get("error") if response is not None else "?"
        log.error("slack: rotating the tokens of workspace %s failed: %s", found.team_id, reason)
        return found

    # --- saving and deleting: the store's, then the cache is dropped --------------------------

    async def async_save(self, installation: Installation) -> None:
        await self.store.async_save(installation)
        self.forget(installation.enterprise_id, installation.team_id)

    async def async_save_bot(self, bot: Bot) -> None:
        await self.store.async_save_bot(bot)
        self.forget(bot.enterprise_id, bot.team_id)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.forget(enterprise_id, team_id)
        await self.store.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self.forget(enterprise_id, team_id)  # a lookup may have cached it meanwhile

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        await self.store.async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )
        self.forget(enterprise_id, team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.forget(enterprise_id, team_id)
        await self.store.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
        self.forget(enterprise_id, team_id)
