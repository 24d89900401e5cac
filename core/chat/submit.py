"""Sending a team's post for approval instead of out, and taking it back (core.approvals)."""

from __future__ import annotations

import logging
from datetime import datetime

from core.approval_ports import ApprovalRequest, ApprovalSetting, Kind, Review, Status, waits
from core.approvals import cards, rounds
from core.approvals.notices import settle_card
from core.chat.base import Flow
from core.handlers import Actor
from core.model import MessageRef, Post, Profile
from core.ports import UnitOfWork
from core.replies import seal
from core.roles import Capability, allows, holders
from core.states import TargetState

log = logging.getLogger(__name__)


class SubmitFlow(Flow):
    """What Publish now, Schedule and /cancel do when the team requires approval."""

    async def _approval_needed(
        self, uow: UnitOfWork, actor: Actor, profile: Profile
    ) -> ApprovalSetting | None:
        """The team's setting when this member's post must wait for an approver: an editor's
        always, an approver's own only with "no self-approval" (another approver decides)."""
        if actor.team is None:
            return None  # a personal profile has nobody to ask
        setting = await uow.approvals.setting(profile.id)
        may_approve = allows(actor.role, Capability.APPROVE)
        return setting if waits(setting, may_approve=may_approve) else None

    async def _submit(
        self,
        uow: UnitOfWork,
        actor: Actor,
        post: Post,
        setting: ApprovalSetting,
        publish_at: datetime | None,
        message: MessageRef | None,
    ) -> ApprovalRequest:
        """The checked draft waits for approval (the caller commits); the message tapped
        becomes its progress message, where the author is told the outcome."""
        now = self._clock.now()
        previous = await uow.approvals.request(post.id)
        request = rounds.submit(
            post,
            previous,
            author=actor.identity,
            author_name=actor.name or actor.identity.user,
            setting=setting,
            publish_at=publish_at,
            now=now,
        )
        if message is not None:
            post.progress = message
        await uow.posts.save(post)
        await uow.approvals.save_request(request)
        await uow.approvals.add_review(
            Review(
                post.id, Kind.SUBMITTED, now, request.author_name, actor.identity, request.round
            )
        )
        return request

    async def _announce(self, actor: Actor, post: Post, request: ApprovalRequest, tz: str) -> None:
        """One card into the team chat for its approvers; its message is remembered so that a
        withdrawal or the expiry can say so on it."""
        team = actor.team
        if team is None or self._notifier is None:
            return
        messenger = self._notifier.messengers.get(team.chat.platform)
        if messenger is None:
            log.warning(
                "no messenger for %s; approval card of post %s not sent", team.chat, post.id
            )
            return
        async with self._uow() as uow:
            members = await uow.teams.members(team.id)
        approvers = [
            m.label() for m in holders([m for m in members if m.active], Capability.APPROVE)
        ]
        reply = seal(cards.card(post, request, approvers, tz), post.profile_id, self._clock.now())
        try:
            ref = await messenger.send(team.chat, reply)
        except Exception:
            # The post waits either way; /posts → Open shows it, and the author can resubmit.
            log.exception("could not send the approval card of post %s", post.id)
            return
        async with self._uow() as uow:
            current = await uow.approvals.request(post.id)
            if current is not None and current.round == request.round:
                current.card = ref
                await uow.approvals.save_request(current)
                await uow.commit()
        request.card = ref

    async def _withdraw(self, uow: UnitOfWork, actor: Actor, post: Post) -> ApprovalRequest | None:
        """Take a post awaiting approval back to draft (the caller commits); its card goes
        stale. None when it has no open submission."""
        request = await uow.approvals.request(post.id)
        if request is None or request.status is not Status.PENDING:
            for target in post.targets.values():  # no round to close: a draft all the same
                if target.state is TargetState.AWAITING_APPROVAL:
                    target.move_to(TargetState.DRAFT)
            post.scheduled_at = None
            await uow.posts.save(post)
            return None
        now = self._clock.now()
        rounds.send_back(post, request, Status.WITHDRAWN, now)
        await uow.posts.save(post)
        await uow.approvals.save_request(request)
        await uow.approvals.add_review(
            Review(post.id, Kind.WITHDRAWN, now, actor.name, actor.identity, request.round)
        )
        return request

    async def _withdrawn(self, post: Post, request: ApprovalRequest) -> None:
        """After the withdrawal's commit: the card says so."""
        await settle_card(self._notifier, post, request, cards.outcome(Kind.WITHDRAWN, ""))
