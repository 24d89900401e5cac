"""Composing a post: the draft and its network toggles, publishing now and scheduling."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core import limits, views
from core.actions import Action
from core.approval_ports import ApprovalRequest
from core.approvals import cards
from core.chat.base import already, int_arg, parse_network, require_draft, require_editable
from core.chat.focus import focus_on, opened_draft, own_recent, working_draft
from core.chat.submit import SubmitFlow
from core.commands import Command, split_media
from core.errors import DomainError
from core.graphemes import visible
from core.handlers import Actor, refuse
from core.model import (
    MessageRef,
    Network,
    Post,
    Profile,
    Target,
)
from core.ports import Also, UnitOfWork
from core.publishing.quotas import QUOTAS, quota_refusal
from core.replies import Button, Reply, code
from core.states import PostState, TargetState
from core.when import format_local, month_of, read_when, sample_date, zone

# How many of a user's latest posts in a chat `/schedule` looks at to find their drafts.
RECENT = 20


class ComposeFlow(SubmitFlow):
    """/post, /schedule and the composer's buttons."""

    async def _post(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        text, typed_media = split_media(cmd.args)
        return await self.new_draft(actor, profile, text, (*media, *typed_media))

    async def new_draft(
        self, actor: Actor, profile: Profile, text: str, media: tuple[str, ...]
    ) -> Reply:
        """A draft of `text` and `media` in the actor's chat, shown in the composer (/post, a
        template used)."""
        if not visible(text):  # only spaces, U+200B, U+FEFF …: nothing anyone would see
            text = ""
        all_media = limits.check_media_urls(media)
        if not text and not all_media:
            return Reply(
                f"Empty post: write something after /post, e.g. {code('/post Launch day! 🚀')}, "
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
            # What they compose is what their /edit, /version and /schedule act on next,
            # whatever a team mate composes in the same chat.
            await focus_on(uow, actor, profile, post)
            await uow.commit()
        return views.composer(post, profile, self._policy, unavailable)

    async def working_draft(self, actor: Actor, profile: Profile) -> Post | None:
        """The draft this actor's commands without an id act on here (for /templates save)."""
        async with self._uow() as uow:
            return await working_draft(uow, actor, profile)

    async def _schedule_cmd(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        args, chosen = cmd.args.strip(), None
        if args.startswith("#"):  # `/schedule #12 tomorrow 9:00`: that post
            first, _, args = args.partition(" ")
            chosen, args = int_arg(first, "post", "/schedule #12 <time>"), args.strip()
        if not args:
            return Reply(
                f"When? e.g. {code('/schedule tomorrow 9:00')} or {code('/schedule in 2h')}."
            )
        when, note = read_when(args, now=self._clock.now(), tz=profile.timezone)
        if chosen is not None:
            post = await self._own_post(actor, profile, chosen)
            return await self._schedule(
                actor, profile, post.id, when, None, note=note, retime=_waiting(post)
            )
        # Only posts made in this chat, private ones too: a private draft's text is not a
        # group's, and a draft composed in a group is not picked by a /schedule in private.
        # A draft opened here (/drafts) comes first, until a post is composed here after it.
        async with self._uow() as uow:
            opened = await opened_draft(uow, actor, profile)
            recent = await uow.posts.recent(profile.id, origin=actor.chat, limit=RECENT)
            recent = await own_recent(uow, actor, profile, list(recent))
        if opened is not None:
            return await self._schedule(actor, profile, opened.id, when, None, note=note)
        # The post the user is working on is their latest one: a draft is scheduled, one
        # just scheduled is re-timed. An older draft is never picked behind their back.
        if recent and recent[0].state is PostState.DRAFT:
            return await self._schedule(actor, profile, recent[0].id, when, None, note=note)
        if recent and _waiting(recent[0]):
            return await self._schedule(
                actor, profile, recent[0].id, when, None, note=note, retime=True
            )
        drafts = [p for p in recent if p.state is PostState.DRAFT]
        if drafts:
            return views.which_draft(recent[0], drafts[:3], when, profile.timezone, note)
        here = "" if actor.chat.private else " in this chat"
        return Reply(
            f"No draft to schedule{here}. Compose one with /post <text>. To move a scheduled "
            f"post, send /schedule #<id> <time>, e.g. {code('/schedule #12 tomorrow 9:00')} "
            "(/posts shows the ids)."
        )

    async def _tap_toggle(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post_arg, _, network_arg = arg.partition(":")
        network = parse_network(network_arg)
        async with self._uow() as uow:
            # Locked, and checked to be a draft under the lock: a Publish now or Discard at
            # the same moment goes first or sees this change, never loses it or has it undone.
            post = await self._own_post_in(
                uow, actor, profile, int_arg(post_arg, "post"), lock=True
            )
            await require_editable(uow, post)
            route = self._policy.route(profile.tier, network)
            if reason := self._unavailable(profile).get(network):
                return refuse(reason)
            if network in post.targets:
                del post.targets[network]
                toast = f"{network.label} removed"
            else:
                post.targets[network] = Target(network, route)
                toast = f"{network.label} added"
            post.edited_at = self._clock.now()
            await uow.posts.save(post)
            await uow.commit()
        unavailable = self._unavailable(profile)
        return views.composer(post, profile, self._policy, unavailable, toast=toast, edit=True)

    async def _tap_publish(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        now = self._clock.now()
        async with self._uow() as uow:
            # Locked: a delete or another tap at the same moment waits, then sees this one.
            post = await self._own_post_in(uow, actor, profile, int_arg(arg, "post"), lock=True)
            if post.state is not PostState.DRAFT:
                if message is not None and message == post.progress:
                    # A second tap: the message already shows the progress, which the pipeline
                    # keeps current; an identical edit is refused ("message is not modified").
                    return refuse(already(post))
                return views.progress(post, edit=True, toast=already(post))
            await self._ready_to_send(uow, profile, post, now)
            request: ApprovalRequest | None = None
            if (setting := await self._approval_needed(uow, actor, profile)) is not None:
                # The team reviews its editors' posts: it waits for an approver instead.
                request = await self._submit(uow, actor, post, setting, None, message)
            else:
                for target in post.targets.values():
                    target.move_to(TargetState.SCHEDULED, now)
                post.scheduled_at = None
                post.progress = message
                await uow.posts.save(post)
            await uow.commit()
        if request is not None:
            await self._announce(actor, post, request, profile.timezone)
            shown = cards.awaiting(post, request, profile.timezone)
            return replace(shown, edit=message is not None, toast="Sent for approval")
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
            # Each network's own version, if it has one, against that network's limits.
            problems += limits.problems(target.network, post.text_for(target.network), post.media)
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
        # Posts that went out or are due to in the month this one goes out in; drafts (this
        # one too) do not count.
        since, until = month_of(when, profile.timezone)
        used = await uow.posts.count_outgoing(profile.id, since=since, until=until)
        self._policy.check_monthly(profile.tier, used)

    async def _tap_schedule_menu(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post = await self._own_post(actor, profile, int_arg(arg, "post"))
        require_draft(post)
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
            Button(label, Action.SCHEDULE_AT, f"{post.id}:{int(moment.timestamp() // 60)}")
            for label, moment in picks
        ]
        return Reply(
            f"When should it go out? Times are in {profile.timezone}.\n"
            f"Or type {code('/schedule ' + sample_date(now, profile.timezone))}, "
            f"{code('/schedule tomorrow 9am')}, {code('/schedule in 2h')}.",
            buttons=(tuple(buttons), (Button("« Back", Action.EDIT, str(post.id)),)),
            edit=True,
        )

    async def _tap_schedule_at(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post_arg, _, minute_arg = arg.partition(":")
        post_id = int_arg(post_arg, "post")
        minutes = int_arg(minute_arg, "time")
        when = datetime.fromtimestamp(minutes * 60, UTC)
        if when <= self._clock.now():
            return refuse("That time has passed. Pick another, or type /schedule <time>.")
        return await self._schedule(actor, profile, post_id, when, message)

    async def schedule_draft(
        self,
        actor: Actor,
        profile: Profile,
        post_id: int,
        when: datetime,
        message: MessageRef | None,
        *,
        also: Also | None = None,
    ) -> Reply:
        """Schedule a draft at `when` as the composer's Schedule does; `also` runs in the same
        transaction before it commits (the queue records its entry; raising undoes both)."""
        return await self._schedule(actor, profile, post_id, when, message, also=also)

    async def _schedule(
        self,
        actor: Actor,
        profile: Profile,
        post_id: int,
        when: datetime,
        message: MessageRef | None,
        *,
        note: str | None = None,
        retime: bool = False,
        also: Also | None = None,
    ) -> Reply:
        # What the provider says is linked now: a network unlinked there is reported at
        # schedule time, not when the post falls due.
        profile = await self._refresh_connections(profile)
        async with self._uow() as uow:
            # Locked: a worker claiming a post being re-timed must not have its claim undone.
            post = await self._own_post_in(uow, actor, profile, post_id, lock=True)
            was_due = post.scheduled_at
            if retime:
                self._unschedule(post)
                # Checked again below as the draft it is for a moment: its old slot no longer
                # counts against the limits.
                await uow.posts.save(post)
            require_draft(post)
            await self._ready_to_send(uow, profile, post, when)
            self._policy.check_scheduled(profile.tier, await uow.posts.count_scheduled(profile.id))
            request: ApprovalRequest | None = None
            if (setting := await self._approval_needed(uow, actor, profile)) is not None:
                request = await self._submit(uow, actor, post, setting, when, message)
            else:
                for target in post.targets.values():
                    target.move_to(TargetState.SCHEDULED, when)
                post.scheduled_at = when
                post.progress = None  # the progress message is sent when it falls due
                await uow.posts.save(post)
            if also is not None:  # a post sent for approval too: the queue keeps its entry
                await also(uow, post)
            await uow.commit()
        if request is not None:
            await self._announce(actor, post, request, profile.timezone)
            reply = cards.awaiting(post, request, profile.timezone)
            reply = replace(reply, edit=message is not None)
        else:
            reply = views.scheduled(post, profile.timezone, edit=message is not None)
        lines = [reply.text] + ([note] if note else [])
        if retime and was_due is not None:
            lines.insert(
                0, f"Moved post #{post.id} (it was due {format_local(was_due, profile.timezone)})."
            )
        return replace(reply, text="\n".join(lines))

    def _unschedule(self, post: Post) -> None:
        """A waiting scheduled post back to a draft, unless it is due or was already tried."""
        if not _waiting(post):
            raise DomainError(already(post))
        if post.scheduled_at is not None and post.scheduled_at <= self._clock.now():
            raise DomainError(f"Post #{post.id} is due now and going out; it can't be moved.")
        for target in post.targets.values():
            target.move_to(TargetState.DRAFT)
        post.scheduled_at = None

    async def _tap_discard(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        async with self._uow() as uow:
            # Locked, like Publish now and scheduling: a post they just sent on is not deleted.
            post = await self._own_post_in(uow, actor, profile, int_arg(arg, "post"), lock=True)
            require_draft(post)
            await uow.posts.delete(post.id)
            await uow.commit()
        return Reply("Draft discarded.", edit=True, toast="Discarded")


def _waiting(post: Post) -> bool:
    """Scheduled and untouched: every target waits for its time and none was tried yet."""
    return bool(post.targets) and all(
        t.state is TargetState.SCHEDULED and t.attempts == 0 for t in post.targets.values()
    )
