"""Browser test of the Compare page's small-multiple maps (views/compare.py), offline.

The app runs on a fresh SQLite file (``DATABASE_URL``) with the Norfolk default; the Compare page opens
with its default pick (the current scenario and the first example). In Debian's chromium with software
WebGL (deck.gl), at a projector's 1280 px and a wider 1600 px screen:

- each map is titled with its scenario's name and has a legend of its group colours under it, and one
  legend of the dots and white areas follows the maps;
- each map shows the county whole and filling it: the bounding box of the pixels that are not page
  background (screenshot of the map element, read with PIL) touches none of the map's four edges (nothing
  clipped) and comes within a few px of the fitting padding on two opposite sides (it fills the map).

Screenshots: tests/artifacts/compare_maps.png (1280) and compare_maps_1600.png, and each map alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import WAIT_MS, expect, shot

from lib.compare import MAP_PADDING_PX

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
DECKS = '[data-testid="stDeckGlJsonChart"]'
SLACK_PX = 8  # how far inside its fitted padding the county may stop on the binding sides


@pytest.fixture(scope="module")
def app(chromium_webgl: Any, app_server_runner: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = f"sqlite:///{tmp_path_factory.mktemp('compare-maps-db') / 'scenarios.sqlite3'}"
    with app_server_runner(APP, {"DATABASE_URL": db}, timeout=90.0) as url:
        yield url


def county_box(png: Path) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """((width, height), (left, top, right, bottom)) of the pixels that are not the page's white,
    ``right``/``bottom`` inclusive."""
    from PIL import Image, ImageChops

    with Image.open(png) as im:
        rgb = im.convert("RGB")
        diff = ImageChops.difference(rgb, Image.new("RGB", rgb.size, (255, 255, 255))).convert("L")
        mask = diff.point(lambda v: 255 if v > 24 else 0)
        box = mask.getbbox()
        assert box is not None, f"{png.name}: the map is blank"
        left, top, right, bottom = box
        return rgb.size, (left, top, right - 1, bottom - 1)


def open_compare(page: Any, url: str) -> Any:
    page.goto(f"{url}/compare")
    expect(page.get_by_role("heading", name="Compare scenarios")).to_be_visible(timeout=90_000)
    decks = page.locator(DECKS)
    expect(decks).to_have_count(2, timeout=WAIT_MS)
    expect(decks.locator("canvas")).to_have_count(2, timeout=WAIT_MS)
    heading = page.get_by_role("heading", name="Maps (areas coloured by group)", exact=True)
    heading.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(2500)  # deck.gl draws on the next animation frames (software WebGL is slow)
    return decks


@pytest.mark.parametrize("width,height,name", [(1280, 800, "compare_maps"), (1600, 1000, "compare_maps_1600")])
def test_small_maps_show_each_county_whole(offline_contexts: Any, app: str, width: int, height: int,
                                           name: str) -> None:
    op = offline_contexts(width=width, height=height)
    page = op.page
    decks = open_compare(page, app)

    chips = page.locator('[data-testid="stMultiSelect"]').inner_text()
    assert "Current:" in chips and chips.count("Example:") == 1, chips
    example = next(line.strip() for line in chips.splitlines() if line.strip().startswith("Example:"))

    # Titles, legends.
    titles = [d.evaluate("""e => { let c = e; while (c && !c.matches('[data-testid="stColumn"]')) c = c.parentElement;
                                   return c ? c.innerText : ''; }""") for d in decks.all()]
    assert titles[0].startswith("Current:"), titles
    assert titles[1].startswith(example), titles
    assert all("groups ·" in t for t in titles), titles
    maps_section = page.locator('[data-testid="stMain"]')
    for words in ("open centre", "closed centre", "no open centre within reach"):
        expect(maps_section.get_by_text(words, exact=True).first).to_be_visible(timeout=WAIT_MS)

    # The screenshot of the maps (and what comes just below: the legends).
    first = decks.nth(0).bounding_box()
    last = decks.nth(1).bounding_box()
    assert first and last
    page.mouse.move(2, 2)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ROOT / "tests" / "artifacts" / f"{name}.png"),
                    clip={"x": 0, "y": max(0, first["y"] - 120), "width": width,
                          "height": min(height - max(0, first["y"] - 120), first["height"] + 320)})

    for i in range(2):
        deck = decks.nth(i)
        canvas = deck.locator("canvas").first
        c_box, d_box = canvas.bounding_box(), deck.bounding_box()
        assert c_box and d_box and c_box["width"] > 200 and c_box["height"] > 200, c_box
        assert abs(c_box["width"] - d_box["width"]) < 2, (c_box, d_box)  # the map takes its column
        png = shot(page, f"{name}_map{i + 1}", canvas)
        (w, h), (left, top, right, bottom) = county_box(png)
        margins = {"left": left, "top": top, "right": w - 1 - right, "bottom": h - 1 - bottom}
        assert min(margins.values()) >= 2, f"map {i + 1} ({w}x{h}): the county is cut off: margins {margins}"
        horizontal = max(margins["left"], margins["right"]) <= MAP_PADDING_PX + SLACK_PX
        vertical = max(margins["top"], margins["bottom"]) <= MAP_PADDING_PX + SLACK_PX
        assert horizontal or vertical, f"map {i + 1} ({w}x{h}): the county does not fill the map: margins {margins}"
        # Centred: the two margins of each axis within a few px of each other.
        assert abs(margins["left"] - margins["right"]) <= 6 or not horizontal, margins
        assert abs(margins["top"] - margins["bottom"]) <= 6 or not vertical, margins
    assert op.blocked == []
