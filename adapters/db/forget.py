"""Deleting a profile and every row kept for it, found from the tables' own foreign keys."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Delete, Table, Update, and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.slack_tables import SlackInstallationRow
from adapters.db.tables import Base, ProfileRow
from core.model import ChatPlatform, Identity


def owned_rows(profile_id: int) -> dict[Table, ColumnElement[bool]]:
    """Each table with rows that belong to the profile, and the condition that picks them: a
    row is the profile's when a foreign key of it points at a row that is (the profile, its
    posts, their measured items, …). Read from the metadata, so a table added later is
    covered as soon as its foreign key says whose rows it keeps. A foreign key ON DELETE SET
    NULL marks rows kept without their owner (`detached`), not the owner's."""
    profiles = ProfileRow.__table__
    assert isinstance(profiles, Table)
    owned: dict[Table, ColumnElement[bool]] = {profiles: profiles.c.id == profile_id}
    # Parents come before their children in `sorted_tables`: one pass sees every chain.
    for table in Base.metadata.sorted_tables:
        if table is profiles:
            continue
        links = [
            fk.parent.in_(select(fk.column).where(owned[fk.column.table]))
            for fk in table.foreign_keys
            if fk.column.table in owned and fk.ondelete != "SET NULL"
        ]
        if links:
            owned[table] = or_(*links)
    return owned


def detached(owned: dict[Table, ColumnElement[bool]]) -> list[Update]:
    """Rows that outlive their profile with the owner's id cleared (and the columns a table
    names in `info["cleared_on_forget"]`): payment events and charges already handled, so
    that one replayed later stays a no-op for any profile."""
    updates: list[Update] = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.ondelete == "SET NULL" and fk.column.table in owned:
                where = fk.parent.in_(select(fk.column).where(owned[fk.column.table]))
                cleared = {fk.parent.name: None, **table.info.get("cleared_on_forget", {})}
                updates.append(update(table).where(where).values(cleared))
    return updates


_IDENTITY = ("platform", "workspace", "user_id")


def _identity_rows(identities: Sequence[Identity]) -> list[Delete]:
    """Rows kept for a chat identity rather than a profile, in the columns `identities` names
    it with (platform, workspace, user_id): login states given to it, and any such table
    added later."""
    deletes: list[Delete] = []
    for table in Base.metadata.sorted_tables:
        if not all(name in table.c for name in _IDENTITY):
            continue
        for identity in identities:
            deletes.append(
                delete(table).where(
                    table.c.platform == identity.platform.value,
                    table.c.workspace == identity.workspace,
                    table.c.user_id == identity.user,
                )
            )
    return deletes


def _slack_user_rows(identities: Sequence[Identity]) -> list[Delete]:
    """A Slack user's own installation rows (their user token, if they granted one). The
    workspace's bot keeps its own row (slack_bots), so the app stays installed for the
    others (adapters.db.slack_installations)."""
    deletes: list[Delete] = []
    for identity in identities:
        if identity.platform is not ChatPlatform.SLACK:
            continue
        row = SlackInstallationRow
        where = row.user_id == identity.user
        # An org-wide (Enterprise Grid) install has no team id.
        place = or_(row.team_id == identity.workspace, row.team_id.is_(None))
        deletes.append(delete(row).where(and_(where, place)))
    return deletes


async def forget_profile(
    session: AsyncSession, profile_id: int, identities: Sequence[Identity]
) -> None:
    """Delete it all in the session's transaction: children first, so no foreign key (with or
    without ON DELETE CASCADE) ever points at a deleted row, on SQLite and PostgreSQL alike."""
    for statement in [*_identity_rows(identities), *_slack_user_rows(identities)]:
        await session.execute(statement)
    owned = owned_rows(profile_id)
    for kept in detached(owned):
        await session.execute(kept)
    for table in reversed(Base.metadata.sorted_tables):
        if table in owned:
            await session.execute(delete(table).where(owned[table]))
