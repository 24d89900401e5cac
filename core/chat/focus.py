"""Which draft a chat user works on: the one they opened there, else the latest made there."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.chat_ports import Awaiting, DraftFocus
from core.errors import DomainError
from core.handlers import Actor, reach
from core.model import Network, Post, Profile
from core.ports import UnitOfWork
from core.states import PostState

# How long a button's "send it as your next message" waits for that message.
AWAIT_FOR = timedelta(minutes=10)


async def opened_draft(uow: UnitOfWork, actor: Actor, profile: Profile) -> Post | None:
    """The draft `actor` opened or composed in this chat, while it is still a draft. In a
    private chat a post made there since (by another way in, e.g. an import) is what they
    work on then; in a shared chat a team mate's post never takes their focus."""
    focus = await uow.drafts.get(profile.id, actor.identity, actor.chat)
    if focus is None:
        return None
    if actor.chat.private:
        recent = await uow.posts.recent(profile.id, origin=actor.chat, limit=1)
        if recent and recent[0].id > focus.newest:
            return None
    post = await uow.posts.get(focus.post_id)
    if post is None or post.profile_id != profile.id or post.state is not PostState.DRAFT:
        return None
    try:
        return reach(actor, post.id, post)
    except DomainError:
        return None


async def working_draft(uow: UnitOfWork, actor: Actor, profile: Profile) -> Post | None:
    """The draft a command without a post id acts on: the opened one, else (in a private
    chat, where every post is theirs) the latest. Posts record no author, so in a shared chat
    only the user's own focus says which draft is theirs: none, and they name a #id."""
    opened = await opened_draft(uow, actor, profile)
    if opened is not None or not actor.chat.private:
        return opened
    return await uow.posts.latest_draft(profile.id, origin=actor.chat)


async def own_recent(
    uow: UnitOfWork, actor: Actor, profile: Profile, recent: list[Post]
) -> list[Post]:
    """Of the chat's recent posts, those a command without an id may pick for `actor`: all
    in a private chat; in a shared chat only the one they last composed or opened there."""
    if actor.chat.private:
        return recent
    focus = await uow.drafts.get(profile.id, actor.identity, actor.chat)
    return [p for p in recent if focus is not None and p.id == focus.post_id]


async def focus_on(
    uow: UnitOfWork,
    actor: Actor,
    profile: Profile,
    post: Post,
    *,
    awaiting: Awaiting | None = None,
    network: Network | None = None,
    now: datetime | None = None,
) -> None:
    """Open `post` in this chat (in `uow`), waiting for the next message when `awaiting`."""
    recent = await uow.posts.recent(profile.id, origin=actor.chat, limit=1)
    newest = max(post.id, recent[0].id if recent else 0)
    until = None if awaiting is None or now is None else now + AWAIT_FOR
    focus = DraftFocus(post.id, newest, awaiting, network if awaiting else None, until)
    await uow.drafts.put(profile.id, actor.identity, actor.chat, focus)
