"""Many Slack workspaces: each one's bot token, looked up from the installation store."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

log = logging.getLogger(__name__)

# The bot scopes the app asks for when a workspace installs it (docs/slack-manifest.yaml has
# the same list; tests/slack/test_manifest.py checks they agree).
BOT_SCOPES = ("commands", "chat:write", "im:write", "im:history", "files:write")
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
NOT_INSTALLED = (
    "Postroom is not installed in this workspace (any more), so nothing was done. "
    "An admin can add it again from the install page."
)
# A looked-up token is reused this long: progress edits come in bursts, and an uninstall
# reaches outgoing messages within this window at worst (Slack then answers invalid_auth).
TOKEN_TTL = 30.0


class NotInstalled(LookupError):
    """No installation for the workspace a message is for (uninstalled, or never installed)."""


class WorkspaceTokens:
    """Bot token per team id from slack_sdk's AsyncInstallationStore (ours is encrypted SQL,
    passed in by bot/), each cached for `ttl` seconds."""

    def __init__(
        self,
        store: AsyncInstallationStore,
        *,
        ttl: float = TOKEN_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._ttl = ttl
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, str]] = {}

    async def token(self, team: str) -> str:
        now = self._monotonic()
        cached = self._cache.get(team)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            self._cache.pop(team, None)
            log.warning("slack: no installation for workspace %s; nothing sent there", team)
            raise NotInstalled(team)
        self._cache[team] = (now, bot.bot_token)
        return bot.bot_token

    def forget(self, team: str) -> None:
        """Drop the cached token (the workspace uninstalled the app or revoked it)."""
        self._cache.pop(team, None)
