"""The console reads what it is given: a line that is not UTF-8 is refused alone, and replies
show commands to type as plain text."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.console.chat import ConsoleChat
from tests.e2e.conftest import BuildServices
from tests.e2e.test_console_and_cli import env, run_cli

__all__ = ["env"]  # the CLI's environment fixture, shared with the CLI tests

SKIPPED = "(skipped a line that is not UTF-8 text: byte 0xff at position 7; nothing was sent)"


async def test_a_script_line_that_is_not_utf8_is_refused_and_the_rest_runs(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "bytes.script"
    # "²" is no button number (int() refuses it), then a line that is not UTF-8.
    script.write_bytes("/start\n²\n".encode() + b"/post \xff\xfe broken\n/post\n/tier\n")
    assert await run_cli("console", "--script", str(script)) == 0
    out = capsys.readouterr().out
    assert SKIPPED in out
    assert "Empty post: write something after /post, e.g. /post Launch day! 🚀, or send" in out
    assert "You're on" in out.split(SKIPPED, 1)[1]  # /tier still ran
    assert "`" not in out and "\ufdd0" not in out and "\ufdd1" not in out


async def test_typed_input_that_is_not_utf8_is_refused_and_the_console_goes_on(
    make_services: BuildServices,
) -> None:
    services = await make_services()
    out = io.StringIO()
    chat = ConsoleChat(services.postroom, out=out)
    stdin = io.TextIOWrapper(io.BytesIO(b"/start\n/post \xff\xfe broken\n/timezone\n"), "utf-8")
    await chat.interact(stdin)  # returns at the end of input, not with a decoding error
    shown = out.getvalue()
    assert SKIPPED in shown
    assert "Your time zone is UTC. Change it with /timezone Europe/Berlin." in shown
    async with services.uow() as uow:
        assert await uow.posts.get(1) is None
