"""What every chat flow shares: its dependencies, ownership checks and argument parsing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from core.billing.lifecycle import Billing
from core.billing_ports import PaymentProvider
from core.commands import ascii_number
from core.connections import apply_links
from core.errors import DomainError, PublishError
from core.handlers import MAX_POST_ID, Actor, reach
from core.logins import AccountLogin
from core.model import ChatPlatform, MessageRef, Network, Post, Profile, Provider, Route
from core.policy import Policy
from core.ports import Clock, Publisher, UnitOfWork, UnitOfWorkFactory, read_links
from core.publishing.accounts import Accounts
from core.publishing.progress import PostWatcher, ProgressNotifier
from core.replies import Reply
from core.states import PostState
from core.teams import ChatAdmins

log = logging.getLogger(__name__)

PAGE_SIZE = 5
SLOW = "the provider did not answer in time."


class Flow:
    """The dependencies and helpers the use cases share; `Postroom` combines them."""

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
        self._uow = uow
        self._publishers = publishers
        self._accounts = accounts
        self._policy = policy
        self._clock = clock
        self.bot_username = bot_username
        self.sandbox = sandbox
        self._notifier = notifier
        # Networks connected by the user's own login (Instagram Login on the Free tier), for
        # the profiles whose tier routes them to the login's route (`Postroom.add_login`).
        self._logins: dict[Network, AccountLogin] = {}
        self._billing = billing or Billing(uow, clock, policy, {}, notifier=notifier)
        self._payments = dict(payments or {})
        # Who administers a group, per chat platform (`Postroom.add_chat_admins`): asked when
        # a team is made and when a member is first seen; none (the console) counts as no.
        self._chat_admins: dict[ChatPlatform, ChatAdmins] = {}

    def _sells_pro(self, actor: Actor) -> bool:
        """Whether a provider sells Pro to this actor in this chat (Stars in Telegram)."""
        plan = self._billing.plan("pro")
        return plan is not None and any(
            p.unavailable(actor.chat.platform, plan) is None for p in self._payments.values()
        )

    async def _show_progress(
        self, post: Post, message: MessageRef | None, reply: Reply | None = None
    ) -> None:
        """A change made from another message (a typed /cancel, a delete confirmation) ends
        in the post's progress message too; the tapped message shows the answer itself.
        Watchers (`watch`) hear of every change, wherever it was made."""
        if self._notifier is None:
            return
        if post.progress is not None and post.progress != message:
            await self._notifier.show(post, reply=reply)
        await self._notifier.changed(post)

    def watch(self, watcher: PostWatcher) -> None:
        """Tell `watcher` of each post that reaches an outcome or is changed from a chat."""
        if self._notifier is not None:
            self._notifier.watch(watcher)

    def unavailable(self, profile: Profile) -> dict[Network, str]:
        """Networks the profile's tier allows that this server cannot reach, with why."""
        return self._unavailable(profile)

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

    async def _refresh_connections(
        self, profile: Profile, notes: list[str] | None = None, within: float | None = None
    ) -> Profile:
        """Ask each provider what is linked (Ayrshare knows better than we do) and store it
        (`core.connections.apply_links`: one no longer linked there is broken). A provider
        that cannot answer now (busy, down) leaves the last known connections, and `notes`
        gets a line saying so. `within`: seconds all the asking may take (a chat that must
        answer in time, as Slack's 3 s); a provider slower than that counts as not answering."""
        changed = False
        now = self._clock.now()
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        for route, publisher in self._publishers.items():
            if route not in profile.accounts:
                continue
            try:
                left = None if deadline is None else max(0.0, deadline - loop.time())
                linked = await asyncio.wait_for(read_links(publisher, profile), left)
            except PublishError as e:
                log.warning("could not refresh connections of profile %s: %s", profile.id, e)
                if notes is not None:
                    notes.append(f"Connections as last seen: {e.reason}")
                continue
            except TimeoutError:
                log.warning("connections of profile %s: no answer in %ss", profile.id, within)
                if notes is not None:
                    notes.append(f"Connections as last seen: {SLOW}")
                continue
            if linked is None:
                continue
            changed = bool(apply_links(profile, route, linked, self._policy, now)) or changed
        if changed:
            async with self._uow() as uow:
                await uow.profiles.save(profile)
                await uow.commit()
        return profile

    async def _own_post(self, actor: Actor, profile: Profile, post_id: int) -> Post:
        async with self._uow() as uow:
            return await self._own_post_in(uow, actor, profile, post_id)

    async def _own_post_in(
        self,
        uow: UnitOfWork,
        actor: Actor,
        profile: Profile,
        post_id: int,
        *,
        lock: bool = False,
    ) -> Post:
        """The post `actor` may act on from their chat (`core.handlers.reach`), or a refusal."""
        post = reach(
            actor, post_id, await (uow.posts.lock(post_id) if lock else uow.posts.get(post_id))
        )
        if post is None:
            raise DomainError(f"There is no post #{post_id} (it may have been deleted).")
        if post.profile_id != profile.id:
            raise DomainError("Only the author can do that.")
        return post


