"""The fake Slack Web API's oauth.v2.access: installs (one workspace, a Grid workspace, a
whole Grid org) and token rotation, in Slack's wire format."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.slack_api import FakeSlackAPI

JSON = dict[str, Any]
BOT_USER = "U0BOT"  # the bot user of every installation


def oauth_v2_access(fake: FakeSlackAPI, auth: str, args: JSON) -> JSON:
    """https://api.slack.com/methods/oauth.v2.access, client credentials as HTTP Basic auth
    (they must be `fake.client`'s). The code `code-<team id>` installs the app in that
    workspace with the bot token `xoxb-<team id>-installed`; `code-<org id>/<team id>`
    installs it in a workspace of an Enterprise Grid org, `code-<org id>/` in the whole org.
    With `fake.expires_in` the token expires and comes with a refresh token, and
    grant_type=refresh_token exchanges one (once) for a new pair."""
    client_id, secret = fake.client
    expected = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    if auth != f"Basic {expected}":
        return {"ok": False, "error": "invalid_client_id"}
    if args.get("grant_type") == "refresh_token":
        return _refreshed(fake, str(args.get("refresh_token", "")))
    code = str(args.get("code", ""))
    if not code.startswith("code-") or code in fake.codes_used:
        return {"ok": False, "error": "invalid_code"}
    fake.codes_used.add(code)
    enterprise, slash, team = code.removeprefix("code-").rpartition("/")
    place = "-".join(part for part in (enterprise, team) if part)
    token = f"xoxb-{place}-installed"
    if fake.expires_in is not None:
        token = f"xoxe.xoxb-{place}-{next(fake.issued)}"
    answer = {
        "ok": True,
        "app_id": "A0POSTROOM",
        "authed_user": {"id": "U0ADMIN"},
        "scope": "commands,chat:write,im:write,im:history",
        "token_type": "bot",
        "access_token": token,
        "bot_user_id": BOT_USER,
        "team": {"id": team, "name": f"Team {team}"} if team else None,
        "enterprise": {"id": enterprise, "name": f"Org {enterprise}"} if enterprise else None,
        "is_enterprise_install": bool(slash and not team),
    }
    _issue(fake, token, team, enterprise, fake.expires_in, answer)
    return answer


def _issue(
    fake: FakeSlackAPI, token: str, team: str, enterprise: str, lasts: int | None, answer: JSON
) -> None:
    fake.teams[token] = team
    if enterprise:
        fake.enterprises[token] = enterprise
    if lasts is not None:
        fake.expiry[token] = fake.wall() + lasts
        refresh = f"xoxe-1-refresh-{next(fake.issued)}"
        fake.refresh_tokens[refresh] = token
        answer |= {"refresh_token": refresh, "expires_in": lasts}


def _refreshed(fake: FakeSlackAPI, refresh: str) -> JSON:
    """A refresh token works once; the bot token it renews keeps working until it expires."""
    old = fake.refresh_tokens.pop(refresh, None)
    if old is None:
        return {"ok": False, "error": "invalid_refresh_token"}
    team, enterprise = fake.teams[old], fake.enterprises.get(old, "")
    place = old.removeprefix("xoxe.xoxb-").rpartition("-")[0]
    token = f"xoxe.xoxb-{place}-{next(fake.issued)}"
    answer: JSON = {
        "ok": True,
        "app_id": "A0POSTROOM",
        "scope": "commands,chat:write,im:write,im:history",
        "token_type": "bot",
        "access_token": token,
        "bot_user_id": BOT_USER,
        "team": {"id": team, "name": f"Team {team}"} if team else None,
        "enterprise": {"id": enterprise} if enterprise else None,
        "is_enterprise_install": bool(enterprise and not team),
    }
    _issue(fake, token, team, enterprise, fake.rotated_expires_in, answer)
    return answer
