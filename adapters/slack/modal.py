"""The compose modal: opened from `/postroom post`, the message shortcut or App Home; its
submission becomes a post through core's form use case, errors shown on their fields."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError

from adapters.slack.media import Refused, SlackMedia
from adapters.slack.messenger import SlackMessenger, chat_ref, error_code
from adapters.slack.render import escape
from adapters.slack.view import CALLBACK, compose_view
from adapters.slack.workspaces import workspace_of
from core.chat.entry import Postroom
from core.chat.form import MEDIA, NETWORKS, TEXT, WHEN
from core.handlers import Actor
from core.model import ChatPlatform, Identity
from core.replies import Reply

log = logging.getLogger(__name__)

SHORTCUT = "post_to_social"  # the message shortcut's callback_id (docs/slack-manifest.yaml)
# views.open refuses a trigger_id older than 3 s or used before
# (https://api.slack.com/interactivity/handling#modal_responses).
_TRIGGER_GONE = frozenset({"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"})
TRIGGER_GONE = (
    "The form could not open in time (Slack allows 3 seconds). Send /postroom post again, or "
    "/postroom post <text> to compose here."
)
_NO_ENTRY = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
NOTHING_TO_TICK = "No network can take a post from you yet:"
# A submission is answered within Slack's 3 s (errors or close); fetching and storing its
# files gets this much of them, core's checks and the post's write the rest.
HOST_SECONDS = 2.0
# Asking Ayrshare what is linked gets part of the 3 s too; slower, the stored connections
# are used: before views.open, and before a submission's answer (with what the files left,
# never less than a short floor).
OPEN_REFRESH_SECONDS = 1.5
SUBMIT_SECONDS = 2.5
MIN_REFRESH_SECONDS = 0.3
TOO_SLOW = (
    "Your files took too long to fetch from Slack (a form gets 3 seconds). Share them in our "
    "DM with the text as their message instead: that has no time limit. Nothing was posted."
)

Spawn = Callable[[Coroutine[Any, Any, None], AsyncRespond | None], None]


def actor_of(body: dict[str, Any], channel: str) -> Actor:
    user = body.get("user") or {}
    team = workspace_of(body)
    name = str(user.get("name") or user.get("username") or "")
    identity = Identity(ChatPlatform.SLACK, str(user.get("id", "")), team)
    return Actor(identity, chat_ref(team, channel), name)


class ComposeModal:
    """Opens the modal and turns its submission into a post; `open` is also the App Home's
    "New post" and the `/postroom post` (no text) path."""

    def __init__(
        self,
        app: AsyncApp,
        postroom: Postroom,
        messenger: SlackMessenger,
        spawn: Spawn,
        media: SlackMedia,
    ) -> None:
        self._postroom = postroom
        self._messenger = messenger
        self._spawn = spawn
        self._media = media
        # Called with the author after a post is made (App Home republishes their page).
        self.after_post: Callable[[Actor], Awaitable[None]] | None = None
        app.view(CALLBACK)(self._on_submit)
        app.shortcut(SHORTCUT)(self._on_shortcut)

    async def open(
        self,
        actor: Actor,
        trigger: str,
        respond: AsyncRespond | None,
        text: str = "",
        shared: list[dict[str, Any]] | None = None,
    ) -> None:
        """views.open for `actor`, its post to be made in `actor.chat`; `shared`: the files
        of the message it was opened on (the shortcut)."""
        form = await self._postroom.compose_form(actor, text, refresh_within=OPEN_REFRESH_SECONDS)
        if not form.offered:
            reasons = "\n".join(f"• {c.reason}" for c in form.choices if c.reason)
            await self._say(respond, f"{NOTHING_TO_TICK}\n{escape(reasons)}")
            return
        try:
            # Many workspaces: the call carries the bot token of the user's workspace.
            auth = await self._messenger.auth(actor.identity.workspace)
            await self._messenger.client.views_open(
                trigger_id=trigger, view=compose_view(form, actor.chat.chat, shared or []), **auth
            )
        except SlackApiError as e:
            if error_code(e) not in _TRIGGER_GONE:
                raise
            log.info("slack: views.open refused the trigger (%s)", error_code(e))
            await self._say(respond, TRIGGER_GONE)

    async def _on_shortcut(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        channel = str((body.get("channel") or {}).get("id", ""))
        message = body.get("message") or {}
        text = str(message.get("text", ""))
        shared = [f for f in message.get("files") or [] if isinstance(f, dict)]
        actor = actor_of(body, channel)
        trigger = str(body.get("trigger_id", ""))
        self._spawn(self.open(actor, trigger, respond, text, shared), respond)

    async def _on_submit(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        # The answer to a submission is the HTTP response itself (errors or close), so core
        # decides before the ack; Slack waits 3 s for it.
        try:
            meta = json.loads(str(view.get("private_metadata") or "{}"))
        except ValueError:
            meta = {}
        channel = str(meta.get("channel", "")) if isinstance(meta, dict) else ""
        actor = actor_of(body, channel)
        values = (view.get("state") or {}).get("values") or {}
        text = str(_value(values, TEXT).get("value") or "")
        chosen = [
            str(o.get("value", "")) for o in _value(values, NETWORKS).get("selected_options") or []
        ]
        stamp = _value(values, WHEN).get("selected_date_time")
        when = datetime.fromtimestamp(int(stamp), UTC) if isinstance(stamp, int) else None
        # One post per view, however often it is submitted and to whichever worker: the
        # view's id is recorded with its post (the same modal keeps its id across submissions).
        view_id = str(view.get("id") or "")
        once = f"{actor.identity.workspace}:{view_id}" if view_id else ""
        objects = list(_value(values, MEDIA).get("files") or [])
        kept = meta.get("files") if isinstance(meta, dict) else None
        objects += [{"id": i} for i in kept or [] if isinstance(i, str)]  # the shortcut's
        media: list[str] = []
        started = time.monotonic()
        try:
            if objects:
                job = self._media.fetch(actor.identity.workspace, objects)
                media = await asyncio.wait_for(job, HOST_SECONDS)
        except Refused as e:
            await ack(response_action="errors", errors={MEDIA: str(e)})
            return
        except TimeoutError:
            await ack(response_action="errors", errors={MEDIA: TOO_SLOW})
            return
        left = max(MIN_REFRESH_SECONDS, SUBMIT_SECONDS - (time.monotonic() - started))
        result = await self._postroom.submit_form(
            actor, text, chosen, when, media=media, once=once, refresh_within=left
        )
        if result.errors:
            await ack(response_action="errors", errors=result.errors)
            return
        await ack()  # the modal closes
        if result.again:
            log.info("slack: view %s was submitted again; its post was made before", view_id)
            return
        # One task: the confirmation, then (the pipeline having run) the author's Home; the
        # task's end wakes the pipeline, which shows the progress message of a post sent now.
        self._spawn(self._posted(actor, result.reply), None)

    async def _posted(self, actor: Actor, reply: Reply | None) -> None:
        if reply is not None:
            await self._confirm(actor, reply)
        if self.after_post is not None:
            await self.after_post(actor)

    async def _confirm(self, actor: Actor, reply: Reply) -> None:
        """Scheduled: the confirmation where the modal was opened, as the composer's would
        be; in the author's DM when the bot is not in that channel."""
        try:
            await self._messenger.send(actor.chat, reply)
            return
        except SlackApiError as e:
            if error_code(e) not in _NO_ENTRY:
                raise
        dm = await self._messenger.open_dm(actor.identity.workspace, actor.identity.user)
        await self._messenger.send(dm, reply)

    async def _say(self, respond: AsyncRespond | None, text: str) -> None:
        if respond is not None:
            await respond(text=text, response_type="ephemeral", replace_original=False)


def _value(values: dict[str, Any], field: str) -> dict[str, Any]:
    found = (values.get(field) or {}).get(field)
    return found if isinstance(found, dict) else {}
