"""The one entry chat adapters call: a user's text or button tap in, a neutral reply out."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace

from core.actions import Action
from core.billing.lifecycle import Billing
from core.billing_ports import PaymentProvider
from core.chat.approvals import ApprovalFlow
from core.chat.base import int_arg
from core.chat.disconnect import DisconnectFlow
from core.chat.drafts import DraftFlow
from core.chat.forget import ForgetFlow
from core.chat.form import FormFlow
from core.chat.home import HomeFlow
from core.chat.linking import LinkFlow
from core.chat.plans import PlanFlow
from core.chat.posting_as import PostingAsFlow
from core.chat.posts import PostFlow
from core.chat.reconnect import ReconnectFlow
from core.commands import MAX_INPUT_CHARS, Command, parse_command
from core.errors import DomainError, PublishError
from core.handlers import (
    OOPS,
    Actor,
    CommandHandler,
    TapHandler,
    TypedText,
    Upload,
    UploadHandler,
    profile_wide,
    refuse,
    require,
)
from core.logins import AccountLogin
from core.model import (
    ChatRef,
    MessageRef,
    Network,
    Profile,
    Provider,
    Route,
)
from core.policy import Policy
from core.ports import Clock, Publisher, UnitOfWorkFactory
from core.publishing.accounts import Accounts
from core.publishing.progress import ProgressNotifier
from core.replies import (
    MAX_CALLBACK_BYTES,
    Button,
    Reply,
    Seal,
    code,
    seal,
    unmark,
    unseal,
)
from core.roles import ACTION_CAPABILITY, COMMAND_CAPABILITY, DEFAULT_CAPABILITY, Capability
from core.when import format_local, sample_date, zone_name

# Adapters and other use-case modules import these from here, the one entry point.
__all__ = ["MENU", "Postroom"]

log = logging.getLogger(__name__)

_ACTIONS = {a.value: a for a in Action}

# The command menu chat front ends register (Telegram's setMyCommands), in the order shown.
MENU: tuple[tuple[str, str], ...] = (
    ("post", "Compose a post: /post <text>, or send a photo with a caption"),
    ("posts", "Your scheduled and recent posts"),
    ("schedule", "Schedule your draft: /schedule tomorrow 9:00"),
    ("connect", "Link Instagram, TikTok, YouTube, Facebook, LinkedIn, X"),
    ("status", "Your plan and what is connected"),
    ("timezone", "Your time zone: /timezone Europe/Berlin"),
    ("tier", "Your plan and its limits"),
    ("help", "Everything I can do"),
)
NOT_YOURS = "Only the author can do that."
# `/start <payload>` runs another command: a team member's role must allow that one.
_PAYLOAD_NEEDS = {
    c: COMMAND_CAPABILITY[c] for c in ("connect", "link", "upgrade", "billing", "forget")
}
UNSEALED = "This button is too old to use. Send the command again."
FORGOTTEN = (
    "The data this button was made for has been deleted (/forget), so it does nothing now. "
    "Send /start to begin afresh."
)


class Postroom(
    ReconnectFlow,
    DisconnectFlow,
    ForgetFlow,
    DraftFlow,
    FormFlow,
    HomeFlow,
    PlanFlow,
    PostFlow,
    LinkFlow,
    PostingAsFlow,
    ApprovalFlow,
):
    """Use cases behind chat: start, help, connect, status, disconnect, forget, post, posts,
    cancel, delete, retry, schedule, tier, upgrade, timezone, team, approvals and notes."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        publishers: Mapping[Route, Publisher],
        accounts: Accounts,
        policy: Policy,
        clock: Clock,
        bot_username: str | None = None,
        sandbox: bool = False,
        notifier: ProgressNotifier | None = None,
        billing: Billing | None = None,
        payments: Mapping[Provider, PaymentProvider] | None = None,
    ) -> None:
        super().__init__(
            uow=uow,
            publishers=publishers,
            accounts=accounts,
            policy=policy,
            clock=clock,
            bot_username=bot_username,
            sandbox=sandbox,
            notifier=notifier,
            billing=billing,
            payments=payments,
        )
        self._commands: dict[str, CommandHandler] = {
            "start": self._start,
            "help": self._help,
            "connect": self._connect,
            "status": self._status,
            "disconnect": self._disconnect,
            "forget": self._forget,
            "post": self._post,
            "posts": self._posts,
            "schedule": self._schedule_cmd,
            "cancel": self._cancel_cmd,
            "delete": self._delete_cmd,
            "retry": self._retry_cmd,
            "tier": self._tier,
            "upgrade": self._upgrade,
            "billing": self._billing_command,
            "timezone": self._timezone,
            "link": self._link,
            "unlink": self._unlink,
            "team": self._team,
            "approvals": self._approvals,
            "note": self._note,
            "drafts": self._drafts,
            "draft": self._draft_cmd,
            "edit": self._edit_cmd,
            "version": self._version_cmd,
        }
        self._taps: dict[Action, TapHandler] = {
            Action.COMMAND: self._tap_go,
            Action.CONNECT: self._tap_connect,
            Action.LOCKED: self._tap_locked,
            Action.TOGGLE: self._tap_toggle,
            Action.PUBLISH: self._tap_publish,
            Action.SCHEDULE_MENU: self._tap_schedule_menu,
            Action.SCHEDULE_AT: self._tap_schedule_at,
            Action.DISCARD: self._tap_discard,
            Action.EDIT: self._tap_open_draft,
            Action.OPEN: self._tap_open,
            Action.CANCEL: self._tap_cancel,
            Action.DELETE: self._tap_delete,
            Action.DELETE_CONFIRMED: self._tap_delete_confirmed,
            Action.RETRY: self._tap_retry,
            Action.PAGE: self._tap_page,
            Action.UNLINK: self._tap_unlink,
            Action.DISCONNECT: self._tap_disconnect,
            Action.RECONNECT: self._tap_reconnect,
            Action.FORGET: self._tap_forget,
            Action.RENEW: self._tap_renew,
            Action.POSTING_AS: self._tap_posting_as,
            Action.APPROVE: self._tap_approve,
            Action.REQUEST_CHANGES: self._tap_request_changes,
            Action.REJECT: self._tap_reject,
            Action.DRAFTS: self._tap_drafts,
            Action.DRAFT_MENU: self._tap_draft_menu,
            Action.ASK_TEXT: self._tap_ask_text,
            Action.ASK_MEDIA: self._tap_ask_media,
            Action.NO_MEDIA: self._tap_no_media,
            Action.VERSION: self._tap_version,
            Action.VERSION_RESET: self._tap_version_reset,
        }
        # What each command and action needs of a team member's role (`core.roles`).
        self._command_needs: dict[str, Capability] = dict(COMMAND_CAPABILITY)
        self._tap_needs: dict[Action, Capability] = dict(ACTION_CAPABILITY)

        self._help_lines: list[str] = []
        self._menu: list[tuple[str, str]] = list(MENU)
        self._upload: UploadHandler | None = None
        self._handled: list[Callable[[int], None]] = []
        self._typed: list[TypedText] = []

    def add_command(
        self,
        name: str,
        handler: CommandHandler,
        help_line: str,
        *,
        capability: Capability = DEFAULT_CAPABILITY,
    ) -> None:
        """Plug in a command from another use-case module (analytics, upgrades, …);
        `capability` is what a team member's role must hold to use it (`core.roles`)."""
        if name in self._commands:
            raise ValueError(f"/{name} is already a command")
        self._commands[name] = handler
        self._command_needs[name] = capability
        self._help_lines.append(help_line)
        # "/stats [30d] — your numbers" → "your numbers" in the menu.
        self._menu.insert(len(self._menu) - 1, (name, help_line.partition(" — ")[2] or help_line))

    def command_names(self) -> frozenset[str]:
        """Every command's name, the plugged-in ones too (a chat that renames them: Slack)."""
        return frozenset(self._commands)

    def menu(self) -> list[tuple[str, str]]:
        """(command, description) pairs for a chat's command menu, help last."""
        return list(self._menu)

    def add_login(self, login: AccountLogin) -> None:
        """Offer `login`'s network in /connect as a link to its login page, to the profiles
        whose tier routes that network to `login.route`."""
        self._logins[login.network] = login

    def add_typed(self, use_case: TypedText) -> None:
        """Plug in a use case that may take a user's next plain message (`TypedText`)."""
        self._typed.append(use_case)

    def add_tap(
        self, action: Action, handler: TapHandler, *, capability: Capability | None = None
    ) -> None:
        """Plug in the handler of an action from the table (`core.actions`); `capability`:
        what a team member's role must hold to tap it (default: `core.roles`' table)."""
        if action in self._taps:
            raise ValueError(f"button action {action.name} is taken")
        self._taps[action] = handler
        if capability is not None:
            self._tap_needs[action] = capability

    def on_handled(self, listener: Callable[[int], None]) -> None:
        """Told the id of the profile every command, tap and file was handled for (what
        keeps a copy of a profile's data, such as the kit's page cache, drops it)."""
        self._handled.append(listener)

    def on_upload(self, handler: UploadHandler) -> None:
        """Plug in what takes a file a user sends (the CSV import); one handler at most."""
        if self._upload is not None:
            raise ValueError("an upload handler is already plugged in")
        self._upload = handler

    def takes_uploads(self) -> bool:
        """Whether a file a user sends means anything here (else adapters treat it as media)."""
        return self._upload is not None

    async def profile_for(self, actor: Actor) -> Profile:
        return await self._accounts.profile_for(actor.identity, actor.name)

    # --- entry points -----------------------------------------------------------------

    async def handle_text(
        self, actor: Actor, text: str, media: Sequence[str] = ()
    ) -> Reply | None:
        """A message from `actor`. None means "not for us" (another bot's command, chatter)."""
        text = unmark(text)  # only core marks inline code
        if len(text) > MAX_INPUT_CHARS:
            return Reply(
                f"That message is {len(text):,} characters; the most I read is "
                f"{MAX_INPUT_CHARS:,}. Nothing was saved."
            )
        command = parse_command(text)
        if command is None and (waiting := await self._awaiting(actor)) is not None:
            # A draft's button asked for this message: its text, media or a network's text,
            # taken as an /edit (a team member's role must compose).
            owner, focus = waiting
            given = tuple(media)
            return await self._guard(
                actor,
                lambda who, profile: self._take_awaited(who, profile, owner, focus, text, given),
                team=lambda: self._acting(actor, Command("edit", ""), Capability.COMPOSE),
            )
        if command is None:
            if media:  # a photo or video with a caption: compose it
                command = Command("post", text.strip())
            else:
                # Chatter, unless it is the note an approver was asked for here, or the
                # reply to a comment (core.engage) being written here.
                note = await self._guard_note(actor, text)
                return note if note is not None else await self._plain(actor, text)
        if command.bot and self.bot_username and command.bot.lower() != self.bot_username.lower():
            return None
        handler = self._commands.get(command.name)
        if handler is None:
            return Reply(f"I don't know /{command.name}. Send /help to see what I can do.")
        needs = self._command_needs.get(command.name, DEFAULT_CAPABILITY)

        async def run(who: Actor, profile: Profile) -> Reply:
            reply = await handler(who, profile, command, tuple(media))
            for use_case in self._typed:
                # A command instead of the text a use case waited for: it stops waiting.
                note = await use_case.interrupted(who, profile, command.name)
                if note:
                    reply = replace(reply, text=f"{reply.text}\n\n{note}".strip())
            return reply

        return await self._guard(actor, run, team=lambda: self._acting(actor, command, needs))

    async def _plain(self, actor: Actor, text: str) -> Reply | None:
        """A message that is no command: the answer a use case waits for, or not for us."""
        if not self._typed:
            return None
        try:
            profile = await self._accounts.find(actor.identity)
            waiting = None
            if profile is not None:
                for use_case in self._typed:
                    if await use_case.waiting(actor, profile):
                        waiting = use_case
                        break
        except Exception:
            log.exception("looking up what %s is writing failed", actor.identity)
            return Reply(OOPS)
        if waiting is None:
            return None
        found = waiting
        return await self._guard(actor, lambda who, p: found.typed(who, p, text))

    async def handle_upload(self, actor: Actor, upload: Upload) -> Reply | None:
        """A file `actor` sent (a CSV to import); None when nothing here takes files."""
        handler = self._upload
        if handler is None:
            return None
        # A file is an /import: a team member needs the role that composes.
        return await self._guard(
            actor,
            lambda who, profile: handler(who, profile, upload),
            team=lambda: self._acting(actor, Command("import", ""), Capability.COMPOSE),
        )

    async def handle_tap(self, actor: Actor, data: str, message: MessageRef | None) -> Reply:
        """A button tap; `message` is the message the button sits on (edited in place)."""
        if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
            return refuse("This button is broken. Send /help to start again.")
        body, stamp = unseal(data)
        code, _, arg = body.partition(":")
        action = _ACTIONS.get(code)
        handler = None if action is None else self._taps.get(action)
        if action is None or handler is None:
            return refuse("This button is no longer supported. Send /help to start again.")
        if stamp is None:
            return refuse(UNSEALED)

        async def forgotten() -> Reply | None:
            # The button's owner deleted their data: a tap on it makes no profile.
            return None if await self._accounts.exists(stamp.owner) else refuse(FORGOTTEN)

        async def run(who: Actor, profile: Profile) -> Reply:
            # In a group everyone sees every button: only its owner's taps count (a team's
            # button: its members', as their role allows, checked in `_tap_acting`).
            if stamp.owner != profile.id:
                if not await self._accounts.exists(stamp.owner):
                    raise DomainError(FORGOTTEN)
                raise DomainError(NOT_YOURS)
            if action.takes_post:
                await self._check_made_for(arg, stamp)
            return await handler(who, profile, arg, message)

        needs = self._tap_needs.get(action, DEFAULT_CAPABILITY)
        return await self._guard(
            actor,
            run,
            tap=True,
            unknown=forgotten,
            team=lambda: self._tap_acting(actor, stamp, needs),
        )

    async def _guard_note(self, actor: Actor, text: str) -> Reply | None:
        """A reviewer's awaited note, or None; storage trouble answers calmly."""
        try:
            return await self._note_from_chatter(actor, text)
        except DomainError as e:
            return Reply(str(e))
        except Exception:
            log.exception("reading a possible reviewer note from %s failed", actor.identity)
            return None

    async def _check_made_for(self, arg: str, stamp: Seal) -> None:
        """Refuse a post button on a post that did not exist yet when the button was made:
        ids are never reused, but a restored backup or a forged number must not act on a post
        the button was not made for."""
        post_id = int_arg(arg.partition(":")[0], "post")
        async with self._uow() as uow:
            post = await uow.posts.get(post_id)
        if post is not None and int(post.created_at.timestamp()) > stamp.issued:
            raise DomainError(
                f"This button was made for an earlier post #{post_id}, which no longer exists."
            )

    async def chat_moved(self, old: ChatRef, new: ChatRef) -> int:
        """A chat got a new id (a Telegram group upgraded to a supergroup): its posts, and
        their progress messages, follow it. Returns how many posts moved."""
        if old == new:
            return 0
        async with self._uow() as uow:
            moved = await uow.posts.move_chat(old, new)
            digests = await uow.digests.move_chat(old, new)
            await uow.teams.move_chat(old, new)
            await uow.commit()
        if moved or digests:
            log.info(
                "moved %s post(s) and %s digest subscription(s) from chat %s to %s",
                moved,
                digests,
                old.chat,
                new.chat,
            )
        return moved

    async def _guard(
        self,
        actor: Actor,
        run: Callable[[Actor, Profile], Awaitable[Reply]],
        *,
        tap: bool = False,
        unknown: Callable[[], Awaitable[Reply | None]] | None = None,
        team: Callable[[], Awaitable[tuple[Actor, Profile] | None]] | None = None,
    ) -> Reply:
        """`run` with the profile the actor acts for: a team's when `team` finds one (their
        role checked there, the one place every command and tap passes), else their own
        (made on first contact, unless `unknown`, asked when there is none yet, answers
        instead); every refusal worded for the chat."""
        try:
            acting = None if team is None else await team()
            if acting is not None:
                member, team_profile = acting
                try:
                    shown = await self._posting_line(member, await run(member, team_profile))
                    return seal(shown, team_profile.id, self._clock.now())
                finally:
                    self._tell_handled(team_profile.id)
            profile = None if unknown is None else await self._accounts.find(actor.identity)
            if profile is None and unknown is not None and (answer := await unknown()):
                return answer
            if profile is None:
                profile = await self._accounts.profile_for(actor.identity, actor.name)
            # Every button answered is bound to whoever it answers (see `Seal`).
            try:
                shown = await self._posting_line(actor, await run(actor, profile))
                return seal(shown, profile.id, self._clock.now())
            finally:
                self._tell_handled(profile.id)
        except DomainError as e:
            return refuse(str(e)) if tap else Reply(str(e))
        except PublishError as e:
            return refuse(e.reason) if tap else Reply(e.reason)
        except Exception:
            # Storage or a secret that cannot be decrypted: the operator sees the cause in the
            # log; the user gets a calm answer and their data stays as it was.
            log.exception("handling an update from %s failed", actor.identity)
            return refuse(OOPS) if tap else Reply(OOPS)

    def _tell_handled(self, profile_id: int) -> None:
        for listener in self._handled:
            listener(profile_id)

    # --- commands -----------------------------------------------------------------------

    async def _start(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        payload = cmd.args.strip()
        if (needs := _PAYLOAD_NEEDS.get(payload.partition("-")[0])) is not None:
            require(actor, needs)  # /start's own capability is only VIEW
        if payload == "connect" or (payload.startswith("connect-") and actor.team):
            return await self._connect(actor, profile, cmd, media)
        if payload == "connected":
            return await self._status(actor, profile, cmd, media)
        if payload == "link":  # the deep link a channel's /link and /connect point to
            return await self._link(actor, profile, Command("link", ""), media)
        if payload == "forget":  # from /forget in a group or channel
            return await self._forget(actor, profile, Command("forget", ""), media)
        if payload in ("upgrade", "billing"):  # from /upgrade or /billing in a group
            return await self._commands[payload](actor, profile, Command(payload, ""), media)
        nets = ", ".join(n.label for n in Network)
        where = " (sandbox)" if self.sandbox else ""
        text = (
            f"Postroom publishes your posts to {nets}, and tells you how they do.\n"
            "Compose here, pick networks, publish now or schedule; every post gets one message "
            "that shows how it went.\n"
            f"You're on {profile.tier.label}{where}."
        )
        if payload:
            text += "\n(That link has expired or is not for this bot; here is the start.)"
        return Reply(text, buttons=(_start_buttons(),))

    async def _help(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        when = sample_date(self._clock.now(), profile.timezone)
        return Reply(
            "What I can do:\n"
            f"/post <text> — compose a post (media on a new line: {code('media: https://…')})\n"
            f"/schedule <time> — schedule your draft: {when}, tomorrow 9:00, in 2h\n"
            "/drafts — your drafts · /draft <id> — open one (then /schedule acts on it)\n"
            "/edit [#id] <text> — new text for your draft\n"
            "/version <id> <network> <text|reset> — a network's own text (shorter for X)\n"
            "/posts — scheduled and recent posts\n"
            "/cancel <id> · /delete <id> · /retry <id> [network]\n"
            "/connect — link your networks · /status — what is connected\n"
            "/disconnect <network> — unlink one (asks first)\n"
            "/forget — delete all your data (asks first)\n"
            "/timezone <Area/City> — your time zone · /tier — your plan\n"
            "/upgrade — get Pro · /billing — change your card or cancel\n"
            "/link — publish a channel's posts with your profile · /unlink\n"
            "/team — a group's shared team profile: members and roles (/team create in a group)\n"
            "/approvals on|off [no-self-approval] — a team's posts wait for an admin's yes\n"
            "/note <id> <text> — a reviewer's note on a post (a draft too)"
            + "".join(f"\n{line}" for line in self._help_lines)
        )

    async def _timezone(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        profile_wide(actor, "your time zone")
        name = cmd.args.strip()
        if not name:
            return Reply(
                f"Your time zone is {profile.timezone}. "
                f"Change it with {code('/timezone Europe/Berlin')}."
            )
        name = zone_name(name)
        async with self._uow() as uow:
            current = await uow.profiles.get(profile.id)
            assert current is not None
            current.timezone = name
            await uow.profiles.save(current)
            await uow.commit()
        local = format_local(self._clock.now(), name)
        return Reply(f"Time zone set to {name}. It is now {local}.")

    # --- taps ---------------------------------------------------------------------------

    async def _tap_go(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        command = Command(arg, "")
        if arg in COMMAND_CAPABILITY:
            require(actor, COMMAND_CAPABILITY[arg])  # checked as the command it runs
        if arg == "connect":
            return await self._connect(actor, profile, command, ())
        if arg == "post":
            return Reply(
                f"Send /post followed by your text, e.g. {code('/post Launch day! 🚀')}. "
                f"Add media on a new line with {code('media: https://…/photo.jpg')}, or send a "
                "photo with a caption."
            )
        if arg in ("help", "status", "posts"):
            return await self._commands[arg](actor, profile, command, ())
        return refuse("This button is no longer supported. Send /help.")

    # --- helpers ------------------------------------------------------------------------


def _start_buttons() -> tuple[Button, ...]:
    return (
        Button("🔗 Connect networks", Action.COMMAND, "connect"),
        Button("✍️ New post", Action.COMMAND, "post"),
        Button("❓ Help", Action.COMMAND, "help"),
    )
