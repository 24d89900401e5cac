"""The /digest command: subscribe a chat, its time and cadence, pause and status."""

from __future__ import annotations

from core.actions import Action
from core.analytics.stats import StatsCommands
from core.commands import Command
from core.digest_schedule import DigestSubscription, next_occurrence
from core.digests.compose import DigestComposer
from core.digests.render import day_label
from core.errors import DomainError
from core.handlers import Actor, profile_wide, require
from core.model import ChatRef, MessageRef, Profile
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.replies import Button, Reply
from core.roles import Capability
from core.when import clock_problem, read_clock, zone


def parse_clock(text: str) -> int:
    """Minutes after midnight for `09:00`, `9:30`, `9am`, `18h` (`core.when.read_clock`);
    refuses anything else."""
    clock = read_clock(text)
    if clock is not None:
        return clock.hour * 60 + clock.minute
    if problem := clock_problem(text):
        raise DomainError(f"{text.strip()[:20]!r} can't be a time: {problem}.")
    raise DomainError(f"I can't read {text.strip()[:20]!r} as a time; use e.g. 09:00 or 18:30.")


USAGE = (
    "/digest on — a daily digest in this chat at 09:00 your time\n"
    "/digest time 18:30 · /digest weekly (Mondays) · /digest daily\n"
    "/digest here — move it to this chat (a group, or a channel where I'm admin)\n"
    "/digest now — show one now · /digest off"
)

# What a viewer of a team may do with its digest; every other word changes it.
_READING = frozenset({"", "status", "now", "preview", "stats"})


