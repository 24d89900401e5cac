"""Meta Graph API answers for the fakes: a JSON success, or Graph's error object."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

__all__ = ["error", "ok"]


def ok(data: Any) -> Response:
    return Response(json.dumps(data), 200, media_type="application/json")


def error(message: str, code: int, subcode: int | None, *, status: int = 400) -> Response:
    """https://developers.facebook.com/docs/graph-api/guides/error-handling"""
    body: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AfakeTrace",
    }
    if subcode is not None:
        body["error_subcode"] = subcode
    return Response(json.dumps({"error": body}), status, media_type="application/json")
