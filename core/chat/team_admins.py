"""Every team keeps an admin: role changes, removals, leaving and /forget are checked here."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import DomainError
from core.model import Identity
from core.ports import UnitOfWork
from core.replies import code
from core.roles import Role
from core.teams import Team, TeamMember


def _is_admin(member: TeamMember | None) -> bool:
    return member is not None and member.active and member.role is Role.ADMIN


def last_admin(member: TeamMember, team: Team) -> str:
    return (
        f"{member.label()} is {team.name}'s last admin: make someone else admin first "
        f"({code('/team role @user admin')})."
    )


async def save_keeping_an_admin(uow: UnitOfWork, team: Team, changed: TeamMember) -> None:
    """Store `changed`, refusing (and writing nothing) if the team would be left without an
    active admin. Two admins demoting each other at once must not both succeed: on
    PostgreSQL the team profile's row lock puts them one after the other; on SQLite, which
    has no row locks, the write comes first (taking the database's one write lock) and the
    count after it, so the second sees the first's change. The refusal leaves the unit of
    work uncommitted, so closing it rolls the write back; the caller commits otherwise."""
    await uow.profiles.lock(team.profile_id)
    before = await uow.teams.member(team.id, changed.identity)
    await uow.teams.save_member(changed)
    demoted = _is_admin(before) and not _is_admin(changed)
    if demoted and not any(_is_admin(m) for m in await uow.teams.members(team.id)):
        raise DomainError(last_admin(changed, team))


async def teams_left_without_admin(
    uow: UnitOfWork, identity: Identity, deleting: int | None = None
) -> Sequence[Team]:
    """The teams of which `identity` is the only active admin (what its /forget would orphan).
    A team whose own profile is `deleting` goes with it, so it is never left without one."""
    orphaned: list[Team] = []
    for team, member in await uow.teams.memberships(identity):
        if not _is_admin(member) or team.profile_id == deleting:
            continue
        others = [
            m for m in await uow.teams.members(team.id) if _is_admin(m) and m.identity != identity
        ]
        if not others:
            orphaned.append(team)
    return orphaned


def forget_refusal(teams: Sequence[Team]) -> str:
    names = ", ".join(t.name for t in teams[:3]) + (" …" if len(teams) > 3 else "")
    return (
        f"You are the last admin of {names}, and deleting your data would leave the team "
        f"with nobody to manage it. Make someone else admin there first "
        f"({code('/team role @user admin')} in the team's chat), then send /forget again."
    )
