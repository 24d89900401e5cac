"""/forget from the console: a script asks, confirms with the button, and starts afresh."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.test_console_and_cli import env, run_cli

__all__ = ["env"]  # the CLI's environment fixture, shared with the CLI tests


async def test_a_console_script_forgets_its_user(
    env: str, engine: AsyncEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "forget.script"
    script.write_text(
        "/connect\n[Facebook]\n/post Ana's news\n/forget\n[Yes, delete everything]\n/status\n",
        encoding="utf-8",
    )
    assert await run_cli("console", "--script", str(script), "--keep-data", "--as", "ana") == 0
    out = capsys.readouterr().out
    assert "Delete all your data? This cannot be undone. What goes:" in out
    assert "• 1 post\n" in out and "• your connected networks: Facebook" in out
    assert "Done: your profile and everything Postroom kept for you are deleted." in out
    after = out.split("Done: your profile", 1)[1]
    assert "Facebook" in after and "not connected" in after  # /status: a fresh profile
    async with engine.connect() as conn:
        posts = (await conn.execute(text("SELECT count(*) FROM posts"))).scalar()
        profiles = (await conn.execute(text("SELECT id FROM profiles"))).scalars().all()
    assert posts == 0 and profiles == [2]  # the fresh one, with a number of its own
