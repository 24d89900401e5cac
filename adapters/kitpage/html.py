"""A kit's page as HTML: every user-provided field escaped, one hashed <style>, no script."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from html import escape

from adapters.kitpage.svg import growth_svg
from core.mediakit.facts import DAYS, KitFacts
from core.mediakit.model import BlockKind, Kit, Theme
from core.mediakit.pages import KitPage
from core.metrics import NA, format_count, format_rate
from core.when import format_short

__all__ = ["ICON", "ICON_PATH", "RenderedPage", "not_found_page", "render_page"]

ICON_PATH = "/kit/icon.svg"  # "icon.svg" is no slug (no dots), so it never names a kit
ICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    b'<rect width="16" height="16" rx="4" fill="#3b5bdb"/>'
    b'<path d="M4 11V5h2v6zm3 0V7h2v4zm3 0V3h2v8z" fill="#fff"/></svg>'
)

_COLOUR = re.compile(r"#[0-9a-f]{6}")
_EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}")
_WEB = re.compile(r"https://[^\s<>\"']+")

_CSS = """
:root{--primary:%(primary)s;--radius:%(radius)dpx}
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1f2933;
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:720px;margin:0 auto;padding:24px 16px 40px}
.block{background:#fff;border-radius:var(--radius);padding:20px 24px;margin:0 0 16px;
box-shadow:0 1px 2px rgba(16,24,40,.08)}
h1{margin:0;font-size:28px;line-height:1.2}
h2{margin:0 0 12px;font-size:18px;color:var(--primary)}
.sub{margin:4px 0 12px;color:#6b7280}
.nets{list-style:none;margin:0;padding:0}
.nets li{display:flex;justify-content:space-between;gap:12px;padding:6px 0;
border-top:1px solid #eef0f3}
.net{font-weight:600}
.tiles{display:grid;grid-template-columns:repeat(3,1fr);gap:12px;margin:0 0 16px}
.tile{border:1px solid #eef0f3;border-radius:var(--radius);padding:12px}
.num{display:block;font-size:26px;font-weight:700;color:var(--primary)}
.lbl{color:#6b7280;font-size:14px}
.top{margin:0;padding-left:20px}
.top li{padding:4px 0}
.muted{color:#6b7280}
.chart{width:100%%;height:auto;display:block}
.legend{margin:8px 0 0;color:#6b7280;font-size:14px}
.key{margin-right:12px}
hr{border:0;border-top:2px solid var(--primary);margin:0;opacity:.5}
.block.sep{background:none;box-shadow:none;padding:4px 0}
.words{white-space:pre-wrap;margin:0;overflow-wrap:anywhere}
a{color:var(--primary)}
footer{color:#6b7280;font-size:14px;text-align:center}
"""


@dataclass(frozen=True, slots=True)
class RenderedPage:
    body: bytes
    csp: str
    etag: str


def _css(theme: Theme) -> str:
    # Checked again here: only a #rrggbb colour and a 0–24 radius ever reach the style sheet.
    primary = theme.primary if _COLOUR.fullmatch(theme.primary) else Theme().primary
    radius = theme.radius if 0 <= theme.radius <= 24 else Theme().radius
    return _CSS % {"primary": primary, "radius": radius}


def _csp(style: str) -> str:
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    return (
        "default-src 'none'; "
        f"style-src 'sha256-{digest}'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _link(url: str | None, text: str) -> str:
    shown = escape(text)
    if url and (url.startswith("https://") or url.startswith("http://")):
        return f'<a href="{escape(url)}" rel="nofollow noopener noreferrer">{shown}</a>'
    return shown


def _profile(facts: KitFacts) -> str:
    rows = "".join(
        f'<li><span class="net" data-network="{n.network.value}">{escape(n.network.label)}'
        f"</span><span>{escape(n.handle) or NA}</span>"
        f"<span>{format_count(n.followers)} followers</span></li>"
        for n in facts.networks
    )
    nets = f'<ul class="nets">{rows}</ul>' if rows else '<p class="muted">No networks yet.</p>'
    return f'<h1>{escape(facts.name)}</h1><p class="sub">Media kit</p>{nets}'


def _stats(facts: KitFacts) -> str:
    tiles = (
        ("Followers", format_count(facts.followers)),
        (f"Views, last {DAYS} days", format_count(facts.views)),
        ("Engagement rate", format_rate(facts.rate)),
    )
    cells = "".join(
        f'<div class="tile"><span class="num">{value}</span><span class="lbl">{label}</span></div>'
        for label, value in tiles
    )
    posts = "".join(
        f"<li>{escape(p.network.label)} · {_link(p.url, p.title)} "
        f'<span class="muted">— {format_count(p.views)} views · {format_rate(p.rate)}</span></li>'
        for p in facts.top
    )
    top = f'<ol class="top">{posts}</ol>' if posts else f'<p class="muted">{NA}</p>'
    return f'<h2>Last {DAYS} days</h2><div class="tiles">{cells}</div><h2>Top posts</h2>{top}'


def _chart(facts: KitFacts) -> str:
    svg = growth_svg(facts.growth)
    body = svg if svg is not None else f'<p class="muted">{NA} — no follower numbers yet</p>'
    return f"<h2>Followers, last {DAYS} days</h2>{body}"


def _contact(contact: str) -> str:
    value = contact.strip()
    if _EMAIL.fullmatch(value):
        inner = f'<a href="mailto:{escape(value)}">{escape(value)}</a>'
    elif _WEB.fullmatch(value):
        inner = _link(value, value)
    else:
        inner = escape(value)
    return f'<h2>Contact</h2><p class="words">{inner}</p>'


def _block(kind: BlockKind, kit: Kit, facts: KitFacts) -> str:
    match kind:
        case BlockKind.PROFILE:
            inner = _profile(facts)
        case BlockKind.STATS:
            inner = _stats(facts)
        case BlockKind.CHART:
            inner = _chart(facts)
        case BlockKind.SEPARATOR:
            return f'<div class="block sep" data-block="{kind.value}"><hr></div>'
        case BlockKind.TEXT:
            if not kit.text:
                return ""
            inner = f'<p class="words">{escape(kit.text)}</p>'
        case BlockKind.CONTACT:
            if not kit.contact:
                return ""
            inner = _contact(kit.contact)
    return f'<section class="block" data-block="{kind.value}">{inner}</section>'


def render_page(page: KitPage) -> RenderedPage:
    kit, facts = page.kit, page.facts
    style = _css(kit.theme)
    updated = NA
    if facts.updated_at is not None:
        # In UTC: the owner's time zone says where they live, and they never put it on the kit.
        when = escape(format_short(facts.updated_at, "UTC"))
        updated = f'<time datetime="{facts.updated_at.isoformat()}">{when} UTC</time>'
    blocks = "".join(_block(kind, kit, facts) for kind in kit.blocks)
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # The icon is ours (img-src 'self'): browsers would otherwise ask for /favicon.ico.
        f'<link rel="icon" href="{ICON_PATH}" type="image/svg+xml">'
        f"<title>{escape(facts.name)} — media kit</title>"
        f"<style>{style}</style></head><body><main>{blocks}"
        f"<footer>Last updated {updated}</footer>"
        "</main></body></html>"
    )
    body = html.encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return RenderedPage(body, _csp(style), etag)


_NOT_FOUND = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title>'
    "</head><body><p>There is no media kit here.</p></body></html>"
)


def not_found_page() -> bytes:
    return _NOT_FOUND.encode()
