"""SlackMessenger: core's Messenger port over the Web API (chat.postMessage, chat.update)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.files import share_file, share_png
from adapters.slack.limiter import ChannelPace
from adapters.slack.render import render, render_one, slashed
from adapters.slack.workspaces import WorkspaceTokens
from core.model import ChatKind, ChatPlatform, ChatRef, MessageRef
from core.ports import ChatUnreachable
from core.replies import Reply

log = logging.getLogger(__name__)


def chat_ref(team: str, channel: str) -> ChatRef:
    """A Slack conversation: a DM with the bot (an id starting with D,
    https://api.slack.com/types/conversation) is the user's private chat; every other
    channel is shared."""
    kind = ChatKind.PRIVATE if channel.startswith("D") else ChatKind.SHARED
    return ChatRef(ChatPlatform.SLACK, channel, team, kind=kind)


# The bot may not post there (https://api.slack.com/methods/chat.postMessage#errors).
NO_ENTRY = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


class Unreachable(SlackApiError, ChatUnreachable):
    """chat.postMessage refused the channel: still a SlackApiError, and core's sign to try
    the author's DM."""

    def __init__(self, message: str, response: Any) -> None:
        super().__init__(message, response)  # type: ignore[no-untyped-call]  # slack_sdk


def error_code(error: SlackApiError) -> str:
    """Slack's `error` field ("not_in_channel", "message_not_found", …)."""
    data = error.response.data if error.response is not None else None
    return str(data.get("error", "")) if isinstance(data, dict) else ""


class SlackMessenger:
    """Sends replies as Block Kit messages and edits them in place with chat.update.

    A reply too long for one message is split (buttons on the last part; that part is the
    message later edits replace); an edit cannot be split, so it is trimmed with "…". Every
    post waits for its channel's slot in the shared `pace`; chat.update is not paced (it is
    a Tier 3 method, https://api.slack.com/methods/chat.update). 429 answers are waited out
    by the client's retry handler (`adapters.slack.limiter.RetryAfter`). With `tokens` (many
    workspaces) each call carries the bot token of the chat's workspace (`ChatRef.workspace`).
    A reply's image (a digest's chart) is shared in the channel after its text, paced like a
    message; an edit keeps the image already shown (a shared file is not part of the message
    chat.update changes).
    """

    def __init__(
        self,
        client: AsyncWebClient,
        pace: ChannelPace | None = None,
        tokens: WorkspaceTokens | None = None,
    ) -> None:
        self.client = client
        self.pace = pace or ChannelPace()
        self.tokens = tokens
        # The slash command and core's command names, set by the front end: core's `/post`
        # is shown as `/postroom post`.
        self.commands: tuple[str, frozenset[str]] = ("", frozenset())

    async def aclose(self) -> None:
        """Close the client's aiohttp session (its owner, bot/, passed it in to be shared)."""
        session = self.client.session
        if session is not None and not session.closed:
            await session.close()

    async def auth(self, team: str) -> dict[str, Any]:
        """The `token` argument for a call into `team`'s workspace (none: the client's own);
        raises NotInstalled when that workspace has no installation."""
        return {} if self.tokens is None else {"token": await self.tokens.token(team)}

    def slashed(self, reply: Reply) -> Reply:
        command, names = self.commands
        return slashed(reply, command, names)

    async def send(self, chat: ChatRef, reply: Reply) -> MessageRef:
        if chat.private and chat.chat.startswith(("U", "W")):  # a user: the bot's DM with them
            chat = await self.open_dm(chat.workspace, chat.chat)
        try:
            return await self._send(chat, reply)
        except SlackApiError as e:
            if error_code(e) in NO_ENTRY and not isinstance(e, Unreachable):
                raise Unreachable(str(e), e.response) from e
            raise

    async def _send(self, chat: ChatRef, reply: Reply) -> MessageRef:
        ts = ""
        channel = chat.chat
        auth = await self.auth(chat.workspace)
        for message in render(self.slashed(reply)):
            await self.pace.wait(channel)
            answer = await self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                **auth,
            )
            self.pace.sent(channel)
            ts = str(answer["ts"])
            channel = str(answer.get("channel") or channel)
        if not ts:
            raise ValueError("a reply with no text cannot be sent")
        if reply.image is not None:
            await self.pace.wait(channel)
            alt = reply.text.partition("\n")[0]
            await share_png(self.client, channel, reply.image, alt, **auth)
            self.pace.sent(channel)
        if reply.document is not None:
            await self.pace.wait(channel)
            found = reply.document
            await share_file(self.client, channel, found.data, found.filename, **auth)
            self.pace.sent(channel)
        return MessageRef(ChatRef(chat.platform, channel, chat.workspace, kind=chat.kind), ts)

    async def edit(self, message: MessageRef, reply: Reply) -> None:
        rendered = render_one(self.slashed(reply))
        if not rendered.blocks:
            raise ValueError("an edit needs text")
        await self.client.chat_update(
            channel=message.chat.chat,
            ts=message.message_id,
            text=rendered.text,
            blocks=rendered.blocks,
            **await self.auth(message.chat.workspace),
        )

    async def reaches(self, chat: ChatRef, user: str, note: str) -> bool:
        """Whether the bot may post in `chat`: `note` shown to `user` alone there
        (chat.postEphemeral needs the bot in the channel, like chat.postMessage; it needs no
        extra scope, unlike conversations.info)."""
        try:
            await self.client.chat_postEphemeral(
                channel=chat.chat, user=user, text=note, **await self.auth(chat.workspace)
            )
            return True
        except SlackApiError as e:
            if error_code(e) in NO_ENTRY:
                return False
            raise

    async def open_dm(self, team: str, user: str) -> ChatRef:
        """The bot's DM with `user` (conversations.open; the `im:write` scope)."""
        answer = await self.client.conversations_open(users=user, **await self.auth(team))
        channel = answer["channel"]
        assert isinstance(channel, dict)
        return chat_ref(team, str(channel["id"]))
