"""The periodic pass that holds posts whose time came while they awaited approval."""

from __future__ import annotations

import logging

from core.approval_ports import Kind, Review, Status
from core.approvals import cards, rounds
from core.approvals.notices import settle_card, tell_author
from core.ports import Clock, UnitOfWorkFactory
from core.publishing.progress import ProgressNotifier
from core.states import PostState

log = logging.getLogger(__name__)

_BATCH = 50


class ApprovalExpiry:
    """An approval expires when the post's scheduled time passes undecided: the post is held
    as a draft (never sent late without asking, as after downtime), the card says so and the
    author is told, in the progress message and by a notice. Each post is settled under its
    lock, so two workers (or an approver's tap at that moment) settle it once."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, notifier: ProgressNotifier | None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._notifier = notifier

    async def run(self) -> int:
        """Hold every overdue submission; returns how many were held."""
        held = 0
        while True:
            now = self._clock.now()
            async with self._uow() as uow:
                due = await uow.approvals.expired(now, limit=_BATCH)
            for post_id in due:
                held += await self._hold(post_id)
            if len(due) < _BATCH:
                return held

    async def _hold(self, post_id: int) -> int:
        now = self._clock.now()
        async with self._uow() as uow:
            post = await uow.posts.lock(post_id)
            request = await uow.approvals.request(post_id)
            if post is None or request is None or request.status is not Status.PENDING:
                return 0
            if not rounds.overdue(request, now):
                return 0
            profile = await uow.profiles.get(post.profile_id)
            tz = profile.timezone if profile is not None else "UTC"
            if post.state is PostState.AWAITING_APPROVAL:
                rounds.send_back(post, request, Status.EXPIRED, now)
                await uow.posts.save(post)
            else:  # left awaiting by nothing we know of: just close the round
                request.status, request.decided_at = Status.EXPIRED, now
            await uow.approvals.save_request(request)
            await uow.approvals.add_review(Review(post.id, Kind.EXPIRED, now, round=request.round))
            await uow.commit()
        log.info("post %s: its approval expired at its time; held as a draft", post_id)
        line = cards.outcome(Kind.EXPIRED, "")
        await settle_card(self._notifier, post, request, line)
        await tell_author(self._notifier, post, request, line, tz)
        if self._notifier is not None:
            # The progress message is edited silently; a notice makes the author look.
            await self._notifier.notify(post, cards.expired_notice(post))
        return 1
