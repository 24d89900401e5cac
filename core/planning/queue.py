"""/slots, /queue and the composer's Add to queue: weekly posting slots per profile, in its
time zone, and the posts queued into them, moved, paused and resumed."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from core import views
from core.actions import Action
from core.billing import notices as hold_notices
from core.billing.holds import unfit, unhold
from core.commands import Command, ascii_number
from core.errors import DomainError
from core.handlers import MAX_POST_ID, Actor, profile_wide, reach, refuse, require
from core.model import ChatRef, MessageRef, Post, Profile
from core.planning import slots as weekly
from core.planning.base import Composer
from core.planning.holding import hold, release
from core.planning_ports import Slot
from core.policy import Policy
from core.ports import Also, Clock, UnitOfWork, UnitOfWorkFactory
from core.publishing.notices import waiting_buttons
from core.publishing.progress import ProgressNotifier
from core.replies import Button, Reply, code
from core.roles import Capability
from core.states import PostState, TargetState
from core.when import format_local, format_short, zone

MAX_SLOTS = 50  # per profile
HORIZON_DAYS = 366  # a free slot is looked for this far ahead (posts go at most a year ahead)
SHOWN = 10  # queued posts shown with buttons
SLOTS_USAGE = (
    f"{code('/slots add mon 09:00')} (or {code('daily 18:00')}), {code('/slots remove mon 09:00')}"
)
QUEUE_USAGE = f"{code('/queue up 12')}, {code('/queue down 12')}, {code('/queue pause')}, " + code(
    "/queue resume"
)


@dataclass(frozen=True, slots=True)
class Queued:
    """A post in the queue: when its slot is, and whether a pause holds it."""

    post: Post
    at: datetime
    held: bool


class QueueCommands:
    """/slots, /queue and their buttons (plugged into Postroom with add_command and add_tap)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        policy: Policy,
        composer: Composer,
        notifier: ProgressNotifier | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy
        self._composer = composer
        self._notifier = notifier

    # --- /slots ----------------------------------------------------------------------------

    async def slots(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        profile_wide(actor, "your posting slots")
        verb, _, rest = cmd.args.strip().partition(" ")
        if verb:  # the profile's slots are its settings, as its time zone
            require(actor, Capability.MANAGE)
        match verb.lower():
            case "":
                return await self._slot_list(profile)
            case "add":
                wanted = weekly.parse_slots(rest)
                async with self._uow() as uow:
                    have = await uow.planning.slots(profile.id)
                    new = [s for s in wanted if s not in have]
                    if not new:
                        raise DomainError(
                            f"You have {weekly.label(wanted[0])} already"
                            + (" (every day)." if len(wanted) > 1 else ".")
                        )
                    if len(have) + len(new) > MAX_SLOTS:
                        raise DomainError(
                            f"That would make {len(have) + len(new)} slots; the most is "
                            f"{MAX_SLOTS}. Remove some first: {code('/slots remove mon 09:00')}."
                        )
                    for slot in new:
                        await uow.planning.add_slot(profile.id, slot)
                    await uow.commit()
                added = ", ".join(weekly.label(s) for s in new)
                return await self._slot_list(profile, f"Added {added}.")
            case "remove" | "delete":
                gone = weekly.parse_slots(rest)
                async with self._uow() as uow:
                    removed = [s for s in gone if await uow.planning.remove_slot(profile.id, s)]
                    await uow.commit()
                if not removed:
                    raise DomainError(
                        f"You have no slot {weekly.label(gone[0])}"
                        + (" on any day" if len(gone) > 1 else "")
                        + "; /slots lists yours."
                    )
                names = ", ".join(weekly.label(s) for s in removed)
                return await self._slot_list(
                    profile, f"Removed {names}. Posts queued there keep their time."
                )
            case _:
                raise DomainError(f"I don't know /slots {verb[:20]!r}. {SLOTS_USAGE}.")

    async def _slot_list(self, profile: Profile, first: str = "") -> Reply:
        now = self._clock.now()
        tz = zone(profile.timezone)
        async with self._uow() as uow:
            have = await uow.planning.slots(profile.id)
            free = await self._next_free(uow, profile, have, now)
        lines = [first] if first else []
        if not have:
            lines.append(f"No posting slots yet. {SLOTS_USAGE}; then 🗓 Add to queue on a draft.")
            return Reply("\n".join(lines))
        lines.append(f"Your weekly posting slots ({profile.timezone}):")
        for slot in have:
            moment, _, change = next(weekly.upcoming([slot], tz, after=now, days=8))
            lines.append(
                f"• {weekly.label(slot)} — next {format_short(moment, profile.timezone)}"
                + weekly.note(slot, change)
            )
        if free is None:
            lines.append("Every slot in the next year is taken.")
        else:
            lines.append(f"Next free slot: {format_local(free[0], profile.timezone)}.")
        lines.append(f"{SLOTS_USAGE} · /queue shows what is queued.")
        return Reply("\n".join(lines))

    async def _next_free(
        self,
        uow: UnitOfWork,
        profile: Profile,
        have: Sequence[Slot],
        now: datetime,
    ) -> tuple[datetime, Slot, str | None] | None:
        """The first occurrence of a slot after `now` that no post of the profile sits in:
        neither one waiting for its time or going out, nor one a paused queue holds."""
        taken = {_minute(at) for _, at in await uow.planning.scheduled(profile.id, since=now)}
        taken |= {_minute(q.at) for q in await _queue(uow, profile.id)}
        for found in weekly.upcoming(have, zone(profile.timezone), after=now, days=HORIZON_DAYS):
            if _minute(found[0]) not in taken:
                return found
        return None

    # --- Add to queue ------------------------------------------------------------------------

    async def add_tap(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post_id = _post_id(arg)
        now = self._clock.now()
        async with self._uow() as uow:
            post = reach(actor, post_id, await uow.posts.get(post_id))
            if post is None:
                return refuse(f"There is no post #{post_id} (it may have been deleted).")
            if post.profile_id != profile.id:
                return refuse("Only the author can do that.")
            if post.state is not PostState.DRAFT:
                return refuse(f"Post #{post.id} is not a draft any more. /queue shows the queue.")
            have = await uow.planning.slots(profile.id)
            if not have:
                return Reply(
                    f"No posting slots yet, so there is no queue to add to. {SLOTS_USAGE}, "
                    "then tap 🗓 Add to queue again."
                )
        # Another Add to queue may take the free slot first: then the next one is taken.
        for _ in range(_TRIES):
            async with self._uow() as uow:
                free = await self._next_free(uow, profile, have, now)
            if free is None:
                return Reply("Every posting slot in the next year is taken: /slots add more.")
            when, slot, change = free
            held: list[bool] = []
            recorded: list[bool] = []
            also = _recorder(profile, when, now, held, recorded)
            try:
                reply = await self._composer.schedule_draft(
                    actor, profile, post.id, when, message, also=also
                )
            except _Taken:
                continue
            break
        else:
            return refuse("Slots are being taken right now; tap 🗓 Add to queue again.")
        where = f"slot {weekly.label(slot)}{weekly.note(slot, change)}"
        if not recorded:
            # The team requires approval: the post waits for it, timed for that slot, and is
            # scheduled (outside the queue) once approved.
            return replace(reply, text=f"🗓 Next free {where}; approval comes first.\n{reply.text}")
        if not held:
            return Reply(
                f"🗓 Added to the queue: {where}.\n{reply.text}",
                fields=reply.fields,
                buttons=reply.buttons,
                edit=reply.edit,
                toast="Queued",
            )
        return Reply(
            f"🗓 Queued for {format_local(when, profile.timezone)} ({where}). The queue is "
            "paused, so it waits: /queue resume sends the queue on again.",
            edit=message is not None,
            toast="Queued (paused)",
        )

    # --- /queue -------------------------------------------------------------------------------

    async def queue(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        verb, _, rest = cmd.args.strip().partition(" ")
        match verb.lower():
            case "":
                return await self._queue_list(actor, profile)
            case "up" | "down":
                require(actor, Capability.COMPOSE)
                step = -1 if verb.lower() == "up" else 1
                await self._move(actor, profile, _post_id(rest, typed=True), step)
                return await self._queue_list(actor, profile)
            case "pause":
                profile_wide(actor, "your queue")
                require(actor, Capability.MANAGE)
                return await self._pause(profile)
            case "resume":
                profile_wide(actor, "your queue")
                require(actor, Capability.MANAGE)
                return await self._resume(profile)
            case _:
                raise DomainError(f"I don't know /queue {verb[:20]!r}. {QUEUE_USAGE}.")

    async def tap(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        verb, _, rest = arg.partition(":")
        if verb in ("up", "dn"):
            try:
                await self._move(actor, profile, _post_id(rest), -1 if verb == "up" else 1)
            except DomainError as e:
                return refuse(str(e))
            shown = await self._queue_list(actor, profile)
            return Reply(shown.text, buttons=shown.buttons, edit=True, toast="Moved")
        if verb in ("pause", "resume"):
            profile_wide(actor, "your queue")
            require(actor, Capability.MANAGE)
            done = await (self._pause(profile) if verb == "pause" else self._resume(profile))
            shown = await self._queue_list(actor, profile)
            return Reply(
                f"{done.text}\n\n{shown.text}", buttons=shown.buttons, edit=True, toast="Done"
            )
        return refuse("This button is no longer supported. Send /queue again.")

    async def _queue_list(self, actor: Actor, profile: Profile) -> Reply:
        async with self._uow() as uow:
            found = _here(actor.chat, await _queue(uow, profile.id, tidy=True))
            paused = await uow.planning.paused(profile.id)
            have = await uow.planning.slots(profile.id)
            await uow.commit()  # entries of posts that left the queue are dropped
        state = "⏸ paused: queued posts are held" if paused else "running"
        lines = [f"🗓 Your queue ({profile.timezone}) — {state}."]
        if not found:
            lines.append("Nothing is queued. Tap 🗓 Add to queue on a draft (/post <text>).")
        for n, q in enumerate(found, 1):
            nets = ", ".join(t.network.label for t in q.post.ordered_targets())
            held = " (held)" if q.held else ""
            lines.append(
                f"{n}. {format_short(q.at, profile.timezone)}{held} · #{q.post.id} "
                f"{views.clip(q.post.text, 40) or '(media only)'} → {nets}"
            )
        if len(found) > SHOWN:
            lines.append(f"Buttons for the first {SHOWN}; move others with {QUEUE_USAGE}.")
        if have:
            lines.append("Slots: " + ", ".join(weekly.label(s) for s in have) + " · /slots")
        else:
            lines.append(f"No posting slots yet: {SLOTS_USAGE}.")
        rows: list[tuple[Button, ...]] = [
            (
                Button(f"⬆ #{q.post.id}", Action.QUEUE, f"up:{q.post.id}"),
                Button(f"⬇ #{q.post.id}", Action.QUEUE, f"dn:{q.post.id}"),
            )
            for q in found[:SHOWN]
        ]
        if paused:
            rows.append((Button("▶️ Resume queue", Action.QUEUE, "resume"),))
        else:
            rows.append((Button("⏸ Pause queue", Action.QUEUE, "pause"),))
        return Reply("\n".join(lines), buttons=tuple(rows))

    async def _move(self, actor: Actor, profile: Profile, post_id: int, step: int) -> None:
        """Swap the post's slot time with the one before (`step` -1) or after (+1) it."""
        now = self._clock.now()
        async with self._uow() as uow:
            found = _here(actor.chat, await _queue(uow, profile.id))
            at = next((i for i, q in enumerate(found) if q.post.id == post_id), None)
            if at is None:
                raise DomainError(f"Post #{post_id} is not in your queue here; /queue lists it.")
            other = at + step
            if not 0 <= other < len(found):
                edge = "first" if step < 0 else "last"
                raise DomainError(f"Post #{post_id} is already {edge} in the queue.")
            one, two = found[at], found[other]
            # Locked in id order (two moves at once never wait on each other), then checked
            # again: a post may have gone out or been changed since it was listed.
            locked: dict[int, Post] = {}
            for pid in sorted((one.post.id, two.post.id)):
                post = await uow.posts.lock(pid)
                if post is None:
                    raise DomainError("The queue changed meanwhile; /queue shows it now.")
                locked[pid] = post
            again = {q.post.id: q for q in map(_entry, locked.values()) if q is not None}
            if set(again) != set(locked) or any(
                again[q.post.id].at != q.at or again[q.post.id].held != q.held for q in (one, two)
            ):
                raise DomainError("The queue changed meanwhile; /queue shows it now.")
            for q in (one, two):
                if not q.held and q.at <= now:
                    raise DomainError(f"Post #{q.post.id} is due now and going out.")
            _retime(locked[one.post.id], two.at, held=one.held)
            _retime(locked[two.post.id], one.at, held=two.held)
            for post in locked.values():
                await uow.posts.save(post)
            await uow.commit()

    async def _pause(self, profile: Profile) -> Reply:
        async with self._uow() as uow:
            if await uow.planning.paused(profile.id):
                return Reply("Your queue is already paused. /queue resume sends it on again.")
            await uow.planning.set_paused(profile.id, True)
            held: list[int] = []
            for q in await _queue(uow, profile.id):
                post = None if q.held else await uow.posts.lock(q.post.id)
                if post is not None and _entry(post) is not None and hold(post):
                    await uow.posts.save(post)
                    held.append(post.id)
            await uow.commit()
        what = ", ".join(f"#{i}" for i in held) if held else "nothing was queued"
        return Reply(
            f"⏸ Queue paused. Held (not sent, keeping their slots): {what}. Posts you schedule "
            "by time still go out. /queue resume sends the queue on again."
        )

    async def _resume(self, profile: Profile) -> Reply:
        now = self._clock.now()
        async with self._uow() as uow:
            if not await uow.planning.paused(profile.id):
                return Reply("Your queue is not paused. /queue pause holds it.")
            await uow.planning.set_paused(profile.id, False)
            fresh = await uow.profiles.get(profile.id) or profile  # the tier as it is now
            back: list[Post] = []
            late: list[tuple[Post, datetime]] = []
            refused: list[tuple[Post, list[str]]] = []
            for q in await _queue(uow, profile.id):
                post = await uow.posts.lock(q.post.id) if q.held else None
                if post is None:
                    continue
                # Released without Publish or Schedule: what they would refuse is refused here.
                if problems := await unfit(uow, post):
                    unhold(post)
                    await uow.posts.save(post)
                    await uow.planning.dequeue([post.id])
                    refused.append((post, problems))
                    continue
                outcome = release(post, self._policy, fresh.tier, now)
                if outcome is None:
                    continue
                await uow.posts.save(post)
                if outcome == "late":
                    late.append((post, q.at))
                    await uow.planning.dequeue([post.id])
                else:
                    back.append(post)
            await uow.commit()
        lines = ["▶️ Queue resumed."]
        if back:
            lines.append("Scheduled again: " + ", ".join(f"#{p.id}" for p in back) + ".")
        if late:
            lines.append(
                "Due while it was paused, so not sent (each waits for you: publish it now or "
                "delete it): " + ", ".join(f"#{p.id}" for p, _ in late) + "."
            )
        if refused:
            lines.append(
                "Not scheduled again, as they no longer fit (each is a draft now, its author "
                "is told why): " + ", ".join(f"#{p.id}" for p, _ in refused) + "."
            )
        notes = [(p, _late(p, due, profile.timezone)) for p, due in late] + [
            (p, hold_notices.unfit(p, why, "in the paused queue")) for p, why in refused
        ]
        for post, notice in notes:
            if self._notifier is not None:
                await self._notifier.notify(post, notice)
        return Reply("\n".join(lines))


_TRIES = 3  # free slots looked for again when another Add to queue took the one found


class _Taken(DomainError):
    """The slot found free was taken by another Add to queue meanwhile."""


def _recorder(
    profile: Profile, when: datetime, now: datetime, held: list[bool], recorded: list[bool]
) -> Also:
    """The queue's part of scheduling a draft at `when`, in the same transaction: the slot
    checked again under a lock (for a post sent for approval too), the entry recorded
    (`recorded` gets True), and the post held when the queue is paused (`held` gets True)."""

    async def record(uow: UnitOfWork, post: Post) -> None:
        # One Add to queue at a time per profile (a row lock on PostgreSQL; SQLite has one
        # writer): two taps at once must not both take the slot that was free when they looked.
        await uow.profiles.lock(profile.id)
        sitting = await uow.planning.scheduled(profile.id, since=when)
        queued = await _queue(uow, profile.id)
        if any(pid != post.id and _minute(at) == _minute(when) for pid, at in sitting) or any(
            _minute(q.at) == _minute(when) for q in queued if q.post.id != post.id
        ):
            raise _Taken("That slot was just taken.")
        await uow.planning.enqueue(profile.id, post.id, now)
        if post.state is PostState.AWAITING_APPROVAL:
            return  # queued once approved (held then if the queue is paused: core.chat)
        recorded.append(True)
        if await uow.planning.paused(profile.id):
            # Stored held; the caller's copy stays scheduled for the confirmation it shows.
            stored = copy.deepcopy(post)
            hold(stored)
            await uow.posts.save(stored)
            held.append(True)

    return record


def _late(post: Post, due: datetime, tz: str) -> Reply:
    """As after downtime (core.publishing.notices.late_notice): the post waits for its
    author, who publishes it now, edits it or deletes it."""
    nets = ", ".join(t.network.label for t in post.ordered_targets())
    return Reply(
        f"⏰ Post #{post.id} was due {format_local(due, tz)}, while your queue was paused, so "
        f"it was not sent. Publish it now, edit it, or delete it.\n"
        f"{views.clip(post.text) or '(media only)'}\nTo: {nets}",
        buttons=waiting_buttons(post),
    )


def _minute(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def _post_id(text: str, *, typed: bool = False) -> int:
    number = ascii_number(text.strip().lstrip("#"))
    if number is None or number == 0 or number > MAX_POST_ID:
        example = code("/queue up 12") if typed else "a fresh /queue"
        if not text.strip():
            raise DomainError(f"Which post? e.g. {example}.")
        shown = text.strip()[:20]
        raise DomainError(f"I need a post number here, not {shown!r} (e.g. {example}).")
    return number


def _entry(post: Post) -> Queued | None:
    """The post as a queue entry: waiting for its time, or held by a pause; else None (it
    went out or is going out, or was cancelled back to a draft)."""
    targets = list(post.targets.values())
    if not targets:
        return None
    if post.scheduled_at is not None and all(
        t.state is TargetState.SCHEDULED and t.attempts == 0 for t in targets
    ):
        return Queued(post, post.scheduled_at, held=False)
    held = [t.held_due for t in targets if t.held_due is not None]
    if all(t.state is TargetState.DRAFT for t in targets) and len(held) == len(targets):
        return Queued(post, min(held), held=True)
    return None


async def _queue(uow: UnitOfWork, profile_id: int, *, tidy: bool = False) -> list[Queued]:
    """The profile's queue in slot order; `tidy` drops the entries of posts that left it."""
    found: list[Queued] = []
    gone: list[int] = []
    for post_id in await uow.planning.queued(profile_id):
        post = await uow.posts.get(post_id)
        if post is not None and post.state is PostState.AWAITING_APPROVAL:
            continue  # queued from Add to queue, in the queue once approved
        entry = None if post is None or post.profile_id != profile_id else _entry(post)
        if entry is None:
            gone.append(post_id)
        else:
            found.append(entry)
    if tidy and gone:
        await uow.planning.dequeue(gone)
    return sorted(found, key=lambda q: (q.at, q.post.id))


def _here(chat: ChatRef, queue: list[Queued]) -> list[Queued]:
    """A group or channel sees (and moves) only the queued posts made in it."""
    return queue if chat.private else [q for q in queue if q.post.origin == chat]


def _retime(post: Post, at: datetime, *, held: bool) -> None:
    for t in post.targets.values():
        if held:
            t.held_due = at
        else:
            t.due_at = at
    if not held:
        post.scheduled_at = at
