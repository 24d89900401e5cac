"""Who acts in a chat, and the command and tap handlers use cases register with the entry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from core.commands import Command
from core.errors import DomainError
from core.model import ChatKind, ChatRef, Identity, MessageRef, Post, Profile
from core.replies import Reply
from core.roles import Capability, Role, allows, refusal
from core.teams import Team

# Ids are 32-bit integer columns: larger numbers are not ours, and PostgreSQL would refuse them
# in a query (out of int4 range), so they are refused before touching storage.
MAX_POST_ID = 2**31 - 1
OOPS = "Something went wrong on our side and nothing was changed. Please try again in a minute."


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, and in which chat."""

    identity: Identity
    chat: ChatRef
    name: str = ""
    handle: str = ""  # the chat's @username for them (Telegram), so `/team role @x` finds them
    chat_title: str = ""  # a group's title: a new team's default name
    # Set by the entry when they act for a team profile: the team and their role in it. None:
    # their own profile, where they may do everything (`core.roles.allows`).
    team: Team | None = None
    role: Role | None = None


@dataclass(frozen=True, slots=True)
class Upload:
    """A file a user sent (a CSV to import), as the chat adapter downloaded it."""

    filename: str
    data: bytes = field(repr=False)
    mime: str = ""


CommandHandler = Callable[["Actor", Profile, Command, tuple[str, ...]], Awaitable[Reply]]
TapHandler = Callable[["Actor", Profile, str, MessageRef | None], Awaitable[Reply]]
UploadHandler = Callable[["Actor", Profile, Upload], Awaitable[Reply]]


def reach(actor: Actor, post_id: int, post: Post | None) -> Post | None:
    """`post` as `actor` may reach it from the chat they are in; the one origin rule every
    command and tap that takes a post id goes through.

    A group or channel reaches only the posts made in it: a linked channel acts with its
    owner's profile (`core.chat.linking`) but whoever posts there is not the owner, and a
    group member's private drafts are not the group's. A post made elsewhere is answered like
    one that does not exist, so nothing tells that it does. A private chat is the profile's
    owner: every chat's posts are theirs to act on (None when there is no such post)."""
    if actor.chat.private:
        return post
    if post is None or post.origin != actor.chat:
        raise DomainError(f"There is no post #{post_id} in this chat; /posts lists the ones here.")
    return post


def profile_wide(actor: Actor, what: str) -> None:
    """Refuse in a channel what reads or changes the whole profile (`what`, e.g. "your time
    zone"): a linked channel acts with its owner's profile, and anyone who can post in it
    would otherwise read the owner's numbers or change their settings."""
    if actor.chat.kind is ChatKind.CHANNEL:
        raise DomainError(
            f"Not in a channel: {what} — that is the whole profile's, and this channel only "
            "publishes with it. Send the command to me in a private chat."
        )


def require(actor: Actor, capability: Capability) -> None:
    """Refuse unless the actor's role holds `capability` (always true on their own profile):
    for a handler that does more than its command's or button's capability says."""
    if actor.role is not None and not allows(actor.role, capability):
        raise DomainError(refusal(actor.role, capability, actor.team.name if actor.team else ""))


def refuse(message: str) -> Reply:
    """A tap that cannot do anything: answered with a short toast, the chat left as it is."""
    return Reply("", toast=message[:200])


class TypedText(Protocol):
    """A use case that takes a user's next plain message (a reply being written), plugged in
    with `Postroom.add_typed`."""

    async def waiting(self, actor: Actor, profile: Profile) -> bool:
        """Whether the actor's next plain message in this chat is for this use case."""
        ...

    async def typed(self, actor: Actor, profile: Profile, text: str) -> Reply: ...

    async def interrupted(self, actor: Actor, profile: Profile, command: str) -> str | None:
        """A command came instead of the text: a note for its answer, if anything was
        waiting (and is now dropped)."""
        ...
