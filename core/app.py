"""The one entry chat adapters call: a user's text or button tap in, a neutral reply out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core import limits, views
from core.accounts import Accounts
from core.commands import MAX_INPUT_CHARS, Command, parse_command, split_media
from core.errors import DomainError, PolicyRefusal, PublishError
from core.model import (
    ChatRef,
    Connection,
    ConnectionStatus,
    Identity,
    MessageRef,
    Network,
    Post,
    Profile,
    Route,
    Target,
)
from core.pipeline import QUOTAS, quota_refusal
from core.policy import Policy
from core.ports import Clock, ConnectLink, Publisher, UnitOfWork, UnitOfWorkFactory
from core.replies import MAX_CALLBACK_BYTES, Button, Field, Reply
from core.states import PostState, TargetState, check_transition
from core.when import format_local, parse_when, zone

log = logging.getLogger(__name__)

PAGE_SIZE = 5
MAX_POST_ID = 2**53  # ids beyond this are not ours; refuse before touching storage
OOPS = "Something went wrong on our side and nothing was changed. Please try again in a minute."


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, and in which chat."""

    identity: Identity
    chat: ChatRef
    name: str = ""


CommandHandler = Callable[["Actor", Profile, Command, tuple[str, ...]], Awaitable[Reply]]
TapHandler = Callable[["Actor", Profile, str, MessageRef | None], Awaitable[Reply]]


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


def refuse(message: str) -> Reply:
    """A tap that cannot do anything: answered with a short toast, the chat left as it is."""
    return Reply("", toast=message[:200])


