"""Who acts in a chat, and the command and tap handlers use cases register with the entry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.commands import Command
from core.model import ChatRef, Identity, MessageRef, Profile
from core.replies import Reply

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


CommandHandler = Callable[["Actor", Profile, Command, tuple[str, ...]], Awaitable[Reply]]
TapHandler = Callable[["Actor", Profile, str, MessageRef | None], Awaitable[Reply]]


def refuse(message: str) -> Reply:
    """A tap that cannot do anything: answered with a short toast, the chat left as it is."""
    return Reply("", toast=message[:200])
