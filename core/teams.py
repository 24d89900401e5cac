"""Team profiles: a group chat's shared profile, its members and roles, and their storage port.

A team is a profile like any other (connections, tier, provider account, posts), owned by a
chat: a Telegram group or a Slack channel. Its members are the chat's users, recorded as they
act there; their role decides what they may do with it (`core.roles`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.model import ChatPlatform, ChatRef, Identity
from core.roles import Role

MAX_NAME = 64


@dataclass(frozen=True, slots=True)
class Team:
    """A chat's team profile: `profile_id` owns its posts, connections and plan."""

    id: int
    profile_id: int
    chat: ChatRef  # where the team works (and where approvals are asked)
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TeamMember:
    """A chat user's place in a team. `left_at` is set once they leave or are removed: they are
    kept so that acting in the chat again does not make them a member anew; an admin adds
    them back by giving them a role."""

    team_id: int
    identity: Identity
    role: Role
    name: str = ""
    handle: str = ""  # Telegram @username, without the @
    joined_at: datetime | None = None
    left_at: datetime | None = None
    posting: bool = False  # their private chat posts as this team ("Posting as")

    @property
    def active(self) -> bool:
        return self.left_at is None

    def label(self) -> str:
        """How /team names them: @handle when there is one, else their name."""
        if self.handle:
            return f"@{self.handle}"
        return self.name or self.identity.user


class TeamRepository(Protocol):
    async def team_in_chat(self, chat: ChatRef) -> Team | None: ...

    async def team_of_profile(self, profile_id: int) -> Team | None:
        """The team whose profile it is; None for a personal profile."""
        ...

    async def team(self, team_id: int) -> Team | None: ...

    async def add_team(self, team: Team) -> Team:
        """Store a new team (its `id` is ignored); raises Conflict if the chat has one."""
        ...

    async def rename(self, team_id: int, name: str) -> None: ...

    async def move_chat(self, old: ChatRef, new: ChatRef) -> int:
        """The chat got a new id (a Telegram group became a supergroup): its team follows."""
        ...

    async def members(self, team_id: int) -> Sequence[TeamMember]:
        """Every member, those who left too, oldest first."""
        ...

    async def member(self, team_id: int, identity: Identity) -> TeamMember | None: ...

    async def save_member(self, member: TeamMember) -> None:
        """Insert or update the member (keyed by team and identity)."""
        ...

    async def memberships(self, identity: Identity) -> Sequence[tuple[Team, TeamMember]]:
        """The identity's teams, those they left too, oldest team first."""
        ...

    async def choose_posting(self, identity: Identity, team_id: int | None) -> None:
        """Post as `team_id` from the identity's private chat (None: their own profile)."""
        ...


class ChatAdmins(Protocol):
    """Asks a chat platform whether a user administers a chat (Telegram getChatMember; Slack
    users.info and the workspace's installer). Used when a team is created and when a member
    is first recorded, never afterwards: roles are Postroom's from then on."""

    async def is_admin(self, chat: ChatRef, identity: Identity) -> bool: ...


# Who `/team role` names: @username (Telegram, 5–32 letters, digits and _,
# https://core.telegram.org/bots/api#user), or a Slack mention as Slack escapes it in a command
# (<@U123ABC> or <@U123ABC|name>, https://api.slack.com/reference/surfaces/formatting#mentions).
_SLACK_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^>]{0,80})?>")
_HANDLE = re.compile(r"@?([A-Za-z0-9_.\-]{1,64})")


@dataclass(frozen=True, slots=True)
class Mention:
    """A member named in a command: by chat user id (a Slack mention) or by @handle."""

    user: str = ""
    handle: str = ""

    def matches(self, member: TeamMember) -> bool:
        if self.user:
            return member.identity.user == self.user
        # A typed @x is a handle only: a display name is anyone's to choose, so matching it
        # would let a stranger calling themselves "dan" take @dan's role.
        return bool(member.handle) and member.handle.lower() == self.handle.lower()

    def __str__(self) -> str:
        return f"<@{self.user}>" if self.user else f"@{self.handle}"


def read_mention(text: str, platform: ChatPlatform) -> Mention | None:
    """The member `text` names, or None when it names nobody we could look up."""
    text = text.strip()
    if platform is ChatPlatform.SLACK and (m := _SLACK_MENTION.fullmatch(text)):
        return Mention(user=m.group(1))
    m = _HANDLE.fullmatch(text)
    return Mention(handle=m.group(1)) if m else None


def clean_name(text: str, fallback: str) -> str:
    """A team name as shown in chat: control and format characters out, at most 64 long."""
    kept = "".join(c for c in text if unicodedata.category(c)[0] != "C" or c == " ")
    name = " ".join(kept.split())[:MAX_NAME].strip()
    return name or fallback[:MAX_NAME] or "Team"
