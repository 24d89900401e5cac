"""The Slack app manifest kept in the repo matches what the code serves and the README says."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.slack.app import COMMAND
from adapters.slack.modal import SHORTCUT
from adapters.slack.workspaces import BOT_SCOPES, REDIRECT_PATH
from bot.slack import EVENTS_PATH

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = (ROOT / "docs" / "slack-manifest.yaml").read_text(encoding="utf-8")


def _list_under(key: str) -> list[str]:
    """The `- item` lines of a YAML list under `key:` (no YAML parser is a dependency)."""
    block = MANIFEST.split(f"{key}:\n", 1)[1]
    items: list[str] = []
    for line in block.splitlines():
        found = re.match(r"\s+- ([\w:./]+)", line)
        if found is None:
            break
        items.append(found.group(1))
    return items


def test_every_request_url_is_the_one_events_path() -> None:
    urls = re.findall(r"(?:url|request_url): (\S+)", MANIFEST)
    assert len(urls) == 3
    assert all(url == f"https://bot.example.com{EVENTS_PATH}" for url in urls)
    assert f"- command: {COMMAND}\n" in MANIFEST
    # Many workspaces: the redirect URL the OAuth flow serves.
    assert _list_under("  redirect_urls") == [f"https://bot.example.com{REDIRECT_PATH}"]


def test_the_scopes_are_the_ones_the_readme_explains() -> None:
    scopes = _list_under("    bot")
    assert scopes == [
        "commands",
        "chat:write",
        "im:write",
        "im:history",
        "files:write",
        "files:read",
        "users:read",
        "channels:read",
        "groups:read",
    ]
    assert tuple(scopes) == BOT_SCOPES  # what an install asks for
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    slack = readme.split("## Slack\n", 1)[1].split("\n## ", 1)[0]
    explained = re.findall(r"`([a-z]+(?::[a-z]+)?)` \(", slack)
    assert explained == scopes
    events = [
        "message.im",
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
        "member_left_channel",
    ]
    assert _list_under("    bot_events") == events


def test_the_shortcut_and_home_tab_are_the_ones_served() -> None:
    assert f"callback_id: {SHORTCUT}\n" in MANIFEST
    assert "home_tab_enabled: true" in MANIFEST
