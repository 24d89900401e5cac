"""Keeps each post's one progress message current in the chat where the post was made."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from core import views
from core.model import ChatKind, ChatRef, MessageRef, Post
from core.ports import ChatUnreachable, Messenger, Messengers, UnitOfWorkFactory
from core.replies import Reply, seal
from core.states import PostState

log = logging.getLogger(__name__)

# Told of a post whose outcome or schedule changed (a front end keeping a page of the
# author's posts current, like Slack's App Home); it must return quickly.
PostWatcher = Callable[[Post], Awaitable[None]]
# What the pipeline ends a post in: a watcher hears of these, not of each step on the way.
OUTCOMES = frozenset({PostState.PUBLISHED, PostState.PARTIAL, PostState.FAILED})


async def send_for_post(
    messenger: Messenger, uow: UnitOfWorkFactory, post: Post, reply: Reply
) -> MessageRef:
    """Into the chat where the post was made; when the bot may not write there (a Slack
    channel it is not in), into the author's private chat, so that progress and Retry are
    still seen. The message sent there is the post's progress message from then on."""
    try:
        return await messenger.send(post.origin, reply)
    except ChatUnreachable:
        if post.origin.private:
            raise
        dm = await _author_chat(uow, post)
        if dm is None:
            raise
        log.info("post %s: its chat refuses the bot; shown in the author's DM", post.id)
        return await messenger.send(dm, reply)


async def _author_chat(uow: UnitOfWorkFactory, post: Post) -> ChatRef | None:
    async with uow() as work:
        identities = await work.profiles.identities(post.profile_id)
    origin = post.origin
    for identity in identities:
        if identity.platform is origin.platform and identity.workspace == origin.workspace:
            return ChatRef(identity.platform, identity.user, identity.workspace, ChatKind.PRIVATE)
    return None


class ProgressNotifier:
    def __init__(self, uow: UnitOfWorkFactory, messengers: Messengers) -> None:
        self._uow = uow
        self._messengers = messengers
        self._watchers: list[PostWatcher] = []

    @property
    def messengers(self) -> Messengers:
        return self._messengers

    def watch(self, watcher: PostWatcher) -> None:
        """Have `watcher` told of every post `changed` reports, from any use case."""
        self._watchers.append(watcher)

    async def changed(self, post: Post) -> None:
        """A post reached an outcome (the pipeline) or was changed from a chat (cancelled,
        deleted, retried): each watcher is told; one that fails never stops the caller."""
        for watcher in self._watchers:
            try:
                await watcher(post)
            except Exception:
                log.exception("a watcher of post %s failed", post.id)

    async def show(self, post: Post, *, store: bool = True, reply: Reply | None = None) -> None:
        """Edit the post's progress message, or send it (and remember it) the first time.

        `store=False` only sets `post.progress`: the caller saves it with its next write (the
        pipeline, which writes the post again as soon as the request is answered). `reply`
        replaces the usual view (the last word on a deleted post).
        """
        messenger = self._messengers.get(post.origin.platform)
        if messenger is None:
            log.warning("no messenger for %s; post %s progress not shown", post.origin, post.id)
            return
        # Bound to the author as of the post's creation: the moment its buttons refer to.
        reply = seal(reply or views.progress(post), post.profile_id, post.created_at)
        try:
            if post.progress is not None:
                await messenger.edit(post.progress, reply)
                return
            ref = await send_for_post(messenger, self._uow, post, reply)
        except Exception:
            # The chat is only a view of the post's state: a failed edit never stops publishing.
            log.exception("could not show progress of post %s", post.id)
            return
        if not store:
            post.progress = ref
            return
        async with self._uow() as uow:
            stored = await uow.posts.get(post.id)
            if stored is not None and stored.progress is None:
                stored.progress = ref
                await uow.posts.save(stored)
                await uow.commit()
        post.progress = ref

    async def notify(self, post: Post, reply: Reply) -> None:
        """Send a separate message into the chat where the post was made (a final failure, a
        post held back): unlike the progress message, it notifies the author."""
        messenger = self._messengers.get(post.origin.platform)
        if messenger is None:
            log.warning("no messenger for %s; notice about post %s not sent", post.origin, post.id)
            return
        try:
            sealed = seal(reply, post.profile_id, post.created_at)
            await send_for_post(messenger, self._uow, post, sealed)
        except Exception:
            log.exception("could not send a notice about post %s", post.id)
