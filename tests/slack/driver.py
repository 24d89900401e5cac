"""Drives POST /slack/events as Slack does: signed slash commands, taps and events."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.slack import EVENTS_PATH
from tests.fakes.slack_api import TEAM, FakeSlackAPI, Posted

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0GENERAL"


@dataclass(frozen=True)
class User:
    id: str
    name: str

    @property
    def dm(self) -> str:
        """The bot's DM with this user, as the fake's conversations.open names it."""
        return "D" + self.id.removeprefix("U")


ANA = User("U0ANA", "ana")
BEN = User("U0BEN", "ben")


def signed(
    body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    """The headers Slack sends: `v0=` HMAC-SHA256 of `v0:timestamp:body`
    (https://api.slack.com/authentication/verifying-requests-from-slack)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


class SlackDriver:
    def __init__(self, client: httpx.AsyncClient, fake: FakeSlackAPI, drain: Any) -> None:
        self.client = client
        self.fake = fake
        self._drain = drain
        self._n = itertools.count(1)

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        sent = {"Content-Type": content_type, **(signed(body) if headers is None else headers)}
        answer = await self.client.post(EVENTS_PATH, content=body.encode(), headers=sent)
        await self._drain()
        return answer

    def command_body(
        self,
        text: str,
        user: User = ANA,
        channel: str = CHANNEL,
        team: str = TEAM,
        *,
        enterprise: str = "",
        org_wide: bool = False,
    ) -> str:
        n = next(self._n)
        # On Enterprise Grid a command names the org too
        # (https://api.slack.com/interactivity/slash-commands#app_command_handling).
        grid = {"enterprise_id": enterprise, "enterprise_name": f"Org {enterprise}"}
        return urlencode(
            {
                **(grid if enterprise else {}),
                **({"is_enterprise_install": "true"} if org_wide else {}),
                "token": "deprecated-verification-token",
                "team_id": team,
                "team_domain": "acme",
                "channel_id": channel,
                "channel_name": "directmessage" if channel.startswith("D") else "general",
                "user_id": user.id,
                "user_name": user.name,
                "command": "/postroom",
                "text": text,
                "api_app_id": "A0POSTROOM",
                "response_url": self.fake.hook(f"cmd{n}"),
                "trigger_id": self.fake.new_trigger(),
            }
        )

    async def command(
        self,
        text: str,
        user: User = ANA,
        channel: str = CHANNEL,
        team: str = TEAM,
        **grid: Any,
    ) -> httpx.Response:
        answer = await self.post(
            self.command_body(text, user, channel, team, **grid),
            "application/x-www-form-urlencoded",
        )
        assert answer.status_code == 200, answer.text
        return answer

    def tap_body(self, message: Posted, label: str, user: User = ANA, team: str = TEAM) -> str:
        button = message.button(label)
        n = next(self._n)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": team},
            "api_app_id": "A0POSTROOM",
            "token": "deprecated-verification-token",
            "container": {
                "type": "message",
                "message_ts": message.ts or "1795000000.999999",
                "channel_id": message.channel,
                "is_ephemeral": not message.ts,
            },
            "trigger_id": self.fake.new_trigger(),
            "team": {"id": team, "domain": "acme"},
            "channel": {"id": message.channel, "name": "general"},
            "message": {
                "type": "message",
                "ts": message.ts or "1795000000.999999",
                "blocks": message.blocks,
            },
            "response_url": self.fake.hook(f"tap{n}"),
            "actions": [pressed(button)],
        }
        return urlencode({"payload": json.dumps(payload)})

    async def tap(
        self, message: Posted, label: str, user: User = ANA, team: str = TEAM
    ) -> httpx.Response:
        answer = await self.post(
            self.tap_body(message, label, user, team), "application/x-www-form-urlencoded"
        )
        assert answer.status_code == 200, answer.text
        return answer

    def last_answer(self) -> str:
        found = list(self.fake.answers())
        assert found, "no response_url answer"
        return found[-1]

    def submission_body(
        self,
        view: dict[str, Any],
        *,
        text: str | None = None,
        networks: list[str] | None = None,
        when: int | None = None,
        user: User = ANA,
        files: list[dict[str, Any]] | None = None,
    ) -> str:
        """A view_submission of the modal `view` as the fake opened it, with these inputs
        (None: as the modal was prefilled); `files` uploaded in its file input."""
        blocks = {b.get("block_id"): b.get("element", {}) for b in view["blocks"]}
        if text is None:
            text = blocks["text"].get("initial_value", "")
        if networks is None:
            networks = [o["value"] for o in blocks["networks"].get("initial_options", [])]
        options = {o["value"]: o for o in blocks["networks"]["options"]}
        values = {
            "text": {"text": {"type": "plain_text_input", "value": text}},
            "networks": {
                "networks": {
                    "type": "checkboxes",
                    "selected_options": [options.get(v, {"value": v}) for v in networks],
                }
            },
            "when": {"when": {"type": "datetimepicker", "selected_date_time": when}},
        }
        if files is not None:
            values["media"] = {"media": {"type": "file_input", "files": files}}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM},
            "api_app_id": "A0POSTROOM",
            "token": "deprecated-verification-token",
            "trigger_id": self.fake.new_trigger(),
            "view": {**view, "state": {"values": values}},
        }
        return urlencode({"payload": json.dumps(payload)})

    async def submit(self, view: dict[str, Any], **inputs: Any) -> httpx.Response:
        answer = await self.post(
            self.submission_body(view, **inputs), "application/x-www-form-urlencoded"
        )
        assert answer.status_code == 200, answer.text
        return answer

    async def shortcut(
        self,
        text: str,
        user: User = ANA,
        channel: str = CHANNEL,
        *,
        trigger: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> httpx.Response:
        """The message shortcut "Post to social" on a message saying `text` (with `files`)."""
        n = next(self._n)
        payload = {
            "type": "message_action",
            "callback_id": "post_to_social",
            "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM},
            "channel": {"id": channel, "name": "general"},
            "message": {
                "type": "message",
                "user": BEN.id,
                "ts": "1795000000.5",
                "text": text,
                **({"files": files} if files else {}),
            },
            "message_ts": "1795000000.5",
            "api_app_id": "A0POSTROOM",
            "token": "deprecated-verification-token",
            "trigger_id": trigger or self.fake.new_trigger(),
            "response_url": self.fake.hook(f"short{n}"),
        }
        body = urlencode({"payload": json.dumps(payload)})
        answer = await self.post(body, "application/x-www-form-urlencoded")
        assert answer.status_code == 200, answer.text
        return answer

    def opened(self) -> dict[str, Any]:
        """The modal views.open opened last."""
        assert self.fake.views, "no modal was opened"
        return list(self.fake.views.values())[-1]

    async def home_opened(self, user: User = ANA) -> dict[str, Any]:
        """The app_home_opened event as Slack sends it; returns the Home the fake holds."""
        n = next(self._n)
        body = json.dumps(
            {
                "token": "deprecated-verification-token",
                "team_id": TEAM,
                "api_app_id": "A0POSTROOM",
                "type": "event_callback",
                "event_id": f"Ev0HOME{n:04d}",
                "event_time": 1795000000,
                "event": {
                    "type": "app_home_opened",
                    "user": user.id,
                    "channel": user.dm,
                    "tab": "home",
                    "event_ts": "1795000000.1",
                },
            }
        )
        answer = await self.post(body, "application/json")
        assert answer.status_code == 200, answer.text
        return self.fake.homes[user.id]

    async def home_tap(self, home: dict[str, Any], label: str, user: User = ANA) -> None:
        """A tap on a button of the Home view `home` (which may be another user's)."""
        buttons = [e for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]]
        found = [b for b in buttons if label in b["text"]["text"]]
        assert found, f"no button with {label!r} in {[b['text']['text'] for b in buttons]}"
        button = found[0]
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM},
            "api_app_id": "A0POSTROOM",
            "token": "deprecated-verification-token",
            "container": {"type": "view", "view_id": home.get("id", "VHOME")},
            "trigger_id": self.fake.new_trigger(),
            "team": {"id": TEAM, "domain": "acme"},
            "view": home,
            "actions": [pressed(button)],
        }
        body = urlencode({"payload": json.dumps(payload)})
        answer = await self.post(body, "application/x-www-form-urlencoded")
        assert answer.status_code == 200, answer.text


def pressed(button: dict[str, Any]) -> dict[str, Any]:
    """A block_actions payload's `actions` entry for a press of `button`."""
    return {
        "type": "button",
        "block_id": "b",
        "action_id": button["action_id"],
        "text": button["text"],
        **({"value": button["value"]} if "value" in button else {}),
        "action_ts": "1795000000.1",
    }


def shown(view: dict[str, Any]) -> str:
    """A view's section texts and fields, one per line."""
    lines: list[str] = []
    for block in view["blocks"]:
        if block["type"] == "section":
            if block.get("text"):
                lines.append(block["text"]["text"])
            lines += [f["text"] for f in block.get("fields", [])]
    return "\n".join(lines)
