"""The App Home tab: published per user (views.publish) when they open it, after each action
taken from it and whenever one of their posts changes elsewhere; its buttons act through
core as the user who sees them."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.slack.messenger import SlackMessenger
from adapters.slack.modal import ComposeModal, Spawn, actor_of
from adapters.slack.render import TAP_PREFIX, render_one
from adapters.slack.view import MAX_BLOCKS
from adapters.slack.workspaces import workspace_of
from core.chat.entry import Postroom
from core.handlers import Actor
from core.model import ChatPlatform, Identity, Post
from core.replies import Reply

log = logging.getLogger(__name__)

Background = Callable[[Coroutine[Any, Any, None]], None]
HOME_PREFIX = "home"  # action_ids of the Home's buttons: answered here, not in a channel
NEW_POST = f"{HOME_PREFIX}:new"


class SlackHome:
    def __init__(
        self,
        app: AsyncApp,
        postroom: Postroom,
        messenger: SlackMessenger,
        spawn: Spawn,
        modal: ComposeModal,
        background: Background,
    ) -> None:
        self._postroom = postroom
        self._messenger = messenger
        self._spawn = spawn
        self._modal = modal
        self._background = background
        # Homes waiting to be published again, each queued once: changes that come while
        # one waits are all shown by that one publish.
        self._queued: set[Identity] = set()
        # Users whose tap in their Home is being handled: it publishes their Home after.
        self._busy: set[Identity] = set()
        modal.after_post = self._after_post
        # Outcomes the pipeline reaches (published, failed) and changes made from a slash
        # command or a progress message, in whichever process: every Slack user with the
        # post in their Home gets it published again (Slack shows the last one published
        # whenever they open it, https://api.slack.com/surfaces/app-home).
        postroom.watch(self._post_changed)
        app.event("app_home_opened")(self._on_opened)
        app.action(NEW_POST)(self._on_new_post)
        app.action(re.compile(f"^{HOME_PREFIX}:{TAP_PREFIX}:"))(self._on_tap)

    async def publish(self, actor: Actor, notice: Reply | None = None) -> None:
        """views.publish of this user's Home (only they see it, so their links may show)."""
        blocks: list[dict[str, Any]] = [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "✍️ New post"},
                        "action_id": NEW_POST,
                        "style": "primary",
                    }
                ],
            }
        ]
        if notice is not None and notice.text:
            blocks += _homed(render_one(self._messenger.slashed(notice)).blocks)
            blocks.append({"type": "divider"})
        for part in await self._postroom.home(actor):
            blocks += _homed(render_one(self._messenger.slashed(part)).blocks)
        await self._messenger.client.views_publish(
            user_id=actor.identity.user,
            view={"type": "home", "blocks": blocks[:MAX_BLOCKS]},
            **await self._messenger.auth(actor.identity.workspace),
        )

    async def _on_opened(self, ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        await ack()
        # The same event fires for the Messages tab (https://api.slack.com/events/app_home_opened).
        if event.get("tab", "home") != "home":
            return
        team = workspace_of(body)  # `user.team_id` below reads back as this same name
        user = {"user": {"id": str(event.get("user", "")), "team_id": team}}
        self._spawn(self._refresh(user), None)

    async def _on_new_post(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        self._spawn(self._new_post(body), None)

    async def _on_tap(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        self._spawn(self._tap(body), None)

    async def _new_post(self, body: dict[str, Any]) -> None:
        actor = await self._in_dm(body)
        # The post is made, and its progress shown, in the user's DM with the bot.
        await self._modal.open(actor, str(body.get("trigger_id", "")), None)

    async def _tap(self, body: dict[str, Any]) -> None:
        actor = await self._in_dm(body)
        value = str((body.get("actions") or [{}])[0].get("value", ""))
        self._busy.add(actor.identity)
        try:
            reply = await self._postroom.handle_tap(actor, value, None)
        finally:
            self._busy.discard(actor.identity)
        notice = reply if reply.text else Reply(reply.toast) if reply.toast else None
        await self.publish(actor, notice)

    async def _refresh(self, body: dict[str, Any]) -> None:
        await self.publish(await self._in_dm(body))

    async def _after_post(self, author: Actor) -> None:
        """A post made from the modal: the author's Home lists it (upcoming, or its outcome
        once the pipeline has one)."""
        self._queue(author.identity)

    async def _post_changed(self, post: Post) -> None:
        for identity in await self._postroom.home_owners(post, ChatPlatform.SLACK):
            if identity not in self._busy:
                self._queue(identity)

    def _queue(self, identity: Identity) -> None:
        if identity in self._queued:
            return
        self._queued.add(identity)
        self._background(self._republish(identity))

    async def _republish(self, identity: Identity) -> None:
        # Unqueued first: a change while this publish is on its way queues the next one.
        self._queued.discard(identity)
        dm = await self._messenger.open_dm(identity.workspace, identity.user)
        await self.publish(Actor(identity, dm))

    async def _in_dm(self, body: dict[str, Any]) -> Actor:
        """The user as in their DM with the bot: Home is theirs alone, a private chat."""
        found = actor_of(body, "")
        identity = found.identity
        dm = await self._messenger.open_dm(identity.workspace, identity.user)
        return Actor(
            Identity(ChatPlatform.SLACK, identity.user, identity.workspace), dm, found.name
        )


def _homed(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Core's tap buttons answered by the Home (a tap there has no channel to answer in)."""
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            action_id = str(element.get("action_id", ""))
            if action_id.startswith(f"{TAP_PREFIX}:"):
                element["action_id"] = f"{HOME_PREFIX}:{action_id}"[:255]
    return blocks
