"""Durable progress messages: a change marks its post in its own transaction, any process
renders the mark, and the mark is cleared only once the chat shows that version."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import timedelta

from core import views
from core.model import MessageRef, Post
from core.ports import Clock, Messengers, UnitOfWork, UnitOfWorkFactory
from core.publishing.progress import OUTCOMES, PostWatcher, send_for_post
from core.replies import seal

log = logging.getLogger(__name__)

# Messages sent by this process, remembered until their post's row surely has them.
_KEEP_SENT = 4096

Marked = tuple[Post, int]  # a post as committed, and the version of its mark this worker holds


class ProgressOutbox:
    """Keeps each post's progress message current across processes and crashes.

    The pipeline calls `mark()` inside the transaction that changes a post and `kick()`
    after it commits; this worker renders what it holds at once, one render at a time per
    post, and clears the mark only if no newer version came meanwhile (else it renders
    again). Marks a dead worker held are taken by any process's `resume()` once their short
    lease runs out; a failed render is retried later, and dropped after `max_attempts`.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        messengers: Messengers,
        clock: Clock,
        *,
        worker: str,
        lease: timedelta,
        retry_after: timedelta = timedelta(seconds=5),
        max_attempts: int = 5,
        batch: int = 32,
        changed: PostWatcher | None = None,
    ) -> None:
        self._uow = uow
        self._changed = changed  # told of each outcome shown (ProgressNotifier.changed)
        self._messengers = messengers
        self._clock = clock
        self._worker = worker
        self._lease = lease
        self._retry_after = retry_after
        self._max_attempts = max_attempts
        self._batch = batch
        self._next: dict[int, tuple[Post, int, int]] = {}  # to render: post, version, attempts
        self._rendering: dict[int, asyncio.Task[None]] = {}
        self._sent: dict[int, MessageRef] = {}

    @property
    def rendering(self) -> list[int]:
        """Posts whose marks this worker is rendering (the heartbeat renews their leases)."""
        return list(self._rendering)

    async def mark(self, uow: UnitOfWork, posts: Iterable[Post]) -> list[Marked]:
        """In the caller's transaction: these posts' messages must show their new state.
        Returns those this worker holds, to `kick()` once the transaction has committed."""
        by_id = {post.id: post for post in posts}
        if not by_id:
            return []
        now = self._clock.now()
        held = await uow.progress.mark(
            by_id, worker=self._worker, now=now, lease_until=now + self._lease
        )
        return [(post, held[post_id]) for post_id, post in by_id.items() if post_id in held]

    def kick(self, marked: Iterable[Marked]) -> None:
        for post, version in marked:
            self._queue(post, version, 0)

    async def resume(self) -> int:
        """Take due marks nobody holds, a dead worker's among them, and render them."""
        now = self._clock.now()
        found: list[tuple[Post, int, int]] = []
        async with self._uow() as uow:
            marks = await uow.progress.claim(
                now, worker=self._worker, lease_until=now + self._lease, limit=self._batch
            )
            for mark in marks:
                post = await uow.posts.get(mark.post_id)
                if post is not None:
                    found.append((post, mark.version, mark.attempts))
            if marks:
                await uow.commit()
        for post, version, attempts in found:
            self._queue(post, version, attempts)
        return len(marks)

    async def drain(self) -> None:
        while self._rendering:
            await asyncio.gather(*self._rendering.values(), return_exceptions=True)

    async def release(self) -> int:
        """Free this worker's leases (on stop, or at start for a previous process with the
        same worker id), so any process renders those marks at once."""
        async with self._uow() as uow:
            freed = await uow.progress.release(self._worker)
            await uow.commit()
        return freed

    def _queue(self, post: Post, version: int, attempts: int) -> None:
        known = self._next.get(post.id)
        if known is None or known[1] <= version:
            self._next[post.id] = (post, version, attempts)
        if post.id not in self._rendering:
            task = asyncio.get_running_loop().create_task(self._render(post.id))
            self._rendering[post.id] = task
            task.add_done_callback(self._rendered)

    def _rendered(self, task: asyncio.Task[None]) -> None:
        for post_id, running in list(self._rendering.items()):
            if running is task:
                del self._rendering[post_id]

    async def _render(self, post_id: int) -> None:
        try:
            while True:
                job = self._next.pop(post_id, None) or await self._reload(post_id)
                if job is None:
                    return  # cleared, or another worker holds it now
                if not await self._render_once(*job):
                    return
        except Exception:
            # The lease runs out and the mark is rendered again, here or elsewhere.
            log.exception("rendering the progress of post %s failed", post_id)

    async def _render_once(self, post: Post, version: int, attempts: int) -> bool:
        """Show one version; True when there is more to render."""
        shown, ok = await self._show(post)
        if shown is not None:
            self._sent[post.id] = shown
            while len(self._sent) > _KEEP_SENT:
                del self._sent[next(iter(self._sent))]
        async with self._uow() as uow:
            if ok:
                cleared = await uow.progress.done(
                    post.id, version, worker=self._worker, shown=shown
                )
            elif attempts + 1 >= self._max_attempts:
                log.warning("gave up showing the progress of post %s", post.id)
                await uow.progress.drop(post.id, worker=self._worker)
                cleared = True
            else:
                due = self._clock.now() + self._retry_after * 2**attempts
                await uow.progress.retry(post.id, worker=self._worker, due_at=due)
                self._next.pop(post.id, None)  # a newer version waits for the retry too
                await uow.commit()
                return False
            await uow.commit()
        if self._changed is not None and post.state in OUTCOMES:
            await self._changed(post)
        # Not cleared: a newer version came (render it) or another worker took the mark.
        return not cleared or post.id in self._next

    async def _reload(self, post_id: int) -> tuple[Post, int, int] | None:
        async with self._uow() as uow:
            mark = await uow.progress.held(post_id, worker=self._worker)
            post = None if mark is None else await uow.posts.get(post_id)
        if mark is None or post is None:
            return None
        return post, mark.version, mark.attempts

    async def _show(self, post: Post) -> tuple[MessageRef | None, bool]:
        """Edit the post's progress message, or send the first one: (message sent, shown)."""
        messenger = self._messengers.get(post.origin.platform)
        if messenger is None:
            log.warning("no messenger for %s; post %s progress not shown", post.origin, post.id)
            return None, True
        # Bound to the author as of the post's creation, as ProgressNotifier does.
        reply = seal(views.progress(post), post.profile_id, post.created_at)
        message = post.progress or self._sent.get(post.id)
        try:
            if message is not None:
                await messenger.edit(message, reply)
                return None, True
            return await send_for_post(messenger, self._uow, post, reply), True
        except Exception as e:
            # The chat is only a view of the post's state: a failed edit never stops publishing.
            log.warning("could not show the progress of post %s: %s", post.id, e)
            return None, False
