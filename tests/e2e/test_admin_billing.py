"""`postroom admin grant | revoke | show`: the operator's support commands on a plan."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path, secret_spec: str) -> str:
    monkeypatch.setenv("POSTROOM_DATABASE_URL", db_url)
    monkeypatch.setenv("POSTROOM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("POSTROOM_SECRET_KEYS", secret_spec)
    monkeypatch.setenv("POSTROOM_DEFAULT_TIER", "free")  # the sandbox would make everyone Pro
    for name in ("POSTROOM_AYRSHARE_API_KEY", "POSTROOM_SANDBOX_FAIL"):
        monkeypatch.delenv(name, raising=False)
    return db_url


async def run_cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def say_hello(tmp_path: Path, user: str) -> None:
    """The user writes to the bot once: their profile exists from then on."""
    script = tmp_path / f"{user}.script"
    script.write_text("/start\n", encoding="utf-8")
    assert await run_cli("console", "--script", str(script), "--keep-data", "--as", user) == 0


async def rows(engine: AsyncEngine, sql: str) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(sql))).all()]


async def test_grant_show_revoke(
    env: str, engine: AsyncEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await say_hello(tmp_path, "ana")
    capsys.readouterr()
    assert await run_cli("admin", "grant", "console:ana", "pro", "--days", "30") == 0
    out = capsys.readouterr().out
    assert "is now Pro until" in out
    assert await rows(engine, "SELECT tier FROM profiles") == [("pro",)]

    assert await run_cli("admin", "show", "console:ana") == 0
    shown = dict(line.split(": ", 1) for line in capsys.readouterr().out.strip().splitlines())
    assert shown["plan"] == "pro" and shown["provider"] == "operator"
    assert shown["ends"] != "-" and shown["renews"] == "-"
    assert shown["posts this month"] == "0 of 1000"
    assert shown["grant 1"].endswith("(running)")

    assert await run_cli("admin", "revoke", "console:ana") == 0
    assert "is now Free" in capsys.readouterr().out
    assert await rows(engine, "SELECT tier FROM profiles") == [("free",)]
    assert await run_cli("admin", "show", "console:ana") == 0
    out = capsys.readouterr().out
    assert "plan: free" in out and "(revoked)" in out and "posts this month: 0 of 30" in out
    # Revoking again: nothing left to end, still Free, not an error.
    assert await run_cli("admin", "revoke", "console:ana") == 0
    assert "is now Free" in capsys.readouterr().out


async def test_unknown_identity_changes_nothing(
    env: str, engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ("grant", "telegram:999", "pro", "--days", "3"),
        ("revoke", "telegram:999"),
        ("show", "telegram:999"),
        ("tier", "telegram:999", "pro"),
    ):
        assert await run_cli("admin", *argv) == 1
        assert "no profile for telegram:999" in capsys.readouterr().err
    # No profile was created on the way, no grant stored.
    assert await rows(engine, "SELECT count(*) FROM profiles") == [(0,)]
    assert await rows(engine, "SELECT count(*) FROM grants") == [(0,)]


async def test_bad_grants_are_refused(
    env: str, engine: AsyncEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await say_hello(tmp_path, "ana")
    capsys.readouterr()
    assert await run_cli("admin", "grant", "console:ana", "pro", "--days", "0") == 1
    assert "--days must be between 1 and 3660" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: not a number, not a tier
        main(["admin", "grant", "console:ana", "pro", "--days", "many"])
    with pytest.raises(SystemExit):
        main(["admin", "grant", "console:ana", "free"])
    assert await run_cli("admin", "grant", "nobody", "pro") == 2
    assert "identity must look like" in capsys.readouterr().err
    assert await rows(engine, "SELECT count(*) FROM grants") == [(0,)]
    assert await rows(engine, "SELECT tier FROM profiles") == [("free",)]
