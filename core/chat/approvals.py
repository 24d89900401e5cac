"""/approvals, /note and the approval card's buttons: Approve, Request changes, Reject."""

from __future__ import annotations

from datetime import datetime, timedelta

from core import views
from core.approval_ports import (
    MAX_NOTE_CHARS,
    ApprovalRequest,
    ApprovalSetting,
    Kind,
    Review,
    Status,
)
from core.approvals import cards, rounds
from core.approvals.notices import settle_card, tell_author
from core.chat.base import int_arg
from core.chat.compose import ComposeFlow
from core.commands import Command, ascii_number
from core.errors import DomainError
from core.graphemes import visible
from core.handlers import MAX_POST_ID, Actor, reach, refuse, require
from core.model import MessageRef, Post, Profile
from core.planning.holding import hold
from core.ports import UnitOfWork
from core.replies import Reply, code
from core.roles import Capability, allows

# "Request changes" takes the approver's next message in that chat as its note, this long.
NOTE_WAIT = timedelta(hours=1)
BROKEN = "This approval button is broken. Open the post from /posts instead."
USAGE = (
    f"Send {code('/approvals on')}, {code('/approvals on no-self-approval')} (an approver's own "
    f"posts then need another approver) or {code('/approvals off')}."
)
_DECISIONS = {
    Kind.APPROVED: Status.APPROVED,
    Kind.CHANGES: Status.CHANGES,
    Kind.REJECTED: Status.REJECTED,
}


