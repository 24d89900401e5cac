"""Benchmark: Slack's ack latency under 50 concurrent slash commands, and a digest wave to 500
channels within Slack's per-channel pace.

(1) A real `postroom run` process (HTTP mode, SQLite) against the fake Slack Web API on
127.0.0.1; N signed `/postroom status` commands from N users (each in a channel of their own)
at once to POST /slack/events over TCP; the latency of each HTTP answer (bolt's ack; the work
runs after it) is measured, and the time until every answer reached the fake. Slack
waits 3 s for an ack (https://api.slack.com/interactivity/handling#acknowledgment_response);
the target is 100 ms at p99.

(2) Digests with a chart to C channels through the real SlackMessenger (bot.slack's client with
its 429 retry handler and ChannelPace), R digests per channel, 64 at a time as the digest
runner sends them. Each digest is a message and a chart shared with files_upload_v2: two posts
per channel. The fake enforces Slack's pace (one post per second per channel, a burst of 3,
https://api.slack.com/apis/rate-limits#special) with 429 Retry-After. "Share of the allowed
pace" is the posts made over the most the fake would have taken in the same time
(C × (burst + seconds)).

`python bench/slack.py [--commands N] [--channels C] [--rounds R]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from adapters.slack.limiter import ChannelPace  # noqa: E402
from bench.support.bot_process import BotProcess, free_port  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack import EVENTS_PATH, slack_messenger  # noqa: E402
from core.model import ChatKind, ChatPlatform, ChatRef  # noqa: E402
from core.replies import Field, Reply  # noqa: E402
from tests.fakes.slack_api import BOT_TOKEN, TEAM, FakeSlackAPI, SlackPace  # noqa: E402
from tests.slack.driver import SIGNING_SECRET, signed  # noqa: E402

ACK_TARGET_MS = 100.0
CONCURRENCY = 64  # core.digests.delivery.DigestConfig.concurrency
# A real PNG's first bytes and a chart-sized body (the LineCharts PNGs are ~20-40 kB).
PNG = b"\x89PNG\r\n\x1a\n" + bytes(30_000)


def command_body(fake: FakeSlackAPI, n: int) -> str:
    return urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": TEAM,
            "team_domain": "acme",
            # Its own channel: a status with buttons is posted in the channel, and one
            # channel's posts are paced at one per second.
            "channel_id": f"C0B{n:04d}",
            "channel_name": "general",
            "user_id": f"U0B{n:04d}",
            "user_name": f"user{n}",
            "command": "/postroom",
            "text": "status",
            "api_app_id": "A0POSTROOM",
            "response_url": fake.hook(f"cmd{n}"),
            "trigger_id": f"{n}.1111.bench",
        }
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def acks(commands: int) -> dict[str, object]:
    fake = FakeSlackAPI()
    await fake.start()
    web = free_port()
    env = {
        "POSTROOM_SLACK_BOT_TOKEN": BOT_TOKEN,
        "POSTROOM_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "POSTROOM_SLACK_API_URL": fake.api_url,
        "POSTROOM_HTTP_PORT": str(web),
    }
    try:
        with tempfile.TemporaryDirectory(prefix="postroom-slack-") as tmp:
            bot = BotProcess(env, Path(tmp))
            await bot.start()
            try:
                await bot.wait_healthy(web)
                url = f"http://127.0.0.1:{web}{EVENTS_PATH}"
                limits = httpx.Limits(max_connections=commands)
                async with httpx.AsyncClient(limits=limits, timeout=30) as client:
                    # One warm-up request (imports, the first database connection).
                    await _timed(client, url, command_body(fake, 0))
                    times = await asyncio.gather(
                        *(
                            _timed(client, url, command_body(fake, n))
                            for n in range(1, commands + 1)
                        )
                    )
                    deadline = time.monotonic() + 60
                    # The answers arrive in another process: polled, there is no event.
                    while _answers(fake) < commands + 1 and time.monotonic() < deadline:  # noqa: ASYNC110
                        await asyncio.sleep(0.05)
                answered = _answers(fake) - 1
                worked = time.monotonic() - deadline + 60
                bot.check_alive()
                if answered < commands or "-v" in sys.argv:
                    print(bot.stderr()[-3000:], file=sys.stderr)
            finally:
                await bot.stop()
    finally:
        await fake.stop()
    ms = [t * 1000 for t, _ in times]
    return {
        "commands": commands,
        "ok": sum(1 for _, status in times if status == 200),
        "answered": answered,
        "p50_ms": round(statistics.median(ms), 1),
        "p99_ms": round(percentile(ms, 0.99), 1),
        "max_ms": round(max(ms), 1),
        "all_answered_s": round(worked, 1),
    }


def _answers(fake: FakeSlackAPI) -> int:
    """Commands answered: in the channel (a reply with buttons) or through response_url."""
    return len(fake.responses) + len(fake.called("chat.postMessage"))


async def _timed(client: httpx.AsyncClient, url: str, body: str) -> tuple[float, int]:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed(body)}
    started = time.perf_counter()
    answer = await client.post(url, content=body.encode(), headers=headers)
    return time.perf_counter() - started, answer.status_code


async def wave(channels: int, rounds: int) -> dict[str, object]:
    fake = FakeSlackAPI()
    await fake.start()
    fake.pace = SlackPace(interval=1.0, burst=3)
    settings = Settings(
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=fake.api_url,
    )
    messenger = slack_messenger(settings, ChannelPace())
    chats = [
        ChatRef(ChatPlatform.SLACK, f"C{n:06d}", TEAM, kind=ChatKind.SHARED)
        for n in range(channels)
    ]
    jobs: asyncio.Queue[tuple[ChatRef, int]] = asyncio.Queue()
    for r in range(rounds):  # round by round, as digests due at the same minute come out
        for chat in chats:
            jobs.put_nowait((chat, r))
    failed: list[str] = []

    async def sender() -> None:
        while not jobs.empty():
            chat, r = jobs.get_nowait()
            reply = Reply(
                f"📊 Daily digest {r} · {chat.chat}\nYesterday vs the day before",
                fields=(Field("Views", "1,200  ▲ 20%"), Field("Posts", "1 post published")),
                image=PNG,
            )
            try:
                await messenger.send(chat, reply)
            except Exception as e:
                failed.append(f"{type(e).__name__}: {e}")

    started = time.monotonic()
    try:
        await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
        elapsed = time.monotonic() - started
    finally:
        await messenger.aclose()
        await fake.stop()
    texts = Counter((m.channel, m.text) for m in fake.messages.values())
    shares = Counter(s.channel for s in fake.shared)
    posts = len(fake.messages) + len(fake.shared)
    expected = 2 * channels * rounds
    allowed = channels * (fake.pace.burst + elapsed / fake.pace.interval)
    lost_messages = channels * rounds - len(texts)
    lost_charts = sum(max(rounds - shares[c.chat], 0) for c in chats)
    twice = sum(n - 1 for n in texts.values() if n > 1) + sum(
        n - rounds for n in shares.values() if n > rounds
    )
    return {
        "channels": channels,
        "digests": channels * rounds,
        "posts": posts,
        "expected_posts": expected,
        "seconds": round(elapsed, 2),
        "share_of_allowed_pace": round(min(posts / allowed, 1.0) * 100, 1),
        "http_429": fake.limited,
        "lost": lost_messages + lost_charts,
        "sent_twice": twice,
        "errors": len(failed),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commands", type=int, default=50)
    parser.add_argument("--channels", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    ack = await acks(args.commands)
    print(json.dumps(ack))
    digests = await wave(args.channels, args.rounds)
    print(json.dumps(digests))
    print("| measure | result | target |")
    print("|---|---:|---:|")
    print(
        f"| ack of {ack['commands']} concurrent slash commands, p50 / p99 / max "
        f"| {ack['p50_ms']} / {ack['p99_ms']} / {ack['max_ms']} ms "
        f"| p99 ≤ {ACK_TARGET_MS:.0f} ms |"
    )
    print(
        f"| commands acked 200 / answered, all answered after | {ack['ok']} / "
        f"{ack['answered']}, {ack['all_answered_s']} s | all |"
    )
    print(
        f"| digest wave: {digests['digests']} digests with a chart to {digests['channels']} "
        f"channels, {digests['posts']} posts in | {digests['seconds']} s | |"
    )
    print(f"| share of Slack's allowed pace | {digests['share_of_allowed_pace']} % | |")
    print(
        f"| 429s / lost / sent twice | {digests['http_429']} / {digests['lost']} / "
        f"{digests['sent_twice']} | 0 / 0 / 0 |"
    )


if __name__ == "__main__":
    asyncio.run(main())
