"""The compose modal: opened from `/postroom post`, the message shortcut or App Home; its
submission becomes a post through core's form use case, errors shown on their fields."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError

from adapters.slack.messenger import SlackMessenger, chat_ref, error_code
from adapters.slack.render import escape
from adapters.slack.workspaces import workspace_of
from core.chat.entry import Postroom
from core.chat.form import NETWORKS, TEXT, WHEN, Form
from core.handlers import Actor
from core.model import ChatPlatform, Identity
from core.replies import Reply

log = logging.getLogger(__name__)

CALLBACK = "postroom_compose"  # the modal's callback_id
SHORTCUT = "post_to_social"  # the message shortcut's callback_id (docs/slack-manifest.yaml)
# https://api.slack.com/reference/block-kit/block-elements#input: a plain_text_input takes
# at most 3,000 characters; checkboxes at most 10 options; a view at most 100 blocks.
TEXT_MAX = 3000
MAX_OPTIONS = 10
MAX_BLOCKS = 100
# views.open refuses a trigger_id older than 3 s or used before
# (https://api.slack.com/interactivity/handling#modal_responses).
_TRIGGER_GONE = frozenset({"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"})
TRIGGER_GONE = (
    "The form could not open in time (Slack allows 3 seconds). Send /postroom post again, or "
    "/postroom post <text> to compose here."
)
_NO_ENTRY = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
NOTHING_TO_TICK = "No network can take a post from you yet:"

Spawn = Callable[[Coroutine[Any, Any, None], AsyncRespond | None], None]


def actor_of(body: dict[str, Any], channel: str) -> Actor:
    user = body.get("user") or {}
    team = workspace_of(body)
    name = str(user.get("name") or user.get("username") or "")
    identity = Identity(ChatPlatform.SLACK, str(user.get("id", "")), team)
    return Actor(identity, chat_ref(team, channel), name)


def compose_view(form: Form, channel: str) -> dict[str, Any]:
    """The modal: text, the networks that can be ticked, why others can't, and when."""
    offered = form.offered[:MAX_OPTIONS]
    options = [_option(c.network.value, c.network.label) for c in offered]
    text_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": TEXT,
        "multiline": True,
        "max_length": TEXT_MAX,
    }
    if form.text:
        text_input["initial_value"] = form.text[:TEXT_MAX]
    boxes: dict[str, Any] = {"type": "checkboxes", "action_id": NETWORKS, "options": options}
    ticked = [o for o, c in zip(options, offered, strict=True) if c.ticked]
    if ticked:
        boxes["initial_options"] = ticked
    blocks: list[dict[str, Any]] = [
        {"type": "input", "block_id": TEXT, "label": _plain("Text"), "element": text_input},
        {"type": "input", "block_id": NETWORKS, "label": _plain("Networks"), "element": boxes},
    ]
    # Locked or unavailable networks are shown with the reason, never offered (a context
    # block holds at most 10 elements).
    reasons = [f"🔒 {escape(c.reason)}" for c in form.choices if c.reason is not None]
    if reasons:
        blocks.append({"type": "context", "elements": [_mrkdwn(r) for r in reasons[:MAX_OPTIONS]]})
    blocks.append(
        {
            "type": "input",
            "block_id": WHEN,
            "optional": True,
            "label": _plain("Schedule for (empty: publish now)"),
            # Slack shows the picker in the user's own time zone and sends a Unix time.
            "element": {"type": "datetimepicker", "action_id": WHEN},
            "hint": _plain(f"Your Postroom time zone is {form.timezone}."),
        }
    )
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": _plain("New post"),
        "submit": _plain("Post"),
        "close": _plain("Cancel"),
        "private_metadata": json.dumps({"channel": channel}),
        "blocks": blocks[:MAX_BLOCKS],
    }


class ComposeModal:
    """Opens the modal and turns its submission into a post; `open` is also the App Home's
    "New post" and the `/postroom post` (no text) path."""

    def __init__(
        self, app: AsyncApp, postroom: Postroom, messenger: SlackMessenger, spawn: Spawn
    ) -> None:
        self._postroom = postroom
        self._messenger = messenger
        self._spawn = spawn
        # Called with the author after a post is made (App Home republishes their page).
        self.after_post: Callable[[Actor], Awaitable[None]] | None = None
        app.view(CALLBACK)(self._on_submit)
        app.shortcut(SHORTCUT)(self._on_shortcut)

    async def open(
        self, actor: Actor, trigger: str, respond: AsyncRespond | None, text: str = ""
    ) -> None:
        """views.open for `actor`, its post to be made in `actor.chat`."""
        form = await self._postroom.compose_form(actor, text)
        if not form.offered:
            reasons = "\n".join(f"• {c.reason}" for c in form.choices if c.reason)
            await self._say(respond, f"{NOTHING_TO_TICK}\n{escape(reasons)}")
            return
        try:
            # Many workspaces: the call carries the bot token of the user's workspace.
            auth = await self._messenger.auth(actor.identity.workspace)
            await self._messenger.client.views_open(
                trigger_id=trigger, view=compose_view(form, actor.chat.chat), **auth
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
        text = str((body.get("message") or {}).get("text", ""))
        actor = actor_of(body, channel)
        self._spawn(self.open(actor, str(body.get("trigger_id", "")), respond, text), respond)

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
        result = await self._postroom.submit_form(actor, text, chosen, when, once=once)
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


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": _plain(label), "value": value}