class ApprovalFlow(ComposeFlow):
    """A team's review before posts go out (core.approvals)."""

    async def _approvals(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        if actor.team is None:
            return Reply(
                "Approvals are for team profiles: in your team's group or channel, send "
                "/team create first, then /approvals on there."
            )
        require(actor, Capability.MANAGE)
        words = cmd.args.lower().split()
        async with self._uow() as uow:
            current = await uow.approvals.setting(profile.id)
            if not words:
                return Reply(_describe(current, actor.team.name) + "\n" + USAGE)
            if words[0] not in ("on", "off") or any(w != "no-self-approval" for w in words[1:]):
                return Reply(f"I don't understand {cmd.args.strip()[:40]!r}. {USAGE}")
            setting = ApprovalSetting(
                profile.id,
                required=words[0] == "on",
                no_self_approval=words[0] == "on" and "no-self-approval" in words[1:],
                changed_at=self._clock.now(),
                changed_by=actor.name or actor.identity.user,
            )
            await uow.approvals.save_setting(setting)
            await uow.commit()
        text = _describe(setting, actor.team.name)
        if not setting.required and current is not None and current.required:
            text += " Posts already awaiting approval still wait for an approver's decision."
        return Reply(text)

    async def _tap_approve(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        return await self._decide(actor, profile, arg, Kind.APPROVED, message)

    async def _tap_request_changes(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        return await self._decide(actor, profile, arg, Kind.CHANGES, message)

    async def _tap_reject(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        return await self._decide(actor, profile, arg, Kind.REJECTED, message)

    async def _decide(
        self, actor: Actor, profile: Profile, arg: str, kind: Kind, message: MessageRef | None
    ) -> Reply:
        """One approver's decision on the card's round, under the post's lock: two taps at
        once (two approvers, a double tap) decide once, the second is told it was decided."""
        post_id, round_ = _card_arg(arg)
        require(actor, Capability.APPROVE)
        now = self._clock.now()
        async with self._uow() as uow:
            post = await _team_post(uow, profile, post_id)
            request = await uow.approvals.request(post.id)
            if (reason := rounds.stale(post, request, round_)) is not None:
                return refuse(reason)
            assert request is not None
            if rounds.overdue(request, now):
                rounds.send_back(post, request, Status.EXPIRED, now)
                kind = Kind.EXPIRED
            elif kind is Kind.APPROVED:
                if request.no_self_approval and request.author == actor.identity:
                    return refuse(
                        "This team has no self-approval: another approver must approve your "
                        "own post. You can still request changes or reject it."
                    )
                # As Publish now and Schedule check it: what changed since (a network
                # unlinked, the month's posts used up) is said here, and nothing moves.
                await self._ready_to_send(uow, profile, post, request.publish_at or now)
                if request.publish_at is not None:
                    # The plan may have shrunk since it was submitted; this post is counted
                    # among the scheduled already (it waits at its time), so not twice.
                    pending = await uow.posts.count_scheduled(profile.id) - 1
                    self._policy.check_scheduled(profile.tier, pending)
                rounds.approve(post, request, now)
                # Added to the queue before approval: a pause since holds it like the rest.
                pid = post.profile_id
                if await uow.planning.paused(pid) and post.id in await uow.planning.queued(pid):
                    hold(post)
            else:
                rounds.send_back(post, request, _DECISIONS[kind], now)
                if kind is Kind.CHANGES:
                    request.note_from, request.note_chat = actor.identity, actor.chat
                    request.note_until = now + NOTE_WAIT
            await uow.posts.save(post)
            await uow.approvals.save_request(request)
            by = "" if kind is Kind.EXPIRED else actor.name or actor.identity.user
            who = None if kind is Kind.EXPIRED else actor.identity
            await uow.approvals.add_review(Review(post.id, kind, now, by, who, request.round))
            await uow.commit()
        line = cards.outcome(kind, by, tz=profile.timezone, post=post)
        await tell_author(self._notifier, post, request, line, profile.timezone)
        toast = {
            Kind.APPROVED: "Approved",
            Kind.CHANGES: "Changes requested: now send the note",
            Kind.REJECTED: "Rejected",
            Kind.EXPIRED: "Too late: its time passed, so it is held as a draft",
        }[kind]
        if kind is Kind.EXPIRED and self._notifier is not None:
            await self._notifier.notify(post, cards.expired_notice(post))
        if kind is Kind.CHANGES:
            line += "\n" + cards.ask_note(post, by)
        if message != request.card:  # decided from the post's detail: the card says so too
            await settle_card(self._notifier, post, request, line)
        shown = cards.decided(post, request, line)
        return Reply(shown.text, edit=True, toast=toast)

    async def _note(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        first, _, text = cmd.args.strip().partition(" ")
        if not first:
            return Reply(f"Which post? {code('/note 12 Shorter first line, please')}")
        post_id = int_arg(first, "post")
        text = text.strip()
        if not visible(text):
            return Reply(f"What is the note? {code(f'/note {post_id} <text>')}")
        require(actor, Capability.APPROVE)
        return await self._save_note(actor, profile, post_id, text)

    async def _note_from_chatter(self, actor: Actor, text: str) -> Reply | None:
        """A plain message: the changes note its sender was asked for here, if any (None:
        not for us)."""
        async with self._uow() as uow:
            awaited = await uow.approvals.note_awaited(
                actor.identity, actor.chat, self._clock.now()
            )
            post = None if awaited is None else await uow.posts.get(awaited.post_id)
            team = None if post is None else await uow.teams.team_of_profile(post.profile_id)
            member = None if team is None else await uow.teams.member(team.id, actor.identity)
        if awaited is None or post is None:
            return None
        if member is None or not member.active or not allows(member.role, Capability.APPROVE):
            return None  # removed or demoted since asking for changes: their chatter is theirs
        text = text.strip()
        if not visible(text):
            return None
        owner = await self._team_profile(post.profile_id)
        if owner is None:
            return None
        return await self._save_note(actor, owner, post.id, text, asked=True)

    async def _team_profile(self, profile_id: int) -> Profile | None:
        async with self._uow() as uow:
            return await uow.profiles.get(profile_id)

    async def _save_note(
        self, actor: Actor, profile: Profile, post_id: int, text: str, *, asked: bool = False
    ) -> Reply:
        if len(text) > MAX_NOTE_CHARS:
            return Reply(
                f"That note is {len(text):,} characters; the most I keep is {MAX_NOTE_CHARS:,}. "
                "Nothing was saved: send a shorter one."
            )
        now = self._clock.now()
        async with self._uow() as uow:
            post = await _team_post(uow, profile, post_id)
            if actor.team is None and not asked:
                reach(actor, post_id, post)  # a personal profile's posts, by the origin rule
            request = await uow.approvals.request(post.id)
            changes = await _awaiting_note(uow, request, actor, now)
            if changes is not None:
                assert request is not None
                await uow.approvals.set_note(changes.id, text)
                request.note_from = request.note_chat = request.note_until = None
                await uow.approvals.save_request(request)
            else:
                pending = request is not None and request.status is Status.PENDING
                at_round = request.round if pending and request is not None else None
                by = actor.name or actor.identity.user
                await uow.approvals.add_review(
                    Review(post.id, Kind.NOTE, now, by, actor.identity, at_round, text)
                )
            await uow.commit()
        if changes is not None and request is not None:
            line = cards.outcome(Kind.CHANGES, changes.by_name, text)
            await settle_card(self._notifier, post, request, line)
            await tell_author(self._notifier, post, request, line, profile.timezone)
            return Reply(f"📝 Noted for post #{post.id}; its author sees it on the post.")
        return Reply(
            f"📝 Note saved on post #{post.id}: {views.quoted(text, 80)}. It shows in the "
            "post's detail (/posts → Open)."
        )


async def _team_post(uow: UnitOfWork, profile: Profile, post_id: int) -> Post:
    """The profile's post, locked, wherever in the team it was made (a card is in the team
    chat, the post may come from a member's private chat "posting as" the team)."""
    post = await uow.posts.lock(post_id)
    if post is None or post.profile_id != profile.id:
        raise DomainError(f"There is no post #{post_id} (it may have been deleted).")
    return post


async def _awaiting_note(
    uow: UnitOfWork, request: ApprovalRequest | None, actor: Actor, now: datetime
) -> Review | None:
    """The changes decision whose note `actor` still owes, if they owe one on this post."""
    if request is None or request.note_from != actor.identity:
        return None
    if request.note_until is None or request.note_until <= now:
        return None
    for review in reversed(await uow.approvals.reviews(request.post_id)):
        if review.kind is Kind.CHANGES and review.round == request.round:
            return review
    return None


def _card_arg(arg: str) -> tuple[int, int]:
    """`<post>:<round>` from a card's button, or a refusal: a forged or cut button."""
    post_arg, sep, round_arg = arg.partition(":")
    post_id, round_ = ascii_number(post_arg), ascii_number(round_arg)
    if not sep or post_id is None or round_ is None or post_id > MAX_POST_ID:
        raise DomainError(BROKEN)
    if round_ > MAX_POST_ID:
        raise DomainError(BROKEN)
    return post_id, round_


def _describe(setting: ApprovalSetting | None, team: str) -> str:
    if setting is None or not setting.required:
        return f"Approvals are off for {team}: editors' posts go out as they publish them."
    also = (
        " No self-approval: an approver's own posts need another approver."
        if setting.no_self_approval
        else " Approvers' own posts go out directly."
    )
    return (
        f"Approvals are on for {team}: an editor's Publish or Schedule waits for an "
        f"approver (an admin), who gets a card in the team chat.{also}"
    )