class Postroom:
    """Use cases behind chat: start, help, connect, status, post, posts, cancel, delete, retry,
    schedule, tier and timezone."""

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
    ) -> None:
        self._uow = uow
        self._publishers = publishers
        self._accounts = accounts
        self._policy = policy
        self._clock = clock
        self.bot_username = bot_username
        self.sandbox = sandbox
        self._commands: dict[str, CommandHandler] = {
            "start": self._start,
            "help": self._help,
            "connect": self._connect,
            "status": self._status,
            "post": self._post,
            "posts": self._posts,
            "schedule": self._schedule_cmd,
            "cancel": self._cancel_cmd,
            "delete": self._delete_cmd,
            "retry": self._retry_cmd,
            "tier": self._tier,
            "upgrade": self._upgrade,
            "timezone": self._timezone,
        }
        self._taps: dict[str, TapHandler] = {
            "go": self._tap_go,
            "cn": self._tap_connect,
            "lk": self._tap_locked,
            "tg": self._tap_toggle,
            "pub": self._tap_publish,
            "sch": self._tap_schedule_menu,
            "at": self._tap_schedule_at,
            "dc": self._tap_discard,
            "ed": self._tap_edit,
            "op": self._tap_open,
            "cx": self._tap_cancel,
            "dl": self._tap_delete,
            "dly": self._tap_delete_confirmed,
            "rt": self._tap_retry,
            "pg": self._tap_page,
        }

        self._help_lines: list[str] = []
        self._menu: list[tuple[str, str]] = list(MENU)

    def add_command(self, name: str, handler: CommandHandler, help_line: str) -> None:
        """Plug in a command from another use-case module (analytics, upgrades, …)."""
        if name in self._commands:
            raise ValueError(f"/{name} is already a command")
        self._commands[name] = handler
        self._help_lines.append(help_line)
        # "/stats [30d] — your numbers" → "your numbers" in the menu.
        self._menu.insert(len(self._menu) - 1, (name, help_line.partition(" — ")[2] or help_line))

    def menu(self) -> list[tuple[str, str]]:
        """(command, description) pairs for a chat's command menu, help last."""
        return list(self._menu)

    def add_tap(self, action: str, handler: TapHandler) -> None:
        if action in self._taps:
            raise ValueError(f"button action {action!r} is taken")
        self._taps[action] = handler

    async def profile_for(self, actor: Actor) -> Profile:
        return await self._accounts.profile_for(actor.identity, actor.name)

    # --- entry points -----------------------------------------------------------------

    async def handle_text(
        self, actor: Actor, text: str, media: Sequence[str] = ()
    ) -> Reply | None:
        """A message from `actor`. None means "not for us" (another bot's command, chatter)."""
        if len(text) > MAX_INPUT_CHARS:
            return Reply(
                f"That message is {len(text):,} characters; the most I read is "
                f"{MAX_INPUT_CHARS:,}. Nothing was saved."
            )
        command = parse_command(text)
        if command is None:
            if media:  # a photo or video with a caption: compose it
                command = Command("post", text.strip())
            else:
                return None
        if command.bot and self.bot_username and command.bot.lower() != self.bot_username.lower():
            return None
        handler = self._commands.get(command.name)
        if handler is None:
            return Reply(f"I don't know /{command.name}. Send /help to see what I can do.")
        return await self._guard(
            actor, lambda profile: handler(actor, profile, command, tuple(media))
        )

    async def handle_tap(self, actor: Actor, data: str, message: MessageRef | None) -> Reply:
        """A button tap; `message` is the message the button sits on (edited in place)."""
        if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
            return refuse("This button is broken. Send /help to start again.")
        action, _, arg = data.partition(":")
        handler = self._taps.get(action)
        if handler is None:
            return refuse("This button is no longer supported. Send /help to start again.")
        return await self._guard(
            actor, lambda profile: handler(actor, profile, arg, message), tap=True
        )

    async def chat_moved(self, old: ChatRef, new: ChatRef) -> int:
        """A chat got a new id (a Telegram group upgraded to a supergroup): its posts, and
        their progress messages, follow it. Returns how many posts moved."""
        if old == new:
            return 0
        async with self._uow() as uow:
            moved = await uow.posts.move_chat(old, new)
            digests = await uow.digests.move_chat(old, new)
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
        self, actor: Actor, run: Callable[[Profile], Awaitable[Reply]], *, tap: bool = False
    ) -> Reply:
        try:
            profile = await self._accounts.profile_for(actor.identity, actor.name)
            return await run(profile)
        except DomainError as e:
            return refuse(str(e)) if tap else Reply(str(e))
        except PublishError as e:
            return refuse(e.reason) if tap else Reply(e.reason)
        except Exception:
            # Storage or a secret that cannot be decrypted: the operator sees the cause in the
            # log; the user gets a calm answer and their data stays as it was.
            log.exception("handling an update from %s failed", actor.identity)
            return refuse(OOPS) if tap else Reply(OOPS)

    # --- commands -----------------------------------------------------------------------

    async def _start(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        payload = cmd.args.strip()
        if payload == "connect":
            return await self._connect(actor, profile, cmd, media)
        if payload == "connected":
            return await self._status(actor, profile, cmd, media)
        nets = ", ".join(n.label for n in Network)
        where = " (sandbox)" if self.sandbox else ""
        text = (
            f"Postroom publishes your posts to {nets}, and tells you how they do.\n"
            "Compose here, pick networks, publish now or schedule; every post gets one message "
            "that shows how it went.\n"
            f"You're on {profile.tier.label}{where}."
        )
        if payload and payload not in ("connect", "connected"):
            text += "\n(That link has expired or is not for this bot; here is the start.)"
        return Reply(text, buttons=(_start_buttons(),))

    async def _help(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        return Reply(
            "What I can do:\n"
            "/post <text> — compose a post (add media with `media: https://…`)\n"
            "/schedule <time> — schedule your draft: 2026-12-01 09:30, tomorrow 9:00, in 2h\n"
            "/posts — scheduled and recent posts\n"
            "/cancel <id> · /delete <id> · /retry <id> [network]\n"
            "/connect — link your networks · /status — what is connected\n"
            "/timezone <Area/City> — your time zone · /tier — your plan"
            + "".join(f"\n{line}" for line in self._help_lines)
        )

    async def _connect(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        return await self._connect_view(profile)

    async def _connect_view(
        self, profile: Profile, *, edit: bool = False, toast: str | None = None
    ) -> Reply:
        links = await self._links(profile)
        buttons: list[Button] = []
        for network in Network:
            link = links.get(network)
            if link is None:
                mark = "🔒" if not self._policy.allows(profile.tier, network) else "⛔"
                buttons.append(Button(f"{mark} {network.label}", "lk", network.value, locked=True))
            elif link.url:
                buttons.append(Button(f"{network.label} ↗", url=link.url))
            else:
                mark = "✅ " if network in profile.connected() else ""
                buttons.append(Button(f"{mark}{network.label}", "cn", network.value))
        expires = min(
            (k.expires_minutes for k in links.values() if k.expires_minutes), default=None
        )
        head = "Connect your accounts" + (f" (links last {expires} minutes):" if expires else ":")
        if self.sandbox:
            head = "Connect your accounts (sandbox: links complete at once):"
        return Reply(
            f"{head}\n{_connected_line(profile)}",
            buttons=views.rows(buttons),
            edit=edit,
            toast=toast,
        )

    async def _links(self, profile: Profile) -> dict[Network, ConnectLink]:
        allowed = [n for n in Network if self._policy.allows(profile.tier, n)]
        usable = [n for n in allowed if not self._unavailable(profile).get(n)]
        routes = {self._policy.route(profile.tier, n) for n in usable}
        for route in routes:
            if route in self._publishers:
                profile = await self._accounts.ensure_account(profile, route)
        results: dict[Network, ConnectLink] = {}

        async def one(network: Network) -> None:
            publisher = self._publishers.get(self._policy.route(profile.tier, network))
            if publisher is not None:
                results[network] = await publisher.connect_link(profile, network)

        await asyncio.gather(*(one(n) for n in usable))
        return results

    def _unavailable(self, profile: Profile) -> dict[Network, str]:
        found: dict[Network, str] = {}
        for network in Network:
            if not self._policy.allows(profile.tier, network):
                continue
            publisher = self._publishers.get(self._policy.route(profile.tier, network))
            reason = (
                "Publishing there is not set up on this server yet."
                if publisher is None
                else publisher.unavailable(network)
            )
            if reason:
                found[network] = reason
        return found

    async def _status(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        profile = await self._refresh_connections(profile)
        async with self._uow() as uow:
            pending = await uow.posts.count_scheduled(profile.id)
        fields = [Field("Plan", profile.tier.label), Field("Time zone", profile.timezone)]
        for network in Network:
            if not self._policy.allows(profile.tier, network):
                state = "🔒 Pro"
            elif reason := self._unavailable(profile).get(network):
                state = f"⛔ {reason}"
            elif (conn := profile.connections.get(network)) is None:
                state = "not connected"
            elif conn.status is ConnectionStatus.BROKEN:
                state = "⚠️ needs reconnecting"
            else:
                state = f"✅ {conn.display_name}".rstrip()
            fields.append(Field(network.label, state))
        fields.append(Field("Scheduled posts", str(pending)))
        return Reply(
            "Your Postroom status",
            fields=tuple(fields),
            buttons=((Button("🔗 Connect networks", "go", "connect"),),),
        )

    async def _refresh_connections(self, profile: Profile) -> Profile:
        """Ask each provider what is linked (Ayrshare knows better than we do) and store it."""
        changed = False
        now = self._clock.now()
        for route, publisher in self._publishers.items():
            if route not in profile.accounts:
                continue
            try:
                linked = await publisher.connected(profile)
            except PublishError as e:
                log.warning("could not refresh connections of profile %s: %s", profile.id, e)
                continue
            if linked is None:
                continue
            for network in Network:
                if self._policy.rules[profile.tier].routes.get(network) is not route:
                    continue
                if network in linked:
                    profile.connections[network] = Connection(
                        network, ConnectionStatus.CONNECTED, linked[network], now
                    )
                    changed = True
                elif network in profile.connections:
                    del profile.connections[network]
                    changed = True
        if changed:
            async with self._uow() as uow:
                await uow.profiles.save(profile)
                await uow.commit()
        return profile

    async def _post(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        text, typed_media = split_media(cmd.args)
        all_media = limits.check_media_urls((*media, *typed_media))
        if not text and not all_media:
            return Reply(
                "Empty post: write something after /post, e.g. `/post Launch day! 🚀`, "
                "or send a photo or video with a caption."
            )
        if len(text) > limits.MAX_POST_CHARS:
            return Reply(
                f"Your text has {len(text):,} characters; the longest any network takes is "
                f"{limits.MAX_POST_CHARS:,} (Facebook). Shorten it and send /post again."
            )
        most = max(lim.max_media for lim in limits.LIMITS.values())
        if len(all_media) > most:
            return Reply(f"That is {len(all_media)} media; no network takes more than {most}.")
        now = self._clock.now()
        # Links made on the provider's page since we last looked decide the default ticks.
        profile = await self._refresh_connections(profile)
        unavailable = self._unavailable(profile)
        ticked = [
            n
            for n in Network
            if self._policy.allows(profile.tier, n)
            and n not in unavailable
            and n in profile.connected()
        ]
        post = Post(
            id=0,
            profile_id=profile.id,
            text=text,
            media=all_media,
            created_at=now,
            origin=actor.chat,
            targets={n: Target(n, self._policy.route(profile.tier, n)) for n in ticked},
        )
        async with self._uow() as uow:
            post = await uow.posts.add(post)
            await uow.commit()
        return views.composer(post, profile, self._policy, unavailable)

    async def _posts(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        page = _int_arg(cmd.args or "1", "page") - 1
        return await self._posts_page(profile, max(page, 0))

    async def _posts_page(self, profile: Profile, page: int, *, edit: bool = False) -> Reply:
        async with self._uow() as uow:
            posts, total = await uow.posts.list_for_profile(
                profile.id, offset=page * PAGE_SIZE, limit=PAGE_SIZE
            )
        if total == 0:
            return Reply("No posts yet. Compose one with /post <text>.", edit=edit)
        if not posts:
            return refuse("That page is empty now.") if edit else Reply("That page is empty.")
        pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
        lines = [f"Your posts ({total}) — page {page + 1} of {pages}"]
        lines += [views.post_summary(p, profile.timezone) for p in posts]
        opens = [Button(f"Open #{p.id}", "op", str(p.id)) for p in posts]
        nav = []
        if page > 0:
            nav.append(Button("« Prev", "pg", str(page - 1)))
        if page + 1 < pages:
            nav.append(Button("Next »", "pg", str(page + 1)))
        buttons = views.rows(opens, 3) + ((tuple(nav),) if nav else ())
        return Reply("\n".join(lines), buttons=buttons, edit=edit)

    async def _schedule_cmd(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        if not cmd.args:
            return Reply("When? e.g. `/schedule tomorrow 9:00` or `/schedule in 2h`.")
        async with self._uow() as uow:
            draft = await uow.posts.latest_draft(profile.id)
        if draft is None:
            return Reply("No draft to schedule. Compose one with /post <text> first.")
        when = parse_when(cmd.args, now=self._clock.now(), tz=profile.timezone)
        return await self._schedule(profile, draft.id, when, None)

    async def _cancel_cmd(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        return await self._cancel(profile, _int_arg(cmd.args, "post"), edit=False)

    async def _delete_cmd(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        post = await self._own_post(profile, _int_arg(cmd.args, "post"))
        return self._delete_question(post, edit=False)

    async def _retry_cmd(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        post_arg, _, network_arg = cmd.args.partition(" ")
        post = await self._own_post(profile, _int_arg(post_arg, "post"))
        if network_arg.strip():
            network = Network.parse(network_arg)
            if network is None:
                raise DomainError(f"I don't know the network {network_arg.strip()[:30]!r}.")
            networks = [network]
        else:
            networks = [t.network for t in post.targets.values() if t.state is TargetState.FAILED]
            if not networks:
                raise DomainError(f"Post #{post.id} has no failed networks to retry.")
        return await self._retry(profile, post.id, networks, None)

    async def _tier(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        rules = self._policy[profile.tier]
        nets = ", ".join(n.label for n in rules.routes)
        hours = int(rules.analytics_refresh.total_seconds() // 3600)
        return Reply(
            f"You're on {profile.tier.label}.",
            fields=(
                Field("Networks", nets),
                Field("Scheduled posts at once", str(rules.max_scheduled)),
                Field("Posts per month", str(rules.posts_per_month)),
                Field("Analytics refresh", f"every {hours} h"),
            ),
        )

    async def _upgrade(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        if profile.tier.value == "pro":
            return Reply("You're already on Pro: all six networks are yours.")
        pro = ", ".join(n.label for n in self._policy.rules[max(self._policy.rules)].routes)
        return Reply(
            f"Pro publishes to {pro} and refreshes analytics hourly.\n"
            "Ask the operator of this Postroom to upgrade you "
            f"(`postroom admin tier {actor.identity} pro`)."
        )

    async def _timezone(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        name = cmd.args.strip()
        if not name:
            return Reply(
                f"Your time zone is {profile.timezone}. Change it with `/timezone Europe/Berlin`."
            )
        zone(name)
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
        if arg == "connect":
            return await self._connect_view(profile)
        if arg == "post":
            return Reply(
                "Send /post followed by your text, e.g. `/post Launch day! 🚀`. "
                "Add media with `media: https://…/photo.jpg`, or send a photo with a caption."
            )
        if arg in ("help", "status", "posts"):
            return await self._commands[arg](actor, profile, command, ())
        return refuse("This button is no longer supported. Send /help.")

    async def _tap_connect(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        network = _network_arg(arg)
        route = self._policy.route(profile.tier, network)
        if reason := self._unavailable(profile).get(network):
            return refuse(reason)
        publisher = self._publishers[route]
        profile = await self._accounts.ensure_account(profile, route)
        link = await publisher.connect_link(profile, network)
        if not link.completes_at_once:
            return refuse(f"Open the {network.label} link to connect it.")
        async with self._uow() as uow:
            current = await uow.profiles.get(profile.id)
            assert current is not None
            already = network in current.connected()
            current.connections[network] = Connection(
                network, ConnectionStatus.CONNECTED, f"Sandbox {network.label}", self._clock.now()
            )
            await uow.profiles.save(current)
            await uow.commit()
        toast = (
            f"{network.label} was already connected."
            if already
            else f"{network.label} connected ✅"
        )
        return await self._connect_view(current, edit=message is not None, toast=toast)

    async def _tap_locked(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        network = _network_arg(arg)
        if not self._policy.allows(profile.tier, network):
            return refuse(self._policy.refusal(profile.tier, network))
        reason = self._unavailable(profile).get(network)
        return refuse(reason or f"{network.label} is available to you now. Send /connect again.")

    async def _tap_toggle(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post_arg, _, network_arg = arg.partition(":")
        network = _network_arg(network_arg)
        async with self._uow() as uow:
            post = await self._own_post_in(uow, profile, _int_arg(post_arg, "post"))
            _require_draft(post)
            route = self._policy.route(profile.tier, network)
            if reason := self._unavailable(profile).get(network):
                return refuse(reason)
            if network in post.targets:
                del post.targets[network]
                toast = f"{network.label} removed"
            else:
                post.targets[network] = Target(network, route)
                toast = f"{network.label} added"
            await uow.posts.save(post)
            await uow.commit()
        unavailable = self._unavailable(profile)
        return views.composer(post, profile, self._policy, unavailable, toast=toast, edit=True)

    async def _tap_publish(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        now = self._clock.now()
        async with self._uow() as uow:
            post = await self._own_post_in(uow, profile, _int_arg(arg, "post"))
            if post.state is not PostState.DRAFT:
                return views.progress(post, edit=True, toast=_already(post))
            await self._ready_to_send(uow, profile, post, now)
            for target in post.targets.values():
                check_transition(target.state, TargetState.SCHEDULED)
                target.state, target.due_at = TargetState.SCHEDULED, now
            post.scheduled_at = None
            post.progress = message
            await uow.posts.save(post)
            await uow.commit()
        return views.progress(post, edit=True, toast="Publishing…")

    async def _ready_to_send(
        self, uow: UnitOfWork, profile: Profile, post: Post, when: datetime
    ) -> None:
        """Refuse, naming every problem, unless the draft can go out as it is at `when`."""
        if not post.targets:
            raise DomainError("Tick at least one network first.")
        problems: list[str] = []
        unavailable = self._unavailable(profile)
        for target in post.ordered_targets():
            if not self._policy.allows(profile.tier, target.network):
                problems.append(self._policy.refusal(profile.tier, target.network))
                continue
            target.route = self._policy.route(profile.tier, target.network)
            if reason := unavailable.get(target.network):
                problems.append(reason)
            elif target.network not in profile.connected():
                problems.append(f"Connect {target.network.label} first: /connect")
            problems += limits.problems(target.network, post.text, post.media)
            if (quota := QUOTAS.get(target.network)) is not None:
                # Found now rather than when the post falls due (Instagram's 24 h quota).
                activity = await uow.posts.network_activity(
                    profile.id,
                    target.network,
                    since=when - quota.window,
                    until=when + quota.window,
                )
                taken = [at for at, _ in activity]
                if refusal := quota_refusal(target.network, taken, when, profile.timezone):
                    problems.append(refusal)
        if problems:
            raise DomainError(" ".join(problems))
        month_start = self._clock.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        used = await uow.posts.count_created_since(profile.id, month_start)
        # This post is already counted among those created this month.
        self._policy.check_monthly(profile.tier, max(used - 1, 0))

    async def _tap_schedule_menu(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post = await self._own_post(profile, _int_arg(arg, "post"))
        _require_draft(post)
        now = self._clock.now()
        tz = zone(profile.timezone)
        local = now.astimezone(tz)
        picks: list[tuple[str, datetime]] = []
        today_18 = local.replace(hour=18, minute=0, second=0, microsecond=0)
        if today_18 > local + timedelta(minutes=5):
            picks.append(("Today 18:00", today_18))
        tomorrow_9 = (local + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        picks.append(("Tomorrow 09:00", tomorrow_9))
        in_hour = (now + timedelta(hours=1)).replace(second=0, microsecond=0)
        picks.append(("In 1 h", in_hour))
        buttons = [
            Button(label, "at", f"{post.id}:{int(moment.timestamp() // 60)}")
            for label, moment in picks
        ]
        return Reply(
            f"When should it go out? Times are in {profile.timezone}.\n"
            "Or type `/schedule 2026-12-01 09:30`, `/schedule tomorrow 9am`, `/schedule in 2h`.",
            buttons=(tuple(buttons), (Button("« Back", "ed", str(post.id)),)),
            edit=True,
        )

    async def _tap_schedule_at(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post_arg, _, minute_arg = arg.partition(":")
        post_id = _int_arg(post_arg, "post")
        minutes = _int_arg(minute_arg, "time")
        when = datetime.fromtimestamp(minutes * 60, UTC)
        if when <= self._clock.now():
            return refuse("That time has passed. Pick another, or type /schedule <time>.")
        return await self._schedule(profile, post_id, when, message)

    async def _schedule(
        self, profile: Profile, post_id: int, when: datetime, message: MessageRef | None
    ) -> Reply:
        # What the provider says is linked now: a network unlinked there is reported at
        # schedule time, not when the post falls due.
        profile = await self._refresh_connections(profile)
        async with self._uow() as uow:
            post = await self._own_post_in(uow, profile, post_id)
            _require_draft(post)
            await self._ready_to_send(uow, profile, post, when)
            self._policy.check_scheduled(profile.tier, await uow.posts.count_scheduled(profile.id))
            for target in post.targets.values():
                check_transition(target.state, TargetState.SCHEDULED)
                target.state, target.due_at = TargetState.SCHEDULED, when
            post.scheduled_at = when
            post.progress = None  # the progress message is sent when it falls due
            await uow.posts.save(post)
            await uow.commit()
        return views.scheduled(post, profile.timezone, edit=message is not None)

    async def _tap_discard(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        async with self._uow() as uow:
            post = await self._own_post_in(uow, profile, _int_arg(arg, "post"))
            _require_draft(post)
            await uow.posts.delete(post.id)
            await uow.commit()
        return Reply("Draft discarded.", edit=True, toast="Discarded")

    async def _tap_edit(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post = await self._own_post(profile, _int_arg(arg, "post"))
        _require_draft(post)
        unavailable = self._unavailable(profile)
        return views.composer(post, profile, self._policy, unavailable, edit=True)

    async def _tap_open(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post = await self._own_post(profile, _int_arg(arg, "post"))
        return views.post_detail(post, profile.timezone)

    async def _tap_cancel(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        return await self._cancel(profile, _int_arg(arg, "post"), edit=True)

    async def _cancel(self, profile: Profile, post_id: int, *, edit: bool) -> Reply:
        async with self._uow() as uow:
            # Locked: a worker claiming it now would otherwise have its "publishing" overwritten
            # by this "draft", and the post sent while shown as cancelled.
            post = await self._own_post_in(uow, profile, post_id, lock=True)
            if post.state is not PostState.SCHEDULED:
                raise DomainError(
                    f"Post #{post.id} is {post.state.value}; "
                    "only scheduled posts can be cancelled."
                )
            stopped = []
            for target in post.ordered_targets():
                if target.state is TargetState.SCHEDULED:
                    check_transition(target.state, TargetState.DRAFT)
                    target.state, target.due_at = TargetState.DRAFT, None
                    stopped.append(target.network.label)
            post.scheduled_at = None
            await uow.posts.save(post)
            await uow.commit()
        if any(t.state is not TargetState.DRAFT for t in post.targets.values()):
            # Part of it already went out (a retry was waiting): only the rest is stopped.
            gone = [
                t.network.label for t in post.ordered_targets() if t.state is TargetState.PUBLISHED
            ]
            return Reply(
                f"Cancelled: post #{post.id} won't be sent to {', '.join(stopped)}. "
                f"It stays published on {', '.join(gone) or 'no network'}.",
                buttons=((Button("Open", "op", str(post.id)),),),
                edit=edit,
                toast="Cancelled",
            )
        return Reply(
            f"Cancelled. Post #{post.id} is a draft again.",
            buttons=(
                (Button("✍️ Edit", "ed", str(post.id)), Button("🗑 Delete", "dl", str(post.id))),
            ),
            edit=edit,
            toast="Cancelled",
        )

    async def _tap_delete(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post = await self._own_post(profile, _int_arg(arg, "post"))
        return self._delete_question(post, edit=True)

    def _delete_question(self, post: Post, *, edit: bool) -> Reply:
        if post.state in (PostState.PUBLISHING, PostState.UNCONFIRMED):
            raise DomainError(f"Post #{post.id} is being published; wait until it is done.")
        published = [
            t.network.label for t in post.ordered_targets() if t.state is TargetState.PUBLISHED
        ]
        text = f"Delete post #{post.id} — {views.clip(post.text)!r}?"
        if published:
            where = ", ".join(published)
            text += f"\nIt will also be removed from {where} where the network allows it."
        return Reply(
            text,
            buttons=(
                (Button("🗑 Yes, delete", "dly", str(post.id)), Button("Keep", "op", str(post.id))),
            ),
            edit=edit,
        )

    async def _tap_delete_confirmed(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post = await self._own_post(profile, _int_arg(arg, "post"))
        if post.state in (PostState.PUBLISHING, PostState.UNCONFIRMED):
            raise DomainError(f"Post #{post.id} is being published; wait until it is done.")
        notes: list[str] = []
        published: dict[Route, list[Network]] = {}
        for t in post.targets.values():
            if t.state is TargetState.PUBLISHED:
                published.setdefault(t.route, []).append(t.network)
        for route, networks in published.items():
            publisher = self._publishers.get(route)
            if publisher is None:
                continue
            try:
                await publisher.delete(profile, post, networks)
            except PublishError as e:
                names = ", ".join(n.label for n in networks)
                notes.append(f"Couldn't remove it from {names}: {e.reason}")
        async with self._uow() as uow:
            current = await self._own_post_in(uow, profile, post.id, lock=True)
            if current.state in (PostState.PUBLISHING, PostState.UNCONFIRMED):
                raise DomainError(f"Post #{post.id} is being published; wait until it is done.")
            await uow.posts.delete(post.id)
            await uow.commit()
        return Reply("\n".join([f"Post #{post.id} deleted.", *notes]), edit=True, toast="Deleted")

    async def _tap_retry(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post_arg, _, network_arg = arg.partition(":")
        return await self._retry(
            profile, _int_arg(post_arg, "post"), [_network_arg(network_arg)], message
        )

    async def _retry(
        self, profile: Profile, post_id: int, networks: list[Network], message: MessageRef | None
    ) -> Reply:
        now = self._clock.now()
        async with self._uow() as uow:
            post = await self._own_post_in(uow, profile, post_id)
            for network in networks:
                target = post.targets.get(network)
                if target is None:
                    raise DomainError(f"Post #{post.id} was not sent to {network.label}.")
                if target.state is not TargetState.FAILED:
                    return views.progress(
                        post,
                        edit=message is not None,
                        toast=f"{network.label} is {target.state.value}; "
                        "only failed networks can be retried.",
                    )
                if not self._policy.allows(profile.tier, network):
                    raise PolicyRefusal(self._policy.refusal(profile.tier, network))
                check_transition(target.state, TargetState.SCHEDULED)
                target.state, target.due_at = TargetState.SCHEDULED, now
                target.round += 1
                target.attempts = 0
                target.error = None
                target.route = self._policy.route(profile.tier, network)
            if message is not None:
                post.progress = message
            await uow.posts.save(post)
            await uow.commit()
        names = ", ".join(n.label for n in networks)
        return views.progress(post, edit=message is not None, toast=f"Retrying {names}…")

    async def _tap_page(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        return await self._posts_page(profile, max(_int_arg(arg, "page"), 0), edit=True)

    # --- helpers ------------------------------------------------------------------------

    async def _own_post(self, profile: Profile, post_id: int) -> Post:
        async with self._uow() as uow:
            return await self._own_post_in(uow, profile, post_id)

    async def _own_post_in(
        self, uow: UnitOfWork, profile: Profile, post_id: int, *, lock: bool = False
    ) -> Post:
        post = await (uow.posts.lock(post_id) if lock else uow.posts.get(post_id))
        if post is None:
            raise DomainError(f"Post #{post_id} no longer exists.")
        if post.profile_id != profile.id:
            raise DomainError("Only the author can do that.")
        return post


def _start_buttons() -> tuple[Button, ...]:
    return (
        Button("🔗 Connect networks", "go", "connect"),
        Button("✍️ New post", "go", "post"),
        Button("❓ Help", "go", "help"),
    )


def _connected_line(profile: Profile) -> str:
    linked = [n.label for n in Network if n in profile.connected()]
    broken = [
        n.label for n, c in profile.connections.items() if c.status is ConnectionStatus.BROKEN
    ]
    line = f"Connected: {', '.join(linked)} ✅" if linked else "Connected: none yet."
    if broken:
        line += f"\n⚠️ Reconnect: {', '.join(broken)}"
    return line


def _int_arg(text: str, what: str) -> int:
    """A positive id or number typed or carried by a button, or a clear refusal."""
    raw = text.strip().lstrip("#")
    if not raw.isdigit() or len(raw) > 16 or int(raw) > MAX_POST_ID:
        shown = text.strip()[:20] or "nothing"
        example = {"post": "/cancel 12", "page": "/posts 2", "time": "a schedule button"}[what]
        raise DomainError(f"I need a {what} number here, not {shown!r} (e.g. {example}).")
    return int(raw)


def _network_arg(text: str) -> Network:
    network = Network.parse(text)
    if network is None:
        raise DomainError(f"I don't know the network {text[:20]!r}.")
    return network


def _require_draft(post: Post) -> None:
    if post.state is not PostState.DRAFT:
        raise DomainError(_already(post))


def _already(post: Post) -> str:
    return {
        PostState.SCHEDULED: f"Post #{post.id} is already scheduled. /posts to change it.",
        PostState.PUBLISHING: f"Post #{post.id} is already being published.",
        PostState.UNCONFIRMED: f"Post #{post.id} is already being published.",
        PostState.PUBLISHED: f"Post #{post.id} was already published.",
        PostState.PARTIAL: f"Post #{post.id} was already published.",
        PostState.FAILED: f"Post #{post.id} already went out and failed; use Retry.",
    }.get(post.state, f"Post #{post.id} is {post.state.value}.")
