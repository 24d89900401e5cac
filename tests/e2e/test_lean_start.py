"""What a started bot holds: nothing it does not use yet (memory: docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Loaded on first use only: charts (matplotlib, numpy: ~40 MB), migrations (Alembic, Mako:
# ~10 MB), Slack, and the PostgreSQL dialect when the database is SQLite.
HEAVY = (
    "matplotlib",
    "numpy",
    "PIL",
    "alembic",
    "mako",
    "slack_sdk",
    "slack_bolt",
    "sqlalchemy.dialects.postgresql",
)

START = """
import asyncio, json, sys
import bot.cli
from bot.schema import prepare_schema
from bot.settings import Settings
from bot.bootstrap import bootstrap

async def main():
    settings = Settings()
    services = bootstrap(settings)
    await prepare_schema(services.engine, settings.resolved_database_url)  # a first run
    await services.pipeline.step()
    await services.analytics.runner.tick()
    await services.analytics.sync.sweep()
    await services.aclose()

asyncio.run(main())
print(json.dumps([name for name in HEAVY if name in sys.modules]))
"""


def test_a_started_bot_has_not_loaded_charts_migrations_or_slack(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
    env["POSTROOM_HTTP_PORT"] = "0"
    done = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{START}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []
    assert (tmp_path / "var" / "postroom.db").is_file()  # the schema was made (in a child)
