"""GET /kit/<slug> over the web app: published kits only, escaped fields, a strict CSP,
ETag and Cache-Control, the page cache dropped on every change, "n/a" without numbers."""

from __future__ import annotations

import re
from datetime import timedelta

from core.model import Network
from tests.mediakit.support import KitWorld, with_numbers

NASTY = "</p><script>alert('x')</script>\"><img src=x onerror=alert(1)> & 'q'"


async def published(world: KitWorld, slug: str = "ana-bakes", user: str = "ana") -> None:
    await world.say(f"/mediakit slug {slug}", user=user)
    await world.say("/mediakit publish", user=user)


async def test_unpublished_unknown_and_bad_slugs_are_404(world: KitWorld) -> None:
    await world.say("/mediakit slug ana-bakes")  # made, not published: off by default
    for path in ("/kit/ana-bakes", "/kit/nobody-here", "/kit/" + "a" * 300, "/kit/%3Cscript%3E"):
        response = await world.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-security-policy"] == "default-src 'none'"
        assert response.headers["cache-control"] == "no-store"
        assert "ana" not in response.text


async def test_the_page_shows_the_blocks_in_order_with_the_numbers(world: KitWorld) -> None:
    await with_numbers(world)
    await published(world)
    await world.say("/mediakit contact ana@example.com")
    page = (await world.get("/kit/ana-bakes")).text
    order = re.findall(r'data-block="([a-z]+)"', page)
    assert order == ["profile", "stats", "chart", "contact"]
    assert "<h1>Ana&#x27;s bakery</h1>" in page
    assert "17,000" in page and "7,800" in page and "7.2%" in page
    assert "12,800 followers" in page and "4,200 followers" in page
    assert "<svg" in page and "<polyline" in page
    assert 'href="mailto:ana@example.com"' in page
    assert "Last updated <time" in page
    # Post text is shown escaped, never as markup.
    assert "Sourdough batch 2 &lt;b&gt;hot&lt;/b&gt;" in page


async def test_only_the_blocks_on_the_kit_are_shown(world: KitWorld) -> None:
    await with_numbers(world)
    await published(world)
    shown = await world.say("/mediakit blocks")
    stats_row = next(row for row in shown.buttons if row[0].label == "↑ Stats")
    await world.tap(stats_row[2])  # ✕
    page = (await world.get("/kit/ana-bakes")).text
    assert re.findall(r'data-block="([a-z]+)"', page) == ["profile", "chart"]
    assert "7,800" not in page and "Engagement rate" not in page and "Top posts" not in page


async def test_html_and_script_in_every_kit_field_are_escaped(world: KitWorld) -> None:
    await published(world)
    await world.say(f"/mediakit text {NASTY}")
    await world.say(f"/mediakit contact {NASTY}")
    response = await world.get("/kit/ana-bakes")
    page = response.text
    assert "<script>" not in page and "<img" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;&gt;&lt;img" in page
    assert page.count("&amp; &#x27;q&#x27;") == 2


async def test_security_headers_and_a_hashed_style(world: KitWorld) -> None:
    import base64
    import hashlib

    await published(world)
    response = await world.get("/kit/ana-bakes")
    headers = response.headers
    csp = headers["content-security-policy"]
    assert csp.startswith("default-src 'none'; style-src 'sha256-")
    assert "script-src" not in csp and "unsafe" not in csp
    style = re.search(r"<style>(.*?)</style>", response.text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert " style=" not in response.text  # no inline style attribute anywhere
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "public, no-cache"
    # No secret or private number: the page names no key, token or tier.
    for word in ("secret", "token", "apikey", "Pro", "tier"):
        assert word not in response.text


async def test_etag_revalidation_and_the_cache_follows_changes(world: KitWorld) -> None:
    await published(world)
    first = await world.get("/kit/ana-bakes")
    etag = first.headers["etag"]
    again = await world.get("/kit/ana-bakes", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    await world.say("/mediakit theme #ff5500 4")
    changed = await world.get("/kit/ana-bakes", **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "--primary:#ff5500;--radius:4px" in changed.text


async def test_another_workers_change_is_seen_at_once(world: KitWorld) -> None:
    from tests.mediakit.support import make_world

    await published(world)
    assert (await world.get("/kit/ana-bakes")).status_code == 200
    other = make_world(world.uow, world.clock)  # a second process on the same database
    try:
        await other.say("/mediakit unpublish")
        assert (await other.get("/kit/ana-bakes")).status_code == 404
        # This worker read the kit's head under 2 s ago; it reads it again after that.
        assert (await world.get("/kit/ana-bakes")).status_code == 200
        world.clock.advance(timedelta(seconds=2))
        assert (await world.get("/kit/ana-bakes")).status_code == 404
    finally:
        await other.http.aclose()
        await other.services.aclose()


async def test_a_kit_with_no_data_yet_reads_n_a(world: KitWorld) -> None:
    await published(world)
    page = (await world.get("/kit/ana-bakes")).text
    tiles = re.findall(r'<span class="num">([^<]*)</span>', page)
    assert tiles == ["n/a", "n/a", "n/a"]
    assert "n/a — no follower numbers yet" in page
    assert "Last updated n/a" in page
    assert ">0<" not in page


async def test_numbers_refresh_after_the_cache_minute(world: KitWorld) -> None:
    profile = await with_numbers(world)
    await published(world)
    cache = world.services.mediakit
    assert cache is not None
    assert "17,000" in (await world.get("/kit/ana-bakes")).text
    async with world.uow() as u:
        from core.metrics import AccountMetric

        await u.analytics.record_account(
            profile.id,
            Network.TIKTOK,
            world.clock.now().date(),
            {AccountMetric.FOLLOWERS: 13800},
            taken_at=world.clock.now(),
        )
        await u.commit()
    # Still the cached page within its minute, then the new numbers.
    world.clock.advance(timedelta(seconds=59))
    assert "17,000" in (await world.get("/kit/ana-bakes")).text
    world.clock.advance(timedelta(seconds=1))
    assert "18,000" in (await world.get("/kit/ana-bakes")).text
    # A change of the kit renders it anew at once.
    await world.say("/mediakit theme 6")
    assert "--radius:6px" in (await world.get("/kit/ana-bakes")).text
