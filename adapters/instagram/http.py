"""One Graph exchange over a caller-owned httpx client: the token in a header, faults typed."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.instagram import graph
from core.errors import OutcomeUnknown, TransientError

__all__ = ["GraphHttp"]


class GraphHttp:
    """Sends `graph.Call`s to the Instagram Graph API base URL with a user's token."""

    def __init__(self, http: httpx.AsyncClient, *, base_url: str, timeout: float = 30.0) -> None:
        self._http = http
        self.base = base_url.rstrip("/")
        self._timeout = timeout

    async def exchange(self, call: graph.Call, token: str) -> tuple[int, Any]:
        """(HTTP status, JSON body or None); a failed connection is transient, a request that
        may have arrived without an answer is OutcomeUnknown."""
        url = f"{self.base}/{call.path}"
        # The token goes in the Authorization header, so it never appears in a logged URL.
        headers = {"Authorization": f"Bearer {token}"}
        try:
            response = await self._http.request(
                call.method, url, params=dict(call.params), headers=headers, timeout=self._timeout
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            raise TransientError(f"Instagram could not be reached: {type(e).__name__}") from None
        except httpx.TransportError as e:
            raise OutcomeUnknown(f"no answer from Instagram: {type(e).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        return response.status_code, body

    async def send(
        self, call: graph.Call, token: str, *, refused: str = graph.REFUSED_POST
    ) -> dict[str, Any]:
        """The answer's JSON object, or the PublishError the answer stands for."""
        status, body = await self.exchange(call, token)
        graph.raise_for_error(status, body, refused=refused)
        if not isinstance(body, dict):
            raise TransientError(f"Instagram answered HTTP {status} without JSON")
        return body
