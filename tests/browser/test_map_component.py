"""Browser tests of the centre map component (components/centre_map.py), offline.

The app under test is tests/browser/apps/map_only.py: six centres in three groups
(G1: A, B; G2: C, D; G3: E, F) near Norwich, nine square test areas. Each test opens
a fresh page, so a fresh Streamlit session with the initial grouping.
Screenshots go to tests/artifacts/ (git-ignored); drop timings to
tests/artifacts/map_timings.json.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
APP = ROOT / "tests" / "browser" / "apps" / "map_only.py"
MAP = '[data-testid="centre-map"]'
INITIAL_GROUPS = {"A": "G1", "B": "G1", "C": "G2", "D": "G2", "E": "G3", "F": "G3"}
COLOURS = {"G1": "#e69f00", "G2": "#0072b2", "G3": "#009e73", "G4": "#cc79a7"}
TIMINGS: dict[str, list[float]] = {}


def _ensure_static_link() -> None:
    """Streamlit serves static/ beside the main script: the app dir links to the repo's."""
    link = APP.parent / "static"
    if not link.exists():
        link.symlink_to(Path("..", "..", "..", "static"), target_is_directory=True)


@pytest.fixture(scope="module")
def app_url(chromium: Any, streamlit_runner: Any) -> Iterator[str]:
    _ensure_static_link()
    with streamlit_runner(APP) as url:
        yield url
    if TIMINGS:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "map_timings.json").write_text(json.dumps(TIMINGS, indent=2))


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def open_map(op: Any, url: str, *, markers: int = 6) -> Any:
    page = op.page
    page.goto(url)
    page.wait_for_selector(f'{MAP}[data-ready="1"]', timeout=30_000)
    loc = page.locator(".leaflet-marker-icon[data-centre-id]")
    deadline = time.monotonic() + 10
    while loc.count() < markers and time.monotonic() < deadline:
        time.sleep(0.05)
    assert loc.count() == markers
    page.locator(MAP).scroll_into_view_if_needed()
    return page


def marker(page: Any, cid: str) -> Any:
    return page.locator(f'.leaflet-marker-icon[data-centre-id="{cid}"]')


def centre_of(loc: Any) -> tuple[float, float]:
    box = loc.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag(page: Any, start: tuple[float, float], end: tuple[float, float], *, steps: int = 15) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def code_value(page: Any, prefix: str) -> Any:
    text = page.locator('[data-testid="stCode"]', has_text=f"{prefix} ").first.inner_text()
    body = text.strip().split(" ", 1)[1]
    return json.loads(body)


