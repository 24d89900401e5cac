"""What the planning commands share: the composer they hand drafts to, and argument words."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.handlers import Actor
from core.model import MessageRef, Post, Profile
from core.ports import Also
from core.replies import Reply


class Composer(Protocol):
    """The composer's use cases the planning commands build on (`core.chat.Postroom`)."""

    async def new_draft(
        self, actor: Actor, profile: Profile, text: str, media: tuple[str, ...]
    ) -> Reply: ...

    async def working_draft(self, actor: Actor, profile: Profile) -> Post | None:
        """The draft the actor's commands without an id act on (core.chat.focus)."""
        ...

    async def schedule_draft(
        self,
        actor: Actor,
        profile: Profile,
        post_id: int,
        when: datetime,
        message: MessageRef | None,
        *,
        also: Also | None = None,
    ) -> Reply: ...
