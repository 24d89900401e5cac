"""The Slack front end: a bolt AsyncApp whose listeners ack at once and hand the work to core."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from adapters.slack.home import SlackHome
from adapters.slack.media import Refused, SlackMedia
from adapters.slack.messenger import NO_ENTRY, SlackMessenger, chat_ref, error_code
from adapters.slack.modal import ComposeModal
from adapters.slack.render import LINK_PREFIX, PRIVATE_PREFIX, TAP_PREFIX, render, render_one
from adapters.slack.workspaces import NOT_INSTALLED, NotInstalled, team_of, workspace_of
from core.chat.entry import Postroom
from core.chat.seen_updates import SeenUpdates
from core.handlers import OOPS, Actor
from core.model import ChatPlatform, ChatRef, Identity, MessageRef
from core.ports import MediaHost
from core.replies import Reply

log = logging.getLogger(__name__)

COMMAND = "/postroom"
# Deliveries already handled: Slack re-sends an event it got no 2xx for within 3 s, up to
# three times (X-Slack-Retry-Num, same event_id:
# https://api.slack.com/apis/events-api#retries), maybe to another worker behind the same
# URL; a slash command or tap delivered twice carries the same trigger_id. Recorded in the
# database (core's SeenUpdates, shared by every worker, kept a day) when the acked work
# starts, so the check never delays the ack.
SEEN_SOURCE = "slack"
# The delivery the request in hand is: set by `_dedupe` for every request, read by `_spawn`
# in the same task (bolt runs a request's middleware and listener one after the other in
# the task handling it, https://github.com/slackapi/bolt-python, AsyncApp.async_dispatch).
_DELIVERY: ContextVar[str] = ContextVar("slack_delivery", default="")
MAX_KEY = 255  # Slack's ids are a few dozen characters; a longer "id" is not one of them
HINT = f"To compose a post, send {COMMAND} post followed by your text. {COMMAND} help shows more."
NOT_IN_CHANNEL = (
    "I can't post in this channel yet, so only you see that, and its progress can't be "
    f"shown here: add me with /invite @Postroom, or use {COMMAND} in your DM with me."
)
IN_YOUR_DM = "I answered in our DM."
CHECKING_CHANNEL = "📬 Setting up the digest for this channel…"
DIGEST_NOT_IN_CHANNEL = (
    "I'm not in this channel, so I could not post its digest: nothing was changed. Add me "
    f"with /invite @Postroom, then send {COMMAND} digest here again."
)
IN_THIS_CHANNEL = "📬 The digest is in this channel, for everyone here, as scheduled ones are."
OTHER_WORKSPACE = "This Postroom serves another Slack workspace; nothing was done."
# What an edit is refused with when the message is gone or not ours to edit: shown anew.
_GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
_NO_ENTRY = NO_ENTRY
_OWN = frozenset({None, "file_share"})  # message subtypes a person's own message has
# `/postroom digest now` shows the digest the channel would get: posted there, chart and all
# (an ephemeral answer cannot carry a file: https://api.slack.com/methods/chat.postEphemeral).
_SHOWN_IN_CHANNEL = frozenset({"digest now", "digest preview"})


class SlackChat:
    """Slash commands, button taps and DMs in; core's replies out.

    `/postroom <sub> args` is core's `/<sub> args`; `/postroom` alone is `/help`. A reply with
    buttons core may later edit (a composer, a list) is posted in the channel, so chat.update
    can change it; anything else is shown only to the user who asked (ephemeral, through the
    command's `response_url`). Each listener acks first (Slack waits 3 s at most,
    https://api.slack.com/interactivity/handling#acknowledgment_response) and the work runs
    after, in tasks `drain` waits for.
    """

    def __init__(
        self,
        postroom: Postroom,
        messenger: SlackMessenger,
        *,
        signing_secret: str,
        seen: SeenUpdates,
        media: MediaHost,
        after_update: Callable[[], Awaitable[None]] | None = None,
        oauth_settings: AsyncOAuthSettings | None = None,
    ) -> None:
        self._postroom = postroom
        self._messenger = messenger
        self.after_update = after_update
        self._seen = seen
        self._tasks: set[asyncio.Task[None]] = set()
        self._team = ""  # the workspace the token is for (auth.test, in `setup`)
        # Core's commands as Slack shows them: `/post` is `/postroom post` (one slash command).
        messenger.commands = (COMMAND, postroom.command_names())
        # process_before_response: the listener returns right after ack() (the work is a
        # task of ours), so the HTTP answer goes back as soon as it is acked.
        # Many workspaces (`oauth_settings`): bolt finds each request's bot token in the
        # installation store and answers a workspace without one NOT_INSTALLED.
        self.app = AsyncApp(
            client=messenger.client,
            signing_secret=signing_secret,
            request_verification_enabled=True,
            process_before_response=True,
            oauth_settings=oauth_settings,
            user_facing_authorize_error_message=NOT_INSTALLED,
        )
        if oauth_settings is not None:
            # app_uninstalled and tokens_revoked delete the workspace's installation.
            self.app.enable_token_revocation_listeners()
        self.app.use(self._one_workspace)
        self.app.use(self._dedupe)
        self.app.command(COMMAND)(self._on_command)
        self.app.action(re.compile(f"^{TAP_PREFIX}:"))(self._on_tap)
        self.app.action(re.compile(f"^{PRIVATE_PREFIX}:"))(self._on_private)
        self.app.action(re.compile(f"^{LINK_PREFIX}:"))(self._on_link)
        self.app.event("message")(self._on_message)
        self.app.event("member_left_channel")(self._on_left)
        # The compose modal and App Home register their own listeners.
        self.media = SlackMedia(messenger, media)
        self.modal = ComposeModal(self.app, postroom, messenger, self._spawn, self.media)
        self.home = SlackHome(
            self.app, postroom, messenger, self._spawn, self.modal, self._background
        )

    async def setup(self) -> dict[str, Any]:
        """auth.test: the token works; which workspace and bot user it is."""
        answer = await self._messenger.client.auth_test()
        found = dict(answer.data) if isinstance(answer.data, dict) else {}
        self._team = str(found.get("team_id", ""))
        return found

    async def drain(self) -> None:
        """Wait for the work of acked requests (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- listeners: ack, then the work in a task -------------------------------------------

    async def _one_workspace(
        self, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> Any:
        """One workspace: a request from another (the same app installed elsewhere, signed
        with the same secret) is answered and not processed; its token would not work."""
        team = team_of(body)
        if self._team and team and team != self._team:
            log.warning("slack: a request from workspace %s was refused", team)
            return BoltResponse(status=200, body=OTHER_WORKSPACE)
        return await next()

    async def _dedupe(self, body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> Any:
        """Names the delivery for `_spawn`; the check is made there, after the ack."""
        key = body.get("event_id") or body.get("trigger_id")
        named = isinstance(key, str) and key and len(key) <= MAX_KEY
        _DELIVERY.set(f"{workspace_of(body)}:{key}" if named else "")
        return await next()

    async def _on_command(
        self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        self._spawn(self._command(command, respond), respond)

    async def _on_tap(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        self._spawn(self._tap(body, respond), respond)

    async def _on_private(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        self._spawn(self._private(body, respond), respond)

    async def _on_link(self, ack: AsyncAck) -> None:
        await ack()  # Slack opens the URL itself; the click is only acknowledged

    async def _on_message(
        self, ack: AsyncAck, event: dict[str, Any], body: dict[str, Any]
    ) -> None:
        await ack()
        # Only a person's own message in their DM with the bot is for us (no edits, joins or
        # bot messages: https://api.slack.com/events/message#subtypes); one with files comes
        # as `file_share`, or without a subtype from newer clients, `files` listing them.
        subtype = event.get("subtype")
        if event.get("channel_type") != "im" or subtype not in _OWN or event.get("bot_id"):
            return
        self._spawn(self._dm(event, workspace_of(body)), None)

    async def _on_left(self, ack: AsyncAck, event: dict[str, Any], body: dict[str, Any]) -> None:
        """Someone left a channel or was removed (https://api.slack.com/events/member_left_channel):
        if it is a team's, they no longer act for the team."""
        await ack()
        user, channel = str(event.get("user", "")), str(event.get("channel", ""))
        if not user or not channel:
            return
        team = workspace_of(body)
        left = self._postroom.member_left(
            chat_ref(team, channel), Identity(ChatPlatform.SLACK, user, team)
        )
        self._spawn(left, None)

    # --- the work ----------------------------------------------------------------------------

    async def _command(self, body: dict[str, Any], respond: AsyncRespond) -> None:
        team, user = workspace_of(body), str(body.get("user_id", ""))
        chat = chat_ref(team, str(body.get("channel_id", "")))
        name = str(body.get("user_name", ""))
        # The username is how `/postroom team role @name` finds them (the command is sent
        # unescaped, so a mention arrives as the typed @name).
        title = "" if chat.private else str(body.get("channel_name", ""))  # a team's default name
        actor = Actor(Identity(ChatPlatform.SLACK, user, team), chat, name, name, title)
        sub = str(body.get("text", "")).strip().lstrip("/")
        if sub == "post":  # no text: the compose modal (its trigger_id lasts 3 s)
            await self.modal.open(actor, str(body.get("trigger_id", "")), respond)
            return
        # A digest for a channel the bot is not in could never be delivered.
        if (
            _subscribes(sub)
            and not chat.private
            and not await self._messenger.reaches(chat, user, CHECKING_CHANNEL)
        ):
            await self._ephemeral(respond, Reply(DIGEST_NOT_IN_CHANNEL))
            return
        reply = await self._postroom.handle_text(actor, f"/{sub}" if sub else "/help")
        if reply is not None and reply.document is not None:
            # A file (an export) cannot be ephemeral: it is shared where the command was sent.
            await self._in_channel(chat, reply, respond)
            return
        if reply is not None and _in_channel(sub, reply) and not chat.private:
            if await self._in_channel(chat, reply, respond):
                await self._ephemeral(respond, Reply(IN_THIS_CHANNEL))
            return
        await self._answer(chat, reply or Reply(HINT), respond)

    async def _tap(self, body: dict[str, Any], respond: AsyncRespond) -> None:
        actor, message, ephemeral = _tapper(body)
        action = (body.get("actions") or [{}])[0]
        reply = await self._postroom.handle_tap(actor, str(action.get("value", "")), message)
        if reply.edit and reply.text:
            if message is not None:
                try:
                    await self._messenger.edit(message, reply)
                    return
                except SlackApiError as e:
                    if error_code(e) not in _GONE:
                        raise
                # The message was deleted or is not ours to edit: show the answer anew.
            elif ephemeral:
                shown = render_one(self._messenger.slashed(reply))
                await respond(text=shown.text, blocks=shown.blocks, replace_original=True)
                return
        if reply.text:
            await self._answer(actor.chat, reply, respond)
        elif reply.toast:
            await self._ephemeral(respond, Reply(reply.toast))

    async def _private(self, body: dict[str, Any], respond: AsyncRespond) -> None:
        """A "continue in private" button: core's `/start <payload>` in the tapper's DM with
        the bot, where links meant for them alone may be shown."""
        actor, _, _ = _tapper(body)
        payload = str((body.get("actions") or [{}])[0].get("value", ""))
        dm = await self._messenger.open_dm(actor.identity.workspace, actor.identity.user)
        reply = await self._postroom.handle_text(
            Actor(actor.identity, dm, actor.name), f"/start {payload}"
        )
        if reply is not None and reply.text:
            await self._messenger.send(dm, reply)
        if not actor.chat.private:
            await self._ephemeral(respond, Reply(IN_YOUR_DM))

    async def _dm(self, event: dict[str, Any], team: str) -> None:
        chat = chat_ref(team, str(event.get("channel", "")))
        actor = Actor(Identity(ChatPlatform.SLACK, str(event.get("user", "")), team), chat)
        text = str(event.get("text", ""))
        files = event.get("files") or []
        try:
            upload = await self.media.table(team, text, files) if files else None
            # Only a post uses media: a file shared with "/status" is not fetched at all.
            media = [] if upload else await self.media.post_media(team, text, files)
        except Refused as e:
            await self._messenger.send(chat, Reply(str(e)))
            return
        if upload is not None:
            reply = await self._postroom.handle_upload(actor, upload)
        else:
            reply = await self._postroom.handle_text(actor, text, media)
        if reply is None and not text.startswith("/"):
            reply = Reply(HINT)
        if reply is not None and reply.text:
            await self._messenger.send(chat, reply)

    async def _answer(self, chat: ChatRef, reply: Reply, respond: AsyncRespond) -> None:
        """In the channel when core may edit it later (it has buttons that tap back), else
        to the asking user alone."""
        if not reply.text:
            return
        if not any(b.taps for row in reply.buttons for b in row):
            await self._ephemeral(respond, reply)
            return
        await self._in_channel(chat, reply, respond)

    async def _in_channel(self, chat: ChatRef, reply: Reply, respond: AsyncRespond) -> bool:
        """Posted in `chat`; True when it got there."""
        try:
            await self._messenger.send(chat, reply)
            return True
        except SlackApiError as e:
            if error_code(e) not in _NO_ENTRY:
                raise
        # Shown to the user alone (a list still reads well), with the way to fix it.
        await self._ephemeral(respond, reply)
        await self._ephemeral(respond, Reply(NOT_IN_CHANNEL))
        return False

    async def _ephemeral(self, respond: AsyncRespond, reply: Reply) -> None:
        # A response_url answer is "ephemeral" unless it says in_channel
        # (https://api.slack.com/interactivity/handling#message_responses); it works in
        # channels the bot is not in. Five answers per request, for 30 minutes.
        for part in render(self._messenger.slashed(reply)):
            answer = await respond(
                text=part.text,
                blocks=part.blocks,
                response_type="ephemeral",
                replace_original=False,
            )
            if answer.status_code != 200:
                log.warning("slack response_url answered %s", answer.status_code)

    def _spawn(self, work: Coroutine[Any, Any, None], respond: AsyncRespond | None) -> None:
        once = _DELIVERY.get()
        _DELIVERY.set("")  # one piece of work per delivery

        async def run() -> None:
            if once and not await self._seen.first_key(SEEN_SOURCE, once):
                log.info("slack delivery %s arrived again; ignored", once)
                work.close()  # never started
                return
            try:
                await work
            except Exception:
                log.exception("handling a slack request failed")
                if respond is not None:
                    try:
                        await respond(text=OOPS, response_type="ephemeral", replace_original=False)
                    except Exception:
                        log.exception("telling the user failed")
            await self._wake()

        self._track(run())

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        """Work no request asked for (a Home published again after a change): no delivery
        to check, nobody to answer, nothing for the pipeline."""

        async def run() -> None:
            try:
                await work
            except NotInstalled:
                pass  # the workspace is gone; WorkspaceTokens said so
            except Exception as e:
                log.warning("slack: background work failed (%s: %s)", type(e).__name__, e)

        self._track(run())

    def _track(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _wake(self) -> None:
        if self.after_update is not None:
            try:
                await self.after_update()
            except Exception:
                log.exception("waking the pipeline failed")


def _subscribes(sub: str) -> bool:
    """`digest here` / `digest on`: the chat asked for is the one the command came from."""
    return " ".join(sub.lower().split()[:2]) in ("digest here", "digest on")


def _in_channel(sub: str, reply: Reply) -> bool:
    """A digest shown now goes where scheduled digests go (a digest has fields; a refusal
    does not, and stays ephemeral); so does any chart."""
    said = " ".join(sub.lower().split()[:2])
    shown = reply.image is not None or (said in _SHOWN_IN_CHANNEL and bool(reply.fields))
    return bool(reply.text) and shown


def _tapper(body: dict[str, Any]) -> tuple[Actor, MessageRef | None, bool]:
    """Who tapped (their workspace and user id), where, and on which message (None: an
    ephemeral message, which chat.update cannot change)."""
    user = body.get("user") or {}
    team = workspace_of(body)
    container = body.get("container") or {}
    channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    chat = chat_ref(team, channel)
    name = str(user.get("name") or user.get("username") or "")
    identity = Identity(ChatPlatform.SLACK, str(user.get("id", "")), team)
    actor = Actor(identity, chat, name, str(user.get("username") or name))
    ephemeral = bool(container.get("is_ephemeral"))
    ts = (body.get("message") or {}).get("ts") or container.get("message_ts")
    message = MessageRef(chat, str(ts)) if ts and not ephemeral else None
    return actor, message, ephemeral
