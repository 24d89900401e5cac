"""Channels linked to a profile: the one-time link codes, the links and their storage port."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from core.model import Identity

CODE_TTL = timedelta(minutes=10)
# 12 random bytes as URL-safe base64: 16 characters of A-Z a-z 0-9 _ -, which Telegram
# keeps whole in a message and in a `/start` payload (https://core.telegram.org/bots/
# features#deep-linking: up to 64 of those characters).
CODE_BYTES = 12
CODE = re.compile(r"[A-Za-z0-9_-]{16}", re.ASCII)


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def digest(code: str) -> str:
    """What is stored of a code: its SHA-256, so a copy of the database links nothing."""
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LinkCode:
    """A code a profile's owner got in private, to post in a channel they administer."""

    digest: str
    profile_id: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChatLink:
    """A chat that speaks as itself (a channel) acting for a profile: its posts are the
    profile's, published with the profile's connections."""

    id: int
    identity: Identity  # the channel's own identity, as its posts arrive
    profile_id: int
    title: str
    linked_at: datetime


class LinkRepository(Protocol):
    async def add_code(self, code: LinkCode) -> None:
        """Store a new code; expired codes are dropped meanwhile."""
        ...

    async def code(self, code_digest: str) -> LinkCode | None: ...

    async def use_code(self, code_digest: str, now: datetime) -> bool:
        """Mark the code used, unless it is used or expired already (False): a code links
        once, even when two channels post it at the same moment."""
        ...

    async def link_of(self, identity: Identity) -> ChatLink | None: ...

    async def get(self, link_id: int) -> ChatLink | None: ...

    async def for_profile(self, profile_id: int) -> Sequence[ChatLink]:
        """The profile's links, oldest first."""
        ...

    async def add(self, link: ChatLink) -> ChatLink:
        """Store a link (its `id` is ignored); raises Conflict if the identity has one."""
        ...

    async def remove(self, link_id: int) -> None: ...
