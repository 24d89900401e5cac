"""Who administers a Slack channel's workspace, for team profiles: admins, owners, installer."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from adapters.slack.messenger import SlackMessenger, error_code
from core.model import ChatPlatform, ChatRef, Identity

log = logging.getLogger(__name__)


class SlackChatAdmins:
    """A channel has no admins of its own in Slack's API; the workspace's admins and owners
    (users.info `is_admin`, `is_owner`, https://api.slack.com/methods/users.info, scope
    `users:read`) and the user who installed the app (the installation's `user_id`) count
    as the chat's admins."""

    def __init__(self, messenger: SlackMessenger) -> None:
        self._messenger = messenger

    async def is_admin(self, chat: ChatRef, identity: Identity) -> bool:
        if chat.platform is not ChatPlatform.SLACK or identity.workspace != chat.workspace:
            return False
        if await self._installer(chat.workspace) == identity.user:
            return True
        try:
            answer = await self._messenger.client.users_info(
                user=identity.user, **await self._messenger.auth(chat.workspace)
            )
        except SlackApiError as e:
            log.warning("slack: users.info for a team member failed: %s", error_code(e))
            return False
        user = answer.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    async def _installer(self, team: str) -> str | None:
        tokens = self._messenger.tokens
        if tokens is None:  # one workspace with a configured bot token: no installation kept
            return None
        found = await tokens.async_find_installation(enterprise_id=None, team_id=team)
        return None if found is None else found.user_id
