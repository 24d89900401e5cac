"""The published page in a real headless Chromium (Debian's, driven by Playwright) from a real
server on 127.0.0.1: no console errors or CSP violations, the blocks laid out in order, and a
screenshot close to the committed baseline (coarse, so font differences pass)."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageOps
from starlette.applications import Starlette

from bot.kit_web import kit_routes
from tests.fakes.serve import serving
from tests.mediakit.support import KitWorld, with_numbers

CHROMIUM = "/usr/bin/chromium"
BASELINE = Path(__file__).with_name("baseline") / "kit_page.png"
VIEWPORT = {"width": 800, "height": 1600}
# The screenshots are shrunk to 50 × 100 cells of grey (each the mean of 16 × 16 pixels) and
# compared cell by cell: a cell differs when it is over 32 of 255 apart. Other fonts' glyphs
# move a few cells; a block moved by 40 px moves about 13% of them, a blank page 6%.
CELLS = (50, 100)
TOLERANCE = 0.03
# Chromium as root in a sandboxless container, with no calls home (this machine's network is
# closed, and Chromium's background services would fill the console with refused connections).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Collects CSP violations: init scripts run before the page's own and outside its CSP.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium (`make browser` installs it)",
)


def _cells(image: Image.Image) -> Image.Image:
    return ImageOps.autocontrast(image.convert("L").resize(CELLS, Image.Resampling.BOX))


def _apart(one: Image.Image, other: Image.Image) -> float:
    """The share of cells that differ."""
    difference = ImageChops.difference(_cells(one), _cells(other))
    histogram = difference.histogram()
    return sum(histogram[33:]) / (CELLS[0] * CELLS[1])


async def test_the_page_in_chromium(world: KitWorld, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    await with_numbers(world)
    await world.say("/mediakit slug ana-bakes")
    await world.say("/mediakit text Baker in Lisbon. Brand deals welcome <3")
    shown = await world.say("/mediakit blocks")
    add = next(b for row in shown.buttons for b in row if b.label == "+ Separator")
    await world.tap(add)
    await world.say("/mediakit contact ana@example.com")
    await world.say("/mediakit publish")
    app = Starlette(routes=kit_routes(world.services.mediakit))
    async with serving() as serve, async_playwright() as pw:
        base = await serve(app)
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.add_init_script(WATCH)
            response = await page.goto(f"{base}/kit/ana-bakes")
            assert response is not None and response.status == 200
            violations = await page.evaluate("window.__violations")
            assert errors == [] and violations == []
            # The style sheet applied (allowed by its hash): the theme's radius is on a block.
            radius = await page.eval_on_selector(
                "[data-block=profile]", "e => getComputedStyle(e).borderTopLeftRadius"
            )
            assert radius == "12px"
            blocks = await page.query_selector_all("[data-block]")
            kinds = [await b.get_attribute("data-block") for b in blocks]
            assert kinds == ["profile", "stats", "chart", "text", "separator", "contact"]
            boxes = [await b.bounding_box() for b in blocks]
            assert all(box is not None and box["height"] > 0 for box in boxes)
            tops = [box["y"] for box in boxes if box is not None]
            bottoms = [box["y"] + box["height"] for box in boxes if box is not None]
            assert all(b <= t for b, t in zip(bottoms, tops[1:], strict=False)), boxes
            assert len({round(box["x"]) for box in boxes if box is not None}) == 1
            shot = await page.screenshot(full_page=False)
        finally:
            await browser.close()
    (tmp_path / "kit_page.png").write_bytes(shot)
    if os.environ.get("POSTROOM_UPDATE_BASELINE"):
        BASELINE.parent.mkdir(exist_ok=True)
        shutil.copyfile(tmp_path / "kit_page.png", BASELINE)
    taken = Image.open(io.BytesIO(shot))
    apart = _apart(taken, Image.open(BASELINE))
    assert apart < TOLERANCE, f"{apart:.1%} of the screenshot differs from {BASELINE.name}"
    # The comparison sees layout: the page 40 px lower, or blank, would not pass.
    assert _apart(taken, ImageChops.offset(taken, 0, 40)) > TOLERANCE
    assert _apart(taken, Image.new("RGB", taken.size, "#f4f5f7")) > TOLERANCE
