"""The compose modal's view: its fields as Block Kit inputs, within Slack's limits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from adapters.slack.media import FILETYPES, MAX_FILES
from adapters.slack.render import escape
from core.chat.form import MEDIA, NETWORKS, TEXT, WHEN, Form

CALLBACK = "postroom_compose"  # the modal's callback_id
# https://api.slack.com/reference/block-kit/block-elements#input: a plain_text_input takes
# at most 3,000 characters; checkboxes at most 10 options; a view at most 100 blocks.
TEXT_MAX = 3000
MAX_OPTIONS = 10
MAX_BLOCKS = 100


def compose_view(
    form: Form, channel: str, shared: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """The modal: text, photos or videos, the networks that can be ticked, why others can't,
    and when. `shared` are the files of the message the shortcut was used on: listed, and
    their ids kept in the view's metadata to be fetched on submission."""
    offered = form.offered[:MAX_OPTIONS]
    options = [_option(c.network.value, c.network.label) for c in offered]
    text_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": TEXT,
        "multiline": True,
        "max_length": TEXT_MAX,
    }
    if form.text:
        text_input["initial_value"] = form.text[:TEXT_MAX]
    boxes: dict[str, Any] = {"type": "checkboxes", "action_id": NETWORKS, "options": options}
    ticked = [o for o, c in zip(options, offered, strict=True) if c.ticked]
    if ticked:
        boxes["initial_options"] = ticked
    files: dict[str, Any] = {
        "type": "file_input",
        "action_id": MEDIA,
        "filetypes": list(FILETYPES),
        "max_files": MAX_FILES,
    }
    blocks: list[dict[str, Any]] = [
        {"type": "input", "block_id": TEXT, "label": _plain("Text"), "element": text_input},
        {
            "type": "input",
            "block_id": MEDIA,
            "optional": True,
            "label": _plain("Photos or videos"),
            "element": files,
        },
    ]
    ids = [str(f.get("id")) for f in shared if isinstance(f, dict) and f.get("id")][:MAX_FILES]
    if ids:
        names = ", ".join(escape(str(f.get("name") or "a file")[:80]) for f in shared[:MAX_FILES])
        attached = _mrkdwn(f"📎 Attached from the message: {names}")
        blocks.append({"type": "context", "elements": [attached]})
    blocks.append(
        {"type": "input", "block_id": NETWORKS, "label": _plain("Networks"), "element": boxes}
    )
    # Locked or unavailable networks are shown with the reason, never offered (a context
    # block holds at most 10 elements).
    reasons = [f"🔒 {escape(c.reason)}" for c in form.choices if c.reason is not None]
    if reasons:
        blocks.append({"type": "context", "elements": [_mrkdwn(r) for r in reasons[:MAX_OPTIONS]]})
    blocks.append(
        {
            "type": "input",
            "block_id": WHEN,
            "optional": True,
            "label": _plain("Schedule for (empty: publish now)"),
            # Slack shows the picker in the user's own time zone and sends a Unix time.
            "element": {"type": "datetimepicker", "action_id": WHEN},
            "hint": _plain(f"Your Postroom time zone is {form.timezone}."),
        }
    )
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": _plain("New post"),
        "submit": _plain("Post"),
        "close": _plain("Cancel"),
        "private_metadata": json.dumps({"channel": channel, **({"files": ids} if ids else {})}),
        "blocks": blocks[:MAX_BLOCKS],
    }


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": _plain(label), "value": value}
