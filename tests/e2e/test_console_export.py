"""The console has no attachments: an export is written under the var directory and its path
shown."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.e2e.test_console_and_cli import env, run_cli

__all__ = ["env"]  # the CLI's environment fixture, shared with the CLI tests


async def test_export_writes_the_file_under_var_and_shows_its_path(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "export.script"
    script.write_text(
        "/post @SUM(1+1)\n/export\n",
        encoding="utf-8",
    )
    assert await run_cli("console", "--script", str(script)) == 0
    out = capsys.readouterr().out
    exports = tmp_path / "var" / "exports"
    (written,) = exports.glob("postroom-export-*.csv")
    assert f"[file: {written}, " in out
    rows = list(csv.DictReader(io.StringIO(written.read_text("utf-8-sig"), newline="")))
    assert [r["text"] for r in rows] == ["'@SUM(1+1)"]
