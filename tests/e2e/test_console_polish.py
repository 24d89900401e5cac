"""What a newcomer sees in the sandbox console: /upgrade and /billing name the sandbox, the
media kit card is written to a file with its path shown, two exports keep two files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.test_console_and_cli import env, run_cli

__all__ = ["env"]  # the CLI's environment fixture, shared with the CLI tests


async def test_sandbox_plan_card_image_and_exports(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "newcomer.script"
    script.write_text(
        "/upgrade\n/billing\n/mediakit\n/post One\n/export\n/export\n/export json\n",
        encoding="utf-8",
    )
    assert await run_cli("console", "--script", str(script)) == 0
    out = capsys.readouterr().out
    sandbox = "This is the sandbox: every profile is Pro here, so there is nothing to pay."
    assert out.count(sandbox) == 2, out
    assert "Telegram Stars or Stripe configured" in out
    assert "operator" not in out and "already on Pro" not in out
    # The card is a file under var/, its path printed; no "chart" for what is not a chart.
    exports = tmp_path / "var" / "exports"
    (card,) = exports.glob("postroom-image-*.png")
    assert card.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert re.search(rf"\[image: {re.escape(str(card))}, [\d,]+ bytes PNG\]", out)
    assert "[chart:" not in out
    # Three exports in the same second: three files, none overwritten.
    assert len(list(exports.glob("postroom-export-*.csv"))) == 2
    assert len(list(exports.glob("postroom-export-*.json"))) == 1
