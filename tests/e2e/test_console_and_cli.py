"""The `postroom` command: the console demo script, operator commands and key rotation."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main

DEMO = Path(__file__).parents[2] / "examples" / "demo.script"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path, secret_spec: str) -> str:
    """Point the CLI at the migrated test database through its environment variables."""
    monkeypatch.setenv("POSTROOM_DATABASE_URL", db_url)
    monkeypatch.setenv("POSTROOM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("POSTROOM_SECRET_KEYS", secret_spec)
    for name in ("POSTROOM_AYRSHARE_API_KEY", "POSTROOM_SANDBOX_FAIL", "POSTROOM_DEFAULT_TIER"):
        monkeypatch.delenv(name, raising=False)
    return db_url


async def run_cli(*argv: str) -> int:
    # The CLI owns its event loop (asyncio.run); give it a thread of its own.
    return await asyncio.to_thread(main, list(argv))


async def test_demo_script_end_to_end(
    env: str, engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_cli("console", "--script", str(DEMO), "--keep-data") == 0
    out = capsys.readouterr().out
    assert "You're on Pro (sandbox)." in out
    assert "Connected: Facebook, TikTok, LinkedIn ✅" in out
    assert "— 2 of 3 published" in out
    assert re.search(r"TikTok +❌ TikTok rejected the post: video too short", out)
    assert "— 3 of 3 published" in out
    assert re.search(r"#1 .* · published ✅ 3 · “Launch day!", out)
    # README's transcript is what the demo prints: every line it shows, in order (ids, links
    # and dates vary from run to run, so those lines compare up to the first digit run).
    printed = iter(_stable(line) for line in out.splitlines())
    for shown in _readme_demo():
        assert any(line == _stable(shown) for line in printed), shown
    # The demo wrote through to the database: one post, three published targets.
    async with engine.connect() as conn:
        states = (await conn.execute(text("SELECT state FROM targets"))).scalars().all()
    assert sorted(states) == ["published"] * 3


def _readme_demo() -> list[str]:
    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    section = readme.split("## The console demo", 1)[1]
    block = section.split("```\n", 2)[1]
    return [line for line in block.splitlines() if line != "…"]


def _stable(line: str) -> str:
    return re.sub(r"(?<=/)[\w:@.-]*\d[\w:@.-]*|\b\d{1,2} Dec \d\d:\d\d", "N", line)


async def test_script_users_and_foreign_buttons(
    env: str, engine: AsyncEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "two.script"
    script.write_text(
        "/connect\n[Facebook]\n/post Ana's news\nas ben\n[Publish now]\n/cancel 1\n",
        encoding="utf-8",
    )
    assert await run_cli("console", "--script", str(script), "--keep-data", "--as", "ana") == 0
    out = capsys.readouterr().out
    assert "(now acting as ben)" in out
    assert out.count("Only the author can do that.") == 2


async def test_script_with_a_bad_setting_line_is_refused(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "bad.script"
    script.write_text("#!set database_url=sqlite://\n/start\n", encoding="utf-8")
    assert await run_cli("console", "--script", str(script)) == 2
    assert "use #!set NAME=VALUE" in capsys.readouterr().err


async def test_missing_script_file(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_cli("console", "--script", "/nonexistent/demo.script") == 2
    assert "cannot read" in capsys.readouterr().err


async def test_admin_tier_is_an_operator_grant(
    env: str,
    engine: AsyncEngine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("POSTROOM_DEFAULT_TIER", "free")
    script = tmp_path / "hello.script"
    script.write_text("/start\n", encoding="utf-8")
    assert await run_cli("console", "--script", str(script), "--keep-data", "--as", "ana") == 0
    capsys.readouterr()
    assert await run_cli("admin", "tier", "console:ana", "pro") == 0
    assert "is now Pro" in capsys.readouterr().out
    async with engine.connect() as conn:
        tier = (await conn.execute(text("SELECT tier FROM profiles"))).scalar_one()
        grant = (await conn.execute(text("SELECT ends_at, revoked_at FROM grants"))).one()
    assert (tier, tuple(grant)) == ("pro", (None, None))
    assert await run_cli("admin", "tier", "console:ana", "free") == 0
    assert "is now Free" in capsys.readouterr().out
    assert await run_cli("admin", "tier", "not-an-identity", "pro") == 2
    assert "identity must look like" in capsys.readouterr().err


async def test_keys_generate_and_rotate(
    env: str,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    secret_spec: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = tmp_path / "s.script"
    script.write_text("/connect\n", encoding="utf-8")  # creates the sandbox account key
    assert await run_cli("console", "--script", str(script), "--keep-data") == 0
    assert await run_cli("keys", "generate", "--id", "k2") == 0
    new_spec = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"k2:[A-Za-z0-9+/=_-]{43,44}", new_spec)
    monkeypatch.setenv("POSTROOM_SECRET_KEYS", f"{new_spec},{secret_spec}")
    assert await run_cli("keys", "rotate") == 0
    assert "re-encrypted 1 secret(s) with key k2" in capsys.readouterr().out
    async with engine.connect() as conn:
        token = (
            await conn.execute(text("SELECT key_ciphertext FROM provider_accounts"))
        ).scalar_one()
    assert token.startswith("v1.k2.")
    # The old key alone can no longer read it: a clear operator error, exit code 2.
    monkeypatch.setenv("POSTROOM_SECRET_KEYS", secret_spec)
    assert await run_cli("keys", "rotate") == 2
    assert "unknown key id 'k2'" in capsys.readouterr().err


async def test_bad_secret_keys_setting(
    env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POSTROOM_SECRET_KEYS", "k1:not-base64!")
    assert await run_cli("admin", "tier", "console:you", "pro") == 2
    err = capsys.readouterr().err
    assert "k1" in err and "not-base64" not in err


async def test_run_refuses_an_out_of_date_postgresql_database(
    env: str, engine: AsyncEngine, db_backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """On PostgreSQL, migrating is a deploy step (`postroom db upgrade`): the bot refuses an
    old schema instead of changing it behind the operator's back. (SQLite upgrades itself:
    tests/e2e/test_web_and_runtime.py.)"""
    if db_backend != "postgresql":
        pytest.skip("PostgreSQL only")
    async with engine.begin() as conn:
        head = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        await conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        assert await run_cli("run", "--no-console") == 2
        err = capsys.readouterr().err
        assert "the database is at revision 0001" in err
        assert "run `postroom db upgrade` first" in err
        assert await run_cli("db", "current") == 0
        assert capsys.readouterr().out.strip() == "0001"
    finally:
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head}
            )
