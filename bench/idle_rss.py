"""Benchmark: idle resident memory of `postroom run` (sandbox + Telegram long polling), and of
a bare python-telegram-bot bot for reference.

Each bot is a real process started in a fresh directory (the SQLite default, its schema made at
start) against the test suite's fake Bot API on 127.0.0.1. Once it polls, it is left alone for
`--settle` seconds; then VmRSS is read from /proc/<pid>/status every second for `--samples`
seconds and the largest value is reported. `python bench/idle_rss.py [--settle S]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.support.bot_process import BotProcess, free_port, rss_mib, served  # noqa: E402
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI  # noqa: E402

TARGET_MIB = 90.0


async def _started(fake: FakeTelegramAPI, bot: BotProcess, within: float = 60.0) -> None:
    """Until the bot has set up its Telegram front end (the bare bot: at once)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        bot.check_alive()
        if (fake.calls_to("getMe") and fake.calls_to("setMyCommands")) or _bare(bot):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the bot did not start polling")


def _bare(bot: BotProcess) -> bool:
    return "bare_bot" in " ".join(bot.argv)


async def measure(name: str, argv: list[str], settle: float, samples: int) -> dict[str, object]:
    fake = FakeTelegramAPI()
    async with served(fake) as api_port:
        api = f"http://127.0.0.1:{api_port}/bot"
        web = free_port()
        env = {
            "POSTROOM_TELEGRAM_TOKEN": TOKEN,
            "POSTROOM_TELEGRAM_API_URL": api,
            "POSTROOM_HTTP_PORT": str(web),
            "BARE_TOKEN": TOKEN,
            "BARE_API_URL": api,
        }
        with tempfile.TemporaryDirectory(prefix="postroom-rss-") as tmp:
            bot = BotProcess(env, Path(tmp), argv)
            await bot.start()
            try:
                if not _bare(bot):
                    await bot.wait_healthy(web)
                await _started(fake, bot)
                await asyncio.sleep(settle)
                peak = 0.0
                for _ in range(samples):
                    bot.check_alive()
                    peak = max(peak, rss_mib(bot.pid))
                    await asyncio.sleep(1.0)
                log_lines = len(bot.stderr().splitlines())
            finally:
                await bot.stop()
    return {"bot": name, "idle_rss_mib": round(peak, 1), "stderr_lines": log_lines}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds idle before sampling")
    parser.add_argument("--samples", type=int, default=3, help="one VmRSS reading per second")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the interpreter to run the bots with, e.g. one of a venv holding only the "
        "runtime dependencies (default: this one)",
    )
    args = parser.parse_args()
    postroom = [args.python, "-m", "bot.cli", "run", "--no-console"]
    bare = [args.python, str(ROOT / "bench" / "support" / "bare_bot.py")]
    rows = [
        await measure("postroom run (sandbox + Telegram)", postroom, args.settle, args.samples),
        await measure("bare python-telegram-bot", bare, args.settle, args.samples),
    ]
    for row in rows:
        print(json.dumps(row))
    print("| bot | idle RSS | target | log lines while idle |")
    print("|---|---:|---:|---:|")
    for row in rows:
        target = f"≤ {TARGET_MIB:.0f} MiB" if row["bot"].startswith("postroom") else "—"
        print(f"| {row['bot']} | {row['idle_rss_mib']} MiB | {target} | {row['stderr_lines']} |")


if __name__ == "__main__":
    asyncio.run(main())