def wait_for(page: Any, prefix: str, pred: Callable[[Any], bool], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        try:
            value = code_value(page, prefix)
            if pred(value):
                return value
        except (ValueError, IndexError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"{prefix} never satisfied the condition; last value {value!r}")


def wait_attr(loc: Any, name: str, expected: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = loc.get_attribute(name)
        if value == expected:
            return
        time.sleep(0.03)
    raise AssertionError(f"{name} = {value!r}, expected {expected!r}")


def map_attr(page: Any, name: str) -> str | None:
    return page.locator(MAP).get_attribute(name)


def record_timings(page: Any, label: str) -> dict[str, float]:
    names = ["data-last-recolour-delay-ms", "data-last-paint-delay-ms", "data-last-round-trip-ms"]
    out = {n.removeprefix("data-last-").removesuffix("-ms"): float(map_attr(page, n) or "nan") for n in names}
    for k, v in out.items():
        TIMINGS.setdefault(f"{label}:{k}", []).append(v)
    return out


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.locator(MAP).screenshot(path=str(path))
    return path


def empty_spot(page: Any, min_clearance: float = 90.0) -> tuple[float, float]:
    """A point on the map far from every marker, badge, control and the legend."""
    box = page.locator(MAP).bounding_box()
    obstacles = [centre_of(m) for m in page.locator("[data-centre-id]").all()]
    obstacles += [centre_of(b) for b in page.locator("[data-group-badge]").all()]
    legend = page.locator(".cm-legend").bounding_box()
    best, best_d = None, -1.0
    for i in range(1, 20):
        for j in range(1, 14):
            x = box["x"] + box["width"] * i / 20
            y = box["y"] + box["height"] * j / 14
            if x < box["x"] + 80 and y < box["y"] + 120:  # zoom control
                continue
            if legend and legend["x"] - 40 <= x and legend["y"] - 40 <= y:
                continue
            d = min(math.dist((x, y), o) for o in obstacles)
            if d > best_d:
                best, best_d = (x, y), d
    assert best is not None and best_d >= min_clearance, f"no empty spot (best clearance {best_d:.0f}px)"
    return best


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------


def test_markers_render_offline_with_data_attributes(offline_page: Any, app_url: str) -> None:
    page = open_map(offline_page, app_url)
    for cid, group in INITIAL_GROUPS.items():
        m = marker(page, cid)
        assert m.get_attribute("data-group") == group
        assert m.get_attribute("data-status") == "open"
        assert m.get_attribute("data-colour") == COLOURS[group]
        assert m.inner_text().strip() == group
    assert marker(page, "D").evaluate("e => e.classList.contains('cm-illustrative')")
    assert map_attr(page, "data-areas") == "9"
    assert page.locator("[data-group-badge]").count() == 3
    # A 640 px map starts with its legend collapsed to a "Show key" button; the button opens it.
    toggle = page.locator('.cm-legend [data-role="legend-toggle"]')
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    legend = page.locator(".cm-legend").inner_text()
    assert "G1 · 2 centres" in legend and "closed / merged" in legend
    assert page.locator(".cm-legend").evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 16
    assert all(u.startswith(app_url) for u in offline_page.requests if u.startswith("http"))
    shot(page, "map_small_initial")


def test_drag_onto_other_group_marker_moves_centre(offline_page: Any, app_url: str) -> None:
    page = open_map(offline_page, app_url)
    a, c = marker(page, "A"), marker(page, "C")
    drag(page, centre_of(a), centre_of(c))
    # Recoloured in the browser at once, before Python answers.
    assert a.get_attribute("data-colour") == COLOURS["G2"]
    ev = wait_for(page, "MOVE", lambda v: v is not None)
    assert ev["centre_ids"] == ["A"] and ev["group"] == "G2"
    assert isinstance(ev["seq"], int) and isinstance(ev["t"], int)
    wait_attr(a, "data-group", "G2")
    assert a.get_attribute("data-pending-group") is None
    assert code_value(page, "GROUPS")["A"] == "G2"
    t = record_timings(page, "drop_on_marker")
    assert float(map_attr(page, "data-last-recolour-ms")) < float(map_attr(page, "data-last-confirm-ms"))
    assert t["recolour-delay"] < 50, t
    # The marker snapped back home: centres never move, only change group.
    home = centre_of(marker(page, "C"))
    assert math.dist(centre_of(a), home) > 40
    shot(page, "map_small_after_move")


def test_drop_on_empty_map_makes_new_group(offline_page: Any, app_url: str) -> None:
    page = open_map(offline_page, app_url)
    e = marker(page, "E")
    before = centre_of(e)
    drag(page, before, empty_spot(page))
    assert e.get_attribute("data-colour") == "#ffffff"  # "new group" placeholder, drawn at once
    ev = wait_for(page, "MOVE", lambda v: v is not None)
    assert ev["centre_ids"] == ["E"] and ev["group"] == "__new__"
    wait_attr(e, "data-group", "G4")
    assert e.get_attribute("data-colour") == COLOURS["G4"]
    assert math.dist(centre_of(e), before) < 2
    record_timings(page, "drop_on_empty")


def test_drop_on_group_badge_moves_to_that_group(offline_page: Any, app_url: str) -> None:
    page = open_map(offline_page, app_url)
    b = marker(page, "B")
    badge = page.locator('[data-group-badge="G3"]')
    drag(page, centre_of(b), centre_of(badge))
    ev = wait_for(page, "MOVE", lambda v: v is not None)
    assert ev["centre_ids"] == ["B"] and ev["group"] == "G3"
    wait_attr(b, "data-group", "G3")


def test_short_drag_is_not_a_move(offline_page: Any, app_url: str) -> None:
    page = open_map(offline_page, app_url)
    x, y = centre_of(marker(page, "C"))
    drag(page, (x, y), (x + 6, y + 4), steps=4)
    page.wait_for_timeout(600)
    assert code_value(page, "MOVE") is None
    assert marker(page, "C").get_attribute("data-colour") == COLOURS["G2"]


def test_shift_box_selects_two_and_drag_moves_both(offline_page: Any, app_url: str) -> None:
    page = open_map(offline_page, app_url)
    (ax, ay), (bx, by) = centre_of(marker(page, "A")), centre_of(marker(page, "B"))
    x0, x1 = min(ax, bx) - 30, max(ax, bx) + 30
    y0, y1 = min(ay, by) - 30, max(ay, by) + 30
    for cid in "CDEF":
        cx, cy = centre_of(marker(page, cid))
        assert not (x0 <= cx <= x1 and y0 <= cy <= y1), "test layout: box would catch " + cid
    page.keyboard.down("Shift")
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=10)
    page.mouse.up()
    page.keyboard.up("Shift")
    ev = wait_for(page, "SELECT", lambda v: v is not None)
    assert ev["centre_ids"] == ["A", "B"]
    assert marker(page, "A").get_attribute("data-selected") == "1"
    assert marker(page, "B").get_attribute("data-selected") == "1"
    assert marker(page, "C").get_attribute("data-selected") == "0"
    shot(page, "map_small_selected")

    drag(page, centre_of(marker(page, "A")), centre_of(marker(page, "C")))
    assert marker(page, "B").get_attribute("data-colour") == COLOURS["G2"]
    ev = wait_for(page, "MOVE", lambda v: v is not None)
    assert ev["centre_ids"] == ["A", "B"] and ev["group"] == "G2"
    wait_attr(marker(page, "A"), "data-group", "G2")
    wait_attr(marker(page, "B"), "data-group", "G2")
    record_timings(page, "drop_two_selected")
    assert code_value(page, "SELECT")["centre_ids"] == ["A", "B"]  # the drop did not clear it
    assert marker(page, "A").get_attribute("data-selected") == "1"

    # Esc clears the selection and reports it.
    page.locator(MAP).focus()
    page.keyboard.press("Escape")
    wait_for(page, "SELECT", lambda v: v["centre_ids"] == [])


def test_popup_close_merge_reopen(offline_page: Any, app_url: str) -> None:
    page = open_map(offline_page, app_url)
    c = marker(page, "C")
    c.click()
    popup = page.locator('.cm-popup-body[data-popup-centre="C"]')
    popup.wait_for()
    assert "Cedar Children's Centre" in popup.inner_text()
    page.wait_for_timeout(400)  # let Leaflet's fade-in finish before the screenshot
    shot(page, "map_small_popup")
    popup.locator('button[data-action="close"]').click()
    ev = wait_for(page, "ACTION", lambda v: v is not None)
    assert ev["kind"] == "close" and ev["centre_id"] == "C" and ev["target"] is None
    wait_attr(c, "data-status", "closed")
    assert c.inner_text().strip() == "✕"
    assert page.locator('[data-group-badge="G2"]').count() == 0  # one open centre left: no badge

    marker(page, "D").click()
    popup = page.locator('.cm-popup-body[data-popup-centre="D"]')
    merge = popup.locator('select[data-role="merge-target"]')
    options = merge.locator("option").all_inner_texts()
    assert "Cedar Children's Centre" not in options  # closed centres are not merge targets
    merge.select_option("A")
    popup.locator('button[data-action="merge"]').click()
    ev = wait_for(page, "ACTION", lambda v: v["kind"] == "merge")
    assert ev["centre_id"] == "D" and ev["target"] == "A"
    wait_attr(marker(page, "D"), "data-status", "merged")

    c.click()
    page.locator('.cm-popup-body[data-popup-centre="C"] button[data-action="reopen"]').click()
    ev = wait_for(page, "ACTION", lambda v: v["kind"] == "reopen")
    assert ev["centre_id"] == "C"
    wait_attr(c, "data-status", "open")
    shot(page, "map_small_closed_merged")


def test_keyboard_path_moves_a_centre(offline_page: Any, app_url: str) -> None:
    page = open_map(offline_page, app_url)
    b = marker(page, "B")
    b.focus()
    page.keyboard.press("Enter")
    popup = page.locator('.cm-popup-body[data-popup-centre="B"]')
    popup.wait_for()
    popup.locator('select[data-role="move-group"]').select_option("G3")
    popup.locator('button[data-action="move"]').focus()
    page.keyboard.press("Enter")
    ev = wait_for(page, "MOVE", lambda v: v is not None)
    assert ev == {**ev, "centre_ids": ["B"], "group": "G3"}
    wait_attr(b, "data-group", "G3")


def test_user_text_is_escaped(offline_page: Any, app_url: str) -> None:
    page = open_map(offline_page, app_url)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    f = marker(page, "F")
    f.hover()
    tip = page.locator(".leaflet-tooltip.cm-tip")
    tip.wait_for()
    assert "Fir <img src=x onerror=alert(1)> & Hazel" in tip.inner_text()
    assert "Group G3" in tip.inner_text() and "Reach 380" in tip.inner_text() and "61%" in tip.inner_text()
    assert tip.locator("img").count() == 0
    f.click()
    popup = page.locator('.cm-popup-body[data-popup-centre="F"]')
    popup.wait_for()
    assert popup.locator("img").count() == 0
    page.locator(".leaflet-popup-close-button").click()  # F's popup can cover marker A on a small map
    popup.wait_for(state="detached")
    marker(page, "A").click()
    opts = page.locator('.cm-popup-body[data-popup-centre="A"] select[data-role="merge-target"] option')
    assert "Fir <img src=x onerror=alert(1)> & Hazel" in opts.all_inner_texts()
    marker(page, "D").hover()
    assert "illustrative location" in page.locator(".leaflet-tooltip.cm-tip").inner_text()
    assert dialogs == []


def test_view_survives_reruns_and_boundaries_fetched_once(offline_page: Any, app_url: str) -> None:
    page = open_map(offline_page, app_url)
    zoom0 = float(map_attr(page, "data-zoom"))
    page.locator(".leaflet-control-zoom-in").click()
    deadline = time.monotonic() + 5
    while float(map_attr(page, "data-zoom")) == zoom0 and time.monotonic() < deadline:
        time.sleep(0.05)
    zoom1, center1 = map_attr(page, "data-zoom"), map_attr(page, "data-center")
    assert float(zoom1) > zoom0
    renders = int(map_attr(page, "data-render-count"))

    # A rerun with new data (highlight a group) keeps the view and restyles only.
    page.get_by_label("Highlight group").click()
    page.get_by_role("option", name="G2").click()
    deadline = time.monotonic() + 10
    while "cm-hl" not in (marker(page, "C").get_attribute("class") or "") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "cm-hl" in marker(page, "C").get_attribute("class")
    assert "cm-dim" in marker(page, "A").get_attribute("class")
    assert int(map_attr(page, "data-render-count")) > renders
    assert map_attr(page, "data-zoom") == zoom1 and map_attr(page, "data-center") == center1
    shot(page, "map_small_highlight_g2")

    # Another rerun, caused by a move.
    drag(page, centre_of(marker(page, "E")), centre_of(marker(page, "C")))
    wait_for(page, "MOVE", lambda v: v is not None)
    assert map_attr(page, "data-zoom") == zoom1 and map_attr(page, "data-center") == center1
    assert map_attr(page, "data-boundary-fetches") == "1"
    fetched = [u for u in offline_page.requests if u.endswith("/boundaries/test_small.geojson")]
    assert len(fetched) == 1, fetched


def test_norfolk_readable_screenshot(offline_page: Any, app_url: str) -> None:
    if not (ROOT / "data" / "norfolk_centres.csv").exists():
        pytest.skip("data/norfolk_centres.csv not built")
    page = offline_page.page
    page.goto(f"{app_url}/?mode=norfolk")
    page.wait_for_selector(f'{MAP}[data-ready="1"]', timeout=30_000)
    page.locator(MAP).scroll_into_view_if_needed()
    deadline = time.monotonic() + 10
    while map_attr(page, "data-areas") != "538" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert map_attr(page, "data-areas") == "538"
    assert page.locator(".leaflet-marker-icon[data-centre-id]").count() >= 40
    shot(page, "map_norfolk")
    # Zoom in on Norwich, where centres crowd, for a second look (and a wheel-zoom check).
    page.locator(MAP).evaluate("e => { e.parentElement.__cm.map.setView([52.63, 1.29], 12, {animate: false}); }")
    page.wait_for_timeout(300)
    assert map_attr(page, "data-zoom") == "12"
    shot(page, "map_norfolk_norwich")


def test_works_under_base_url_path(offline_page: Any, streamlit_runner: Any) -> None:
    """Static URLs (Leaflet, boundaries) get ``server.baseUrlPath`` prefixed."""
    _ensure_static_link()
    with streamlit_runner(APP, base_url_path="planner") as url:
        page = open_map(offline_page, f"{url}/")
        assert map_attr(page, "data-areas") == "9"
        assert any(u.endswith("/planner/app/static/vendor/leaflet/leaflet-src.esm.js") for u in offline_page.requests)
