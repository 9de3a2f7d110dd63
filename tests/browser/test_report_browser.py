"""Browser: the briefing report opened from disk in Debian's chromium with every request refused that
is not file:, data:, about: or blob: — nothing is refused, the interactive map draws every lot, its
tooltips show hostile text as text — with screenshots of the screen and of the PDF's first page."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pypdfium2
import pytest

from lib import examples, pack, report
from lib.catchment import prepare
from lib.data import load_default
from lib.metrics import evaluate
from lib.scenario import Scenario

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"  # git-ignored
LOCAL_SCHEMES = {"file", "data", "about", "blob"}
HOSTILE = "<img src=x onerror=window.__pwned=1>"


@pytest.fixture(scope="module")
def board_pack() -> pack.BoardPack:
    net = prepare(load_default())
    centres = net.dataset.centres.copy()
    centres.loc[0, "name"] = HOSTILE  # King's Lynn and West Norfolk's first centre
    net = prepare(replace(net.dataset, centres=centres))
    sc = examples.starting_points(net, evaluate(net, Scenario.baseline(net.centre_ids)).centre["reach"])[1]
    sc = sc.with_lots(["BRE", "NOR"], route="application", lead_agency="Action for Children")
    note = {"kind": "challenge", "group": "BRE", "text": "Thetford families would travel further", "author": "Ann",
            "when": "2026-12-01 10:00"}
    return pack.build_pack(evaluate(net, sc), notes=[note], attribution=(
        "Contains public sector information licensed under the Open Government Licence v3.0."))


def test_the_report_opens_offline_and_draws_its_maps(chromium, board_pack, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(report.report_html(board_pack), encoding="utf-8")
    context = chromium.new_context(viewport={"width": 1200, "height": 900}, device_scale_factor=1)
    refused: list[str] = []
    errors: list[str] = []

    def route(r):
        if urlparse(r.request.url).scheme in LOCAL_SCHEMES:
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    lots = len(board_pack.lots)
    frame_el = page.locator("iframe")
    frame_el.scroll_into_view_if_needed()
    frame = page.frame_locator("iframe")
    paths = frame.locator("path.leaflet-interactive")
    frame.locator(".leaflet-zoom-animated").first.wait_for(state="attached", timeout=15_000)
    assert paths.count() >= lots + 54  # one polygon per lot and a circle per centre
    assert frame.locator("a[href^='http']").count() == 0  # no Leaflet attribution link
    for _ in range(60):  # the map fits itself to the lots once its frame has loaded (later on a busy machine)
        box, map_box = paths.first.bounding_box(), frame_el.bounding_box()
        if box and box["width"] > 20:
            break
        page.wait_for_timeout(250)
    assert box and map_box and box["width"] > 20 and box["y"] >= map_box["y"] - 1  # fitted to the lots

    # a lot's tooltip, and the hostile centre name shown as text (no image made, no script run)
    paths.first.hover(force=True)
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.first.wait_for(timeout=10_000)
    assert "Lot value" in tooltip.first.inner_text()
    centre = frame.locator("path.leaflet-interactive").nth(lots)  # the first centre's circle
    page.mouse.move(0, 0)
    centre.hover(force=True)
    frame.get_by_text(HOSTILE).first.wait_for(timeout=10_000)
    assert frame.locator("img").count() == 0
    assert frame.locator("body").evaluate("() => window.__pwned") is None
    assert page.evaluate("() => window.__pwned") is None
    page.mouse.move(0, 0)

    # the static map, the charts, and the print layout (the interactive map left out)
    assert page.locator("figure.static-map svg path.lot").count() == lots
    assert page.locator("figure.waterfall svg rect.bar").count() == len(board_pack.waterfall) + 2
    page.wait_for_timeout(500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # the whole page as one viewport: a full_page capture leaves the sandboxed map frame blank
    page.set_viewport_size({"width": 1200, "height": page.evaluate("() => document.body.scrollHeight")})
    frame.locator(".leaflet-control-zoom").wait_for()
    page.wait_for_timeout(800)
    page.screenshot(path=str(SCREENSHOTS / "report_screen.png"))
    page.emulate_media(media="print")
    assert page.locator(".interactive").is_hidden()
    assert page.locator("figure.static-map").is_visible()
    context.close()
    assert refused == [], f"the report asked for: {refused}"
    assert errors == []


def test_the_pdf_first_page_is_drawn(board_pack):
    doc = pypdfium2.PdfDocument(report.report_pdf(board_pack))
    image = doc[0].render(scale=2).to_pil()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOTS / "report_pdf_page1.png")
    assert (np.asarray(image.convert("L")) < 200).mean() > 0.01  # text and cards, not a blank page
