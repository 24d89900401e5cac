"""The engage pass: new comments pulled on each tier's cadence, then pushed to chat in batches."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.engage import render
from core.engage_ports import Comment, CommentSource, EngageSettings, FoundComment, Watched
from core.errors import PublishError
from core.model import ChatKind, ChatRef, Network, Post, Profile, Route
from core.policy import Policy
from core.ports import Clock, Messengers, UnitOfWorkFactory
from core.replies import seal
from core.when import zone

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngageConfig:
    watch_for: timedelta = timedelta(days=14)  # posts older than this are not looked at
    page: int = 500  # targets (and comments to push) read per pass
    retry: timedelta = timedelta(minutes=15)  # after a network could not answer


@dataclass(slots=True)
class PassReport:
    checked: int = 0
    found: int = 0
    failed: int = 0
    pushed: int = 0
    messages: int = 0
    held: int = 0


def quiet_now(settings: EngageSettings, now: datetime, tz: str) -> bool:
    """Whether `now` falls in the profile's quiet hours ([start, end), across midnight)."""
    if not settings.quiet:
        return False
    local = now.astimezone(zone(tz))
    minute = local.hour * 60 + local.minute
    start, end = settings.quiet_start, settings.quiet_end
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


class EngagePass:
    """One pass pulls the comments of every due target, then pushes what is new."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        sources: Mapping[Route, CommentSource],
        policy: Policy,
        messengers: Messengers,
        clock: Clock,
        config: EngageConfig | None = None,
    ) -> None:
        self._uow = uow
        self._sources = sources
        self._policy = policy
        self._messengers = messengers
        self._clock = clock
        self.config = config or EngageConfig()

    async def run(self) -> PassReport:
        report = PassReport()
        await self.pull(report)
        await self.push(report)
        if report.found or report.pushed or report.failed:
            log.info(
                "engage: %d targets checked, %d new comments, %d failed, %d pushed in %d "
                "messages, %d held for quiet hours",
                report.checked,
                report.found,
                report.failed,
                report.pushed,
                report.messages,
                report.held,
            )
        return report

    # --- pull -----------------------------------------------------------------------------

    async def pull(self, report: PassReport) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            due = await uow.engage.due(
                now, since=now - self.config.watch_for, limit=self.config.page
            )
        by_profile: dict[int, list[Watched]] = defaultdict(list)
        for target in due:
            by_profile[target.profile_id].append(target)
        for profile_id, targets in by_profile.items():
            try:
                await self._pull_profile(profile_id, targets, now, report)
            except Exception:
                log.exception("engage: pulling comments of profile %s failed", profile_id)
                report.failed += len(targets)

    async def _pull_profile(
        self, profile_id: int, targets: list[Watched], now: datetime, report: PassReport
    ) -> None:
        async with self._uow() as uow:
            profile = await uow.profiles.get(profile_id)
        if profile is None:
            return
        cadence = self._policy[profile.tier].comments_refresh
        groups: dict[tuple[Route, str], list[Watched]] = defaultdict(list)
        for t in targets:
            # One Ayrshare request answers for all of a post's networks.
            key = t.provider_post_id if t.route is Route.AYRSHARE else None
            groups[(t.route, key or f"{t.post_id}:{t.network.value}")].append(t)
        for (route, _), members in groups.items():
            source = self._sources.get(route)
            next_at = now + cadence
            found: Mapping[tuple[int, Network], Sequence[FoundComment]] = {}
            if (
                source is not None
                and route in profile.accounts
                and not source.missing_access(profile)
            ):
                try:
                    found = await source.comments(profile, members)
                except PublishError as e:
                    log.warning(
                        "engage: comments of post %s (%s) not read: %s",
                        members[0].post_id,
                        route.value,
                        e.reason,
                    )
                    report.failed += len(members)
                    next_at = now + min(cadence, self.config.retry)
            report.checked += len(members)
            async with self._uow() as uow:
                for t in members:
                    got = found.get((t.post_id, t.network), ())
                    mine = _own_account(profile, t.network)
                    fresh = [c for c in got if not c.hidden and c.author.lstrip("@") != mine]
                    if fresh:
                        report.found += await uow.engage.add_found(
                            profile.id, t.post_id, fresh, now=now
                        )
                    await uow.engage.checked(t.post_id, t.network, now=now, next_at=next_at)
                await uow.commit()

    # --- push -----------------------------------------------------------------------------

    async def push(self, report: PassReport) -> None:
        now = self._clock.now()
        after = 0
        while True:
            # Page by id: comments held for one profile's quiet hours never hold back others.
            async with self._uow() as uow:
                page = await uow.engage.unpushed(limit=self.config.page, after=after)
            if not page:
                return
            after = page[-1].id
            by_profile: dict[int, list[Comment]] = defaultdict(list)
            for c in page:
                by_profile[c.profile_id].append(c)
            for profile_id, comments in by_profile.items():
                try:
                    await self._push_profile(profile_id, comments, now, report)
                except Exception:
                    log.exception("engage: pushing comments of profile %s failed", profile_id)
            if len(page) < self.config.page:
                return

    async def _push_profile(
        self, profile_id: int, comments: list[Comment], now: datetime, report: PassReport
    ) -> None:
        async with self._uow() as uow:
            profile = await uow.profiles.get(profile_id)
            settings = await uow.engage.settings(profile_id)
        if profile is None:
            return
        if not settings.enabled:
            # Pushes are off: they stay listed by /comments, and are not pushed later.
            async with self._uow() as uow:
                await uow.engage.claim([c.id for c in comments], now=now)
                await uow.commit()
            return
        if quiet_now(settings, now, profile.timezone):
            report.held += len(comments)
            return  # held: the first pass after the quiet hours pushes them together
        by_post: dict[int, list[Comment]] = defaultdict(list)
        for c in comments:
            by_post[c.post_id].append(c)
        for post_id, batch in by_post.items():
            await self._push_batch(profile, post_id, batch, now, report)

    async def _push_batch(
        self, profile: Profile, post_id: int, batch: list[Comment], now: datetime, r: PassReport
    ) -> None:
        async with self._uow() as uow:
            claimed = set(await uow.engage.claim([c.id for c in batch], now=now))
            post = await uow.posts.get(post_id)
            await uow.commit()
        shown = [c for c in batch if c.id in claimed][: render.PER_MESSAGE]
        if not shown:
            return  # another worker pushes them
        more = len(claimed) - len(shown)
        reply = seal(
            render.batch(post, post_id, shown, profile.timezone, more=more), profile.id, now
        )
        message = None
        for chat in await self._chats(profile, post):
            try:
                message = await self._messengers[chat.platform].send(chat, reply)
                break
            except Exception as e:  # the group is gone or the bot left it: the owner's DM
                log.warning("engage: comments of post %s not pushed to a chat: %s", post_id, e)
        if message is None:
            async with self._uow() as uow:  # the next pass tries again
                await uow.engage.unclaim([c.id for c in shown])
                await uow.commit()
            return
        async with self._uow() as uow:
            await uow.engage.shown([c.id for c in shown], message)
            await uow.commit()
        r.pushed += len(shown)
        r.messages += 1

    async def _chats(self, profile: Profile, post: Post | None) -> list[ChatRef]:
        """The post's origin chat, then the owner's private chats, where a messenger runs."""
        chats: list[ChatRef] = []
        if post is not None and post.origin.platform in self._messengers:
            chats.append(post.origin)
        async with self._uow() as uow:
            identities = await uow.profiles.identities(profile.id)
        for i in identities:
            if i.platform in self._messengers:
                dm = ChatRef(i.platform, i.user, i.workspace, ChatKind.PRIVATE)
                if dm not in chats:
                    chats.append(dm)
        return chats


def _own_account(profile: Profile, network: Network) -> str | None:
    """The name of the profile's own account there: its comments are ours, never pushed."""
    connection = profile.connections.get(network)
    return connection.display_name.lstrip("@") if connection and connection.display_name else None
