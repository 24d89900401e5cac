"""SQL storage of team profiles and their members."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.team_tables import TeamMemberRow, TeamRow
from core.errors import Conflict
from core.model import ChatKind, ChatPlatform, ChatRef, Identity
from core.roles import Role
from core.teams import Team, TeamMember

_FRESH = {"populate_existing": True}


def _team(row: TeamRow) -> Team:
    chat = ChatRef(ChatPlatform(row.platform), row.chat, row.workspace, ChatKind.SHARED)
    return Team(row.id, row.profile_id, chat, row.name, row.created_at)


def _member(row: TeamMemberRow) -> TeamMember:
    return TeamMember(
        row.team_id,
        Identity(ChatPlatform(row.platform), row.user_id, row.workspace),
        Role(row.role),
        name=row.name,
        handle=row.handle,
        joined_at=row.joined_at,
        left_at=row.left_at,
        posting=row.posting,
    )


def _of(identity: Identity) -> ColumnElement[bool]:
    return and_(
        TeamMemberRow.platform == identity.platform.value,
        TeamMemberRow.workspace == identity.workspace,
        TeamMemberRow.user_id == identity.user,
    )


class SqlTeamRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def team_in_chat(self, chat: ChatRef) -> Team | None:
        row = (
            await self._session.scalars(
                select(TeamRow)
                .where(
                    TeamRow.platform == chat.platform.value,
                    TeamRow.workspace == chat.workspace,
                    TeamRow.chat == chat.chat,
                )
                .execution_options(**_FRESH)
            )
        ).first()
        return None if row is None else _team(row)

    async def team_of_profile(self, profile_id: int) -> Team | None:
        row = (
            await self._session.scalars(
                select(TeamRow).where(TeamRow.profile_id == profile_id).execution_options(**_FRESH)
            )
        ).first()
        return None if row is None else _team(row)

    async def team(self, team_id: int) -> Team | None:
        row = await self._session.get(TeamRow, team_id, populate_existing=True)
        return None if row is None else _team(row)

    async def add_team(self, team: Team) -> Team:
        row = TeamRow(
            profile_id=team.profile_id,
            platform=team.chat.platform.value,
            workspace=team.chat.workspace,
            chat=team.chat.chat,
            name=team.name,
            created_at=team.created_at,
        )
        self._session.add(row)
        try:
            await self._session.flush()
        except IntegrityError as e:
            raise Conflict(f"chat {team.chat.chat} has a team already") from e
        return _team(row)

    async def rename(self, team_id: int, name: str) -> None:
        await self._session.execute(
            update(TeamRow)
            .where(TeamRow.id == team_id)
            .values(name=name)
            .execution_options(synchronize_session=False)
        )

    async def move_chat(self, old: ChatRef, new: ChatRef) -> int:
        result = await self._session.execute(
            update(TeamRow)
            .where(
                TeamRow.platform == old.platform.value,
                TeamRow.workspace == old.workspace,
                TeamRow.chat == old.chat,
            )
            .values(chat=new.chat)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def members(self, team_id: int) -> Sequence[TeamMember]:
        rows = await self._session.scalars(
            select(TeamMemberRow)
            .where(TeamMemberRow.team_id == team_id)
            .order_by(TeamMemberRow.joined_at, TeamMemberRow.user_id)
            .execution_options(**_FRESH)
        )
        return [_member(r) for r in rows]

    async def member(self, team_id: int, identity: Identity) -> TeamMember | None:
        key = (team_id, identity.platform.value, identity.workspace, identity.user)
        row = await self._session.get(TeamMemberRow, key, populate_existing=True)
        return None if row is None else _member(row)

    async def save_member(self, member: TeamMember) -> None:
        identity = member.identity
        key = (member.team_id, identity.platform.value, identity.workspace, identity.user)
        row = await self._session.get(TeamMemberRow, key, populate_existing=True)
        if row is None:
            row = TeamMemberRow(
                team_id=member.team_id,
                platform=identity.platform.value,
                workspace=identity.workspace,
                user_id=identity.user,
            )
            self._session.add(row)
        row.role = member.role.value
        row.name = member.name[:128]
        row.handle = member.handle[:64]
        row.joined_at = member.joined_at or row.joined_at
        row.left_at = member.left_at
        row.posting = member.posting
        try:
            await self._session.flush()
        except IntegrityError as e:  # recorded by a concurrent update meanwhile
            raise Conflict(f"member {identity} of team {member.team_id} exists") from e

    async def memberships(self, identity: Identity) -> Sequence[tuple[Team, TeamMember]]:
        rows = await self._session.execute(
            select(TeamRow, TeamMemberRow)
            .join(TeamMemberRow, TeamMemberRow.team_id == TeamRow.id)
            .where(_of(identity))
            .order_by(TeamRow.id)
            .execution_options(**_FRESH)
        )
        return [(_team(t), _member(m)) for t, m in rows]

    async def choose_posting(self, identity: Identity, team_id: int | None) -> None:
        await self._session.execute(
            update(TeamMemberRow)
            .where(_of(identity))
            .values(posting=TeamMemberRow.team_id == team_id if team_id is not None else False)
            .execution_options(synchronize_session=False)
        )
