"""Rows written as an older schema had them, for migration tests: raw SQL, since the models
describe the newest schema (targets have gained columns since, e.g. held_due_at)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def old_draft(
    engine: AsyncEngine, profile_id: int, body: str, now: datetime, chat: str
) -> int:
    """A Telegram draft to X through Ayrshare; returns its id."""
    async with engine.begin() as connection:
        result = await connection.execute(
            text(
                "INSERT INTO posts (profile_id, text, media, created_at, origin_platform, "
                "origin_chat, origin_workspace) VALUES (:me, :body, '[]', :now, 'telegram', "
                ":chat, '')"
            ),
            {"me": profile_id, "body": body, "now": now.replace(tzinfo=None), "chat": chat},
        )
        post_id = result.lastrowid
        assert isinstance(post_id, int)
        await connection.execute(
            text(
                "INSERT INTO targets (post_id, network, route, state, attempts, round) "
                "VALUES (:post, 'x', 'ayrshare', 'draft', 0, 0)"
            ),
            {"post": post_id},
        )
    return post_id


async def old_post_texts(engine: AsyncEngine, post_id: int) -> list[tuple[str, str]]:
    """(text, network) of each target of the post, read with no model."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT posts.text, targets.network FROM posts JOIN targets "
                "ON targets.post_id = posts.id WHERE posts.id = :id"
            ),
            {"id": post_id},
        )
        return [(str(a), str(b)) for a, b in rows.all()]
