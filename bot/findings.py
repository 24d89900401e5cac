"""What `postroom doctor` reports: one finding per check, and the calls the checks make."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

CALL_TIMEOUT = 10.0  # seconds per upstream call


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    status: Status
    detail: str


def ok(check: str, detail: str) -> Finding:
    return Finding(check, Status.OK, detail)


def warn(check: str, detail: str) -> Finding:
    return Finding(check, Status.WARN, detail)


def fail(check: str, detail: str) -> Finding:
    return Finding(check, Status.FAIL, detail)


def no_answer(error: Exception) -> str:
    # The exception's text may carry the URL, and Telegram's URL carries the token.
    return f"no answer ({type(error).__name__})"


async def call(
    http: httpx.AsyncClient, check: str, method: str, url: str, **kwargs: Any
) -> tuple[httpx.Response, dict[str, Any]] | Finding:
    """The answer and its JSON object, or the failed Finding when no answer came."""
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.HTTPError as e:
        return fail(check, no_answer(e))
    return response, json_of(response)


def json_of(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
