"""Charts and exported files into Slack channels with the upload v2 flow (files_upload_v2),
never files.upload."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

CHART_FILENAME = "postroom-chart.png"
CHART_TITLE = "Last 7 days"
# Alt text is read out by screen readers; Slack accepts up to 1,000 characters
# (https://api.slack.com/methods/files.getUploadURLExternal).
_ALT_LIMIT = 1000


async def share_png(
    client: AsyncWebClient, channel: str, png: bytes, alt: str, **auth: Any
) -> str | None:
    """Share `png` in `channel`; its file id, or None when Slack would not take it. `auth` is
    the workspace's `token` when there are many (files_upload_v2 passes it to both calls).

    files_upload_v2 makes three calls: files.getUploadURLExternal (name and length), a POST of
    the bytes to the URL it returned, files.completeUploadExternal (the file ids, shared in
    `channel_id`); files.upload is retired (https://api.slack.com/methods/files.upload).
    The client's retry handler waits out a 429 on any of them. A chart that still cannot be
    shared (no `files:write` scope, an upload that fails) is left out with a warning: the
    message it belongs to is already out, and sending that again would repeat it.
    """
    try:
        answer = await client.files_upload_v2(
            channel=channel,
            content=png,
            filename=CHART_FILENAME,
            title=CHART_TITLE,
            alt_txt=alt[:_ALT_LIMIT] or CHART_TITLE,
            **auth,
        )
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as e:
        log.warning(
            "slack: the chart for %s was not shared (%s: %s)", channel, type(e).__name__, e
        )
        return None
    found = answer.get("file")
    return str(found.get("id")) if isinstance(found, dict) else None


async def share_file(
    client: AsyncWebClient, channel: str, data: bytes, filename: str, **auth: Any
) -> str | None:
    """Share a file (an export) in `channel` as `share_png` shares a chart; its file id, or
    None when Slack would not take it (the message saying what it is went out already)."""
    try:
        answer = await client.files_upload_v2(
            channel=channel, content=data, filename=filename, title=filename, **auth
        )
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as e:
        log.warning(
            "slack: %s was not shared in %s (%s: %s)", filename, channel, type(e).__name__, e
        )
        return None
    found = answer.get("file")
    return str(found.get("id")) if isinstance(found, dict) else None
