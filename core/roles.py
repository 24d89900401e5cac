"""Team roles, what each may do, and the one table of commands and actions to capabilities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Protocol, TypeVar

from core.actions import Action


class Role(StrEnum):
    """A member's role in a team; stored by value, so the values never change."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"

    @classmethod
    def parse(cls, text: str) -> Role | None:
        return _ROLE_NAMES.get(text.strip().lower())


_ROLE_NAMES = {r.value: r for r in Role} | {"admins": Role.ADMIN, "editors": Role.EDITOR}


class Capability(StrEnum):
    """What a command or a button does to a profile, as far as roles are concerned."""

    CONNECT = "connect"  # connect, disconnect, reconnect accounts; link channels
    MANAGE = "manage"  # members and roles, profile-wide settings (time zone, approvals)
    APPROVE = "approve"  # decide on a post that awaits approval
    BILLING = "billing"  # upgrade, billing, a plan's buttons
    COMPOSE = "compose"  # write, tick networks, publish, schedule, retry, cancel, delete
    VIEW = "view"  # posts, status, stats, reports, digests, help


ROLE_CAPABILITIES: Mapping[Role, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability),
    Role.EDITOR: frozenset({Capability.COMPOSE, Capability.VIEW}),
    Role.VIEWER: frozenset({Capability.VIEW}),
}

# The least role holding each capability, for the refusal ("needs an editor or admin").
_LEAST = {
    c: next(r for r in (Role.VIEWER, Role.EDITOR, Role.ADMIN) if c in ROLE_CAPABILITIES[r])
    for c in Capability
}

# Core's own commands. Plug-in commands declare theirs with `Postroom.add_command`.
COMMAND_CAPABILITY: Mapping[str, Capability] = {
    "start": Capability.VIEW,
    "help": Capability.VIEW,
    "connect": Capability.CONNECT,
    "status": Capability.VIEW,
    "disconnect": Capability.CONNECT,
    "forget": Capability.MANAGE,  # in a team chat it deletes the team profile
    "post": Capability.COMPOSE,
    "posts": Capability.VIEW,
    "schedule": Capability.COMPOSE,
    "cancel": Capability.COMPOSE,
    "delete": Capability.COMPOSE,
    "retry": Capability.COMPOSE,
    "tier": Capability.VIEW,
    "upgrade": Capability.BILLING,
    "billing": Capability.BILLING,
    "timezone": Capability.MANAGE,
    "link": Capability.CONNECT,
    "unlink": Capability.CONNECT,
    "team": Capability.VIEW,  # its changes (role, remove) ask for MANAGE themselves
    "approvals": Capability.MANAGE,
    "note": Capability.APPROVE,  # a reviewer's note (core.chat.approvals)
    "drafts": Capability.VIEW,
    "draft": Capability.COMPOSE,  # opens it: /schedule and /version then act on it
    "edit": Capability.COMPOSE,
    "version": Capability.COMPOSE,
}

# Every action of the table (core.actions); a test keeps it complete.
ACTION_CAPABILITY: Mapping[Action, Capability] = {
    Action.COMMAND: Capability.VIEW,  # go:<command> is checked again as that command
    Action.CONNECT: Capability.CONNECT,
    Action.LOCKED: Capability.VIEW,
    Action.TOGGLE: Capability.COMPOSE,
    Action.PUBLISH: Capability.COMPOSE,
    Action.SCHEDULE_MENU: Capability.COMPOSE,
    Action.SCHEDULE_AT: Capability.COMPOSE,
    Action.DISCARD: Capability.COMPOSE,
    Action.EDIT: Capability.COMPOSE,
    Action.OPEN: Capability.VIEW,
    Action.CANCEL: Capability.COMPOSE,
    Action.DELETE: Capability.COMPOSE,
    Action.DELETE_CONFIRMED: Capability.COMPOSE,
    Action.RETRY: Capability.COMPOSE,
    Action.PAGE: Capability.VIEW,
    Action.UNLINK: Capability.CONNECT,
    Action.DIGEST: Capability.VIEW,
    Action.DISCONNECT: Capability.CONNECT,
    Action.RECONNECT: Capability.CONNECT,
    Action.FORGET: Capability.MANAGE,
    Action.RENEW: Capability.BILLING,
    Action.POSTING_AS: Capability.VIEW,  # choosing where one's own posts go
    Action.IMPORT: Capability.COMPOSE,  # a CSV import's Import / Cancel
    Action.MEDIAKIT: Capability.MANAGE,  # a kit's page shows the profile's numbers publicly
    Action.APPROVE: Capability.APPROVE,
    Action.REQUEST_CHANGES: Capability.APPROVE,
    Action.REJECT: Capability.APPROVE,
    Action.QUEUE_ADD: Capability.COMPOSE,
    Action.QUEUE: Capability.COMPOSE,  # pause and resume ask for MANAGE themselves
    Action.TEMPLATE: Capability.COMPOSE,
    Action.DRAFTS: Capability.VIEW,
    Action.DRAFT_MENU: Capability.COMPOSE,
    Action.ASK_TEXT: Capability.COMPOSE,
    Action.ASK_MEDIA: Capability.COMPOSE,
    Action.NO_MEDIA: Capability.COMPOSE,
    Action.VERSION: Capability.COMPOSE,
    Action.VERSION_RESET: Capability.COMPOSE,
    # A comment on the profile's posts (core.engage): answering it speaks for the profile.
    Action.COMMENT_REPLY: Capability.COMPOSE,
    Action.COMMENT_HIDE: Capability.COMPOSE,
    Action.COMMENT_DONE: Capability.COMPOSE,
}

# What a plug-in command or tap needs when it does not say: only admins, so nothing new is
# open to every member of a team by accident. A personal profile may do everything anyway.
DEFAULT_CAPABILITY = Capability.MANAGE


def allows(role: Role | None, capability: Capability) -> bool:
    """Whether `role` may do it; None is a personal profile's owner, who may do everything."""
    return role is None or capability in ROLE_CAPABILITIES[role]


def refusal(role: Role, capability: Capability, team: str) -> str:
    """Why a member may not do it, short enough for a button's toast (≤ 200 characters)."""
    least = _LEAST[capability]
    who = "an admin" if least is Role.ADMIN else f"an {least.value} or admin"
    what = {
        Capability.CONNECT: "connect accounts",
        Capability.MANAGE: "manage the team",
        Capability.APPROVE: "approve posts",
        Capability.BILLING: "change the plan",
        Capability.COMPOSE: "compose or change posts",
        Capability.VIEW: "see this",
    }[capability]
    return f"You are {_article(role)} {role.value} of {team[:64]}: only {who} can {what}."


def _article(role: Role) -> str:
    return "an" if role.value[0] in "aeiou" else "a"


class HasRole(Protocol):
    @property
    def role(self) -> Role: ...


M = TypeVar("M", bound=HasRole)


def holders(members: Iterable[M], capability: Capability) -> list[M]:
    """The members whose role holds `capability` (e.g. the approvers), in the given order."""
    return [m for m in members if capability in ROLE_CAPABILITIES[m.role]]