class DigestCommands:
    """The /digest command and its buttons (action "dg")."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        composer: DigestComposer,
        clock: Clock,
        stats: StatsCommands | None = None,
    ) -> None:
        self._uow = uow
        self._composer = composer
        self._clock = clock
        self._stats = stats

    async def command(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        word, _, rest = cmd.args.strip().partition(" ")
        return await self._do(actor, profile, word.lower(), rest.strip())

    async def tap(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        if arg == "stats" and self._stats is not None:
            profile_wide(actor, "your numbers")
            return await self._stats.period(profile, 7)
        reply = await self._do(actor, profile, arg, "")
        if arg == "now":
            return reply  # a digest of its own, below the settings message
        return Reply(reply.text, reply.fields, reply.buttons, edit=True, image=reply.image)

    async def _do(self, actor: Actor, profile: Profile, word: str, rest: str) -> Reply:
        now = self._clock.now()
        tz = zone(profile.timezone)
        chat = actor.chat
        if word not in _READING:
            # The team's digest is the team's setting: viewers read it, admins change it.
            require(actor, Capability.MANAGE)
        match word:
            case "" | "status":
                return await self._status(profile, chat)
            case "on" | "here":
                if word == "here":  # it stops the digest in the profile's other chats
                    profile_wide(actor, "moving the digest here from your other chats")
                async with self._uow() as uow:
                    sub = await self._upsert(uow, profile, chat, enabled=True)
                    moved = []
                    if word == "here":
                        for other in await uow.digests.for_profile(profile.id):
                            if other.id != sub.id and other.enabled:
                                other.enabled = False
                                await uow.digests.save(other)
                                moved.append(other.chat.chat)
                    await uow.commit()
                text = f"📬 Digest on in this chat: {self._when(sub, profile)}."
                if moved:
                    text += " It no longer goes to the other chat" + (
                        "s." if len(moved) > 1 else "."
                    )
                return Reply(text + "\n/digest now shows one · /digest off stops it")
            case "off":
                async with self._uow() as uow:
                    current = await uow.digests.find(profile.id, chat)
                    if current is not None and current.enabled:
                        targets = [current]
                    else:  # no digest here: every chat's is stopped, the profile's choice
                        profile_wide(actor, "stopping the digest in your other chats")
                        targets = [
                            s for s in await uow.digests.for_profile(profile.id) if s.enabled
                        ]
                    for s in targets:
                        s.enabled = False
                        await uow.digests.save(s)
                    await uow.commit()
                if not targets:
                    return Reply("The digest is already off. /digest on starts it here.")
                return Reply("🔕 Digest off. /digest on starts it again.")
            case "time":
                minute = parse_clock(rest)
                return await self._change(profile, chat, minute=minute)
            case "weekly" | "daily":
                return await self._change(profile, chat, weekly=word == "weekly")
            case "now" | "preview":
                async with self._uow() as uow:
                    existing = await uow.digests.find(profile.id, chat)
                weekly = existing.weekly if existing is not None else False
                if rest.lower() == "weekly":
                    weekly = True
                day = now.astimezone(tz).date()
                private = actor.chat.private
                return await self._composer.compose(
                    profile, day, weekly=weekly, named=not private, private=private
                )
        raise DomainError(f"I don't know /digest {word[:20]}.\n{USAGE}")

    async def _upsert(
        self, uow: UnitOfWork, profile: Profile, chat: ChatRef, *, enabled: bool
    ) -> DigestSubscription:
        now = self._clock.now()
        sub = await uow.digests.find(profile.id, chat)
        if sub is None:
            sub = DigestSubscription(0, profile.id, chat, created_at=now)
        sub.chat = chat  # with the kind this update shows
        sub.enabled = enabled
        sub.next_due_at = next_occurrence(
            now, sub.minute_of_day, sub.weekly, zone(profile.timezone)
        )
        return await uow.digests.save(sub)

    async def _change(
        self,
        profile: Profile,
        chat: ChatRef,
        *,
        minute: int | None = None,
        weekly: bool | None = None,
    ) -> Reply:
        now = self._clock.now()
        async with self._uow() as uow:
            sub = await uow.digests.find(profile.id, chat)
            created = sub is None
            if sub is None:
                sub = DigestSubscription(0, profile.id, chat, created_at=now)
            sub.chat = chat  # with the kind this update shows
            if minute is not None:
                sub.minute_of_day = minute
            if weekly is not None:
                sub.weekly = weekly
            sub.enabled = True
            sub.next_due_at = next_occurrence(
                now, sub.minute_of_day, sub.weekly, zone(profile.timezone)
            )
            sub = await uow.digests.save(sub)
            await uow.commit()
        verb = "on" if created else "set"
        return Reply(f"📬 Digest {verb}: {self._when(sub, profile)}.")

    def _when(self, sub: DigestSubscription, profile: Profile) -> str:
        cadence = "Mondays" if sub.weekly else "every day"
        text = f"{cadence} at {sub.local_time} ({profile.timezone})"
        if sub.next_due_at is not None:
            local = sub.next_due_at.astimezone(zone(profile.timezone))
            text += f", next {day_label(local.date())} {local:%H:%M}"
        return text

    async def _status(self, profile: Profile, chat: ChatRef) -> Reply:
        async with self._uow() as uow:
            subs = [s for s in await uow.digests.for_profile(profile.id) if s.enabled]
        here = next((s for s in subs if s.chat == chat), None)
        lines = []
        if here is not None:
            lines.append(f"📬 Digest in this chat: {self._when(here, profile)}.")
        elif subs:
            lines.append(
                f"📬 Your digest goes to {len(subs)} other chat"
                + ("s" if len(subs) > 1 else "")
                + f": {self._when(subs[0], profile)}."
            )
        else:
            lines.append("📭 No digest yet.")
        lines.append(USAGE)
        buttons = (
            (Button("🔕 Off", Action.DIGEST, "off"), Button("📅 Weekly", Action.DIGEST, "weekly"))
            if here is not None
            else (Button("📬 On here", Action.DIGEST, "on"),)
        )
        return Reply(
            "\n".join(lines), buttons=((*buttons, Button("👀 Now", Action.DIGEST, "now")),)
        )
