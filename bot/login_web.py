"""GET /oauth/instagram/callback: where Instagram Login sends the browser back (the web app)."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from bot.wiring import INSTAGRAM_CALLBACK
from core.chat.login import LoginCallback, LoginPage
from core.model import Network

__all__ = ["login_routes", "render"]

# The page quotes nothing of the request; still, no script runs, nothing is fetched, no
# referrer carries the code onwards, and no cache keeps it.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}
_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title></head>"
    '<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;'
    'padding:0 1rem;line-height:1.5"><h1>{title}</h1><p>{text}</p></body></html>'
)


def render(page: LoginPage) -> str:
    return _PAGE.format(title=escape(page.title), text=escape(page.text))


def login_routes(callback: LoginCallback | None) -> list[BaseRoute]:
    if callback is None:
        return []

    async def instagram(request: Request) -> HTMLResponse:
        query = request.query_params
        page = await callback.complete(
            Network.INSTAGRAM,
            state=query.get("state"),
            code=query.get("code"),
            error=query.get("error"),
        )
        return HTMLResponse(render(page), status_code=200 if page.ok else 400, headers=HEADERS)

    return [Route(INSTAGRAM_CALLBACK, instagram, methods=["GET"])]