def int_arg(text: str, what: str, example: str | None = None) -> int:
    """A positive id or number typed or carried by a button, or a clear refusal; `example`
    is the command to show when it is not /cancel's (a typed /draft shows /draft 12)."""
    raw = text.strip().lstrip("#")
    number = ascii_number(raw)
    if number is None or number > MAX_POST_ID:
        shown = text.strip()[:20] or "nothing"
        if what == "post" and raw.isnumeric():
            # Digits, but not one of our numbers (too big, or `²`, `١`): no such post.
            raise DomainError(f"There is no post {shown}; /posts lists yours.")
        example = (
            example
            or {"post": "/cancel 12", "page": "/posts 2", "time": "a schedule button"}[what]
        )
        raise DomainError(f"I need a {what} number here, not {shown!r} (e.g. {example}).")
    return number


def parse_network(text: str) -> Network:
    network = Network.parse(text)
    if network is None:
        raise DomainError(f"I don't know the network {text[:20]!r}.")
    return network


def require_draft(post: Post) -> None:
    if post.state is not PostState.DRAFT:
        raise DomainError(already(post))


async def require_editable(uow: UnitOfWork, post: Post) -> None:
    """A draft that may be changed: not one held by a paused queue or a lapsed plan, which
    is released as it was scheduled (and approved) without Publish or Schedule again."""
    require_draft(post)
    if not any(t.held_due is not None for t in post.targets.values()):
        return
    if await uow.planning.paused(post.profile_id) and post.id in await uow.planning.queued(
        post.profile_id
    ):
        raise DomainError(
            f"Post #{post.id} is held in the paused queue; /queue resume or take it out first "
            "(publish it now, schedule it by time, or delete it)."
        )
    raise DomainError(
        f"Post #{post.id} is held until your plan is renewed, to go out as it was scheduled; "
        "renew first, or delete it and write it again."
    )


def already(post: Post) -> str:
    if post.state is PostState.SCHEDULED and post.scheduled_at is None:
        # Publish now (or a retry) waiting for the worker: it is going out, not scheduled.
        return f"Post #{post.id} is already being published."
    return {
        PostState.SCHEDULED: f"Post #{post.id} is already scheduled. /posts to change it.",
        PostState.AWAITING_APPROVAL: (
            f"Post #{post.id} is awaiting approval. To change it, withdraw it first: "
            f"/cancel {post.id}"
        ),
        PostState.PUBLISHING: f"Post #{post.id} is already being published.",
        PostState.UNCONFIRMED: f"Post #{post.id} is already being published.",
        PostState.PUBLISHED: f"Post #{post.id} was already published.",
        PostState.PARTIAL: f"Post #{post.id} was already published.",
        PostState.FAILED: f"Post #{post.id} already went out and failed; use Retry.",
    }.get(post.state, f"Post #{post.id} is {post.state.value}.")
