"""Browser tests of the whole Plan page (app.py), offline, on the embedded Norfolk default.

One Streamlit server runs ``app.py`` for the module; each test opens a fresh page, so a
fresh session at the baseline (54 centres, each its own group G1..G54). Every request to
a host other than localhost is aborted and recorded (``offline_page`` in conftest.py);
each test asserts that none happened.

The expected figures are computed here with ``lib`` (the same functions the page calls)
and compared with what the page shows: the headline metrics (``stMetric``) and the group
table. The group table is a canvas grid (glide-data-grid); its visible rows are mirrored in
an accessible ``<table role="grid">`` that the tests read.

Centres are picked from the markers' screen positions (isolated ones, whose centre point
is not covered by another marker), not hard-coded, so the tests survive data changes.
Screenshots: tests/artifacts/plan_*.png (git-ignored).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import pick_option

from lib.budget import money

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
APP = ROOT / "app.py"
MAP = '[data-testid="centre-map"]'
MARKERS = ".leaflet-marker-icon[data-centre-id]"
N_CENTRES = 54
WAIT_MS = 20_000  # a rerun on this shared 2-core box can take a few seconds


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan_url(chromium: Any, streamlit_runner: Any) -> Iterator[str]:
    with streamlit_runner(APP, timeout=90.0) as url:
        yield url


@pytest.fixture(scope="module")
def norfolk() -> Any:
    """The network the page plans on: ``lib.catchment.prepare(lib.data.load_default())``."""
    from lib.catchment import prepare
    from lib.data import load_default

    return prepare(load_default())


# ---------------------------------------------------------------------------
# expected figures, from lib
# ---------------------------------------------------------------------------


def baseline(net: Any) -> Any:
    from lib.scenario import Scenario

    return Scenario.baseline(net.centre_ids)


def figures(net: Any, scenario: Any) -> tuple[dict, Any]:
    """(totals, groups table) of ``scenario`` as lib computes them."""
    from lib.metrics import evaluate

    ev = evaluate(net, scenario)
    return ev.totals(), ev.groups_table().set_index("group")


# ---------------------------------------------------------------------------
# page helpers
# ---------------------------------------------------------------------------


def open_plan(op: Any, url: str) -> Any:
    page = op.page
    page.goto(url)
    page.wait_for_selector(f'{MAP}[data-ready="1"]', timeout=60_000)
    from playwright.sync_api import expect

    expect(page.locator(MARKERS)).to_have_count(N_CENTRES, timeout=WAIT_MS)
    expect(metric(page, "Lots")).to_have_text(str(N_CENTRES), timeout=WAIT_MS)
    return page


def metric_box(page: Any, label: str) -> Any:
    """The headline metric labelled ``label`` (label, value and delta)."""
    return page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))


def metric(page: Any, label: str) -> Any:
    """The value of the headline metric labelled ``label``."""
    return metric_box(page, label).locator('[data-testid="stMetricValue"]')


def marker(page: Any, cid: str) -> Any:
    return page.locator(f'.leaflet-marker-icon[data-centre-id="{cid}"]')


def markers(page: Any) -> list[dict]:
    """Every marker: id, group, status, centre point (page px), whether that point is the marker's
    own (not covered by another), and the distance to the nearest other marker."""
    ms = page.locator(MARKERS).evaluate_all(
        """els => els.map(e => {
            const r = e.getBoundingClientRect();
            const x = r.x + r.width / 2, y = r.y + r.height / 2;
            const top = e.getRootNode().elementFromPoint(x, y);
            return {id: e.dataset.centreId, group: e.dataset.group, status: e.dataset.status,
                    x, y, top: !!top && e.contains(top)};
        })""")
    for m in ms:
        m["clear"] = min(math.dist((m["x"], m["y"]), (o["x"], o["y"])) for o in ms if o is not m)
    return ms


def group_number(label: str) -> int:
    m = re.fullmatch(r"G(\d+)", label)
    return int(m.group(1)) if m else 10**6


def isolated(page: Any, min_clear: float = 40.0) -> list[dict]:
    """Open markers whose centre is uncovered and at least ``min_clear`` px from every other, most isolated first."""
    ms = [m for m in markers(page) if m["top"] and m["status"] == "open" and m["clear"] >= min_clear]
    return sorted(ms, key=lambda m: -m["clear"])


def centre_of(loc: Any) -> tuple[float, float]:
    box = loc.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag(page: Any, start: tuple[float, float], end: tuple[float, float], *, steps: int = 15) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def group_cell(page: Any, group: str, column: int) -> Any:
    """Cell ``column`` (1-based: 1 Group, 3 Open, 4 Reach) of ``group``'s row in the group table's
    accessible grid (only rows visible in the grid are present)."""
    row = page.locator('[data-testid="stDataFrame"] tbody tr[role="row"]').filter(
        has=page.locator('td[aria-colindex="1"]', has_text=re.compile(rf"^{re.escape(group)}$")))
    return row.locator(f'td[aria-colindex="{column}"]')


def number_text(n: float) -> re.Pattern[str]:
    """The grid shows raw or formatted numbers: 1234, 1,234 or 1234.0."""
    n = round(n)
    return re.compile(rf"^\s*({n}|{n:,})(\.0+)?\s*$")


def shot(page: Any, name: str, *, full: bool = False) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.mouse.move(2, 2)  # no hover tooltip over the map
    page.wait_for_timeout(250)
    if full:
        page.screenshot(path=str(path))
    else:
        page.locator(MAP).screenshot(path=str(path))
    return path


def expect_figures(page: Any, totals: dict) -> None:
    from playwright.sync_api import expect

    expect(metric(page, "Lots")).to_have_text(f"{totals['lots']:,}", timeout=WAIT_MS)
    expect(metric(page, "Open centres")).to_have_text(f"{totals['open_centres']:,}", timeout=WAIT_MS)
    expect(metric(page, "Budget total")).to_have_text(money(totals["budget_total"]), timeout=WAIT_MS)


def assert_offline(op: Any) -> None:
    assert op.blocked == [], f"page tried to reach the network: {op.blocked}"


def tab_to(page: Any, predicate_js: str, max_tabs: int = 12) -> None:
    """Press Tab until ``predicate_js`` (a function of document.activeElement) is true."""
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => ({predicate_js})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element with {predicate_js}")


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------


def test_drag_onto_other_group_updates_marker_metrics_and_table(offline_page: Any, plan_url: str,
                                                                 norfolk: Any) -> None:
    from playwright.sync_api import expect

    page = open_plan(offline_page, plan_url)
    shot(page, "plan_baseline", full=True)
    iso = isolated(page)
    # Target: a low-numbered group, so its row is among the group table's first (visible) rows.
    low = [m for m in iso if group_number(m["group"]) <= 10]
    assert low, f"no isolated marker in G1..G10: {[m['group'] for m in iso]}"
    target = min(low, key=lambda m: group_number(m["group"]))
    source = next(m for m in iso if m["id"] != target["id"])
    group = target["group"]
    assert source["group"] != group

    drag(page, (source["x"], source["y"]), (target["x"], target["y"]))
    src = marker(page, source["id"])
    expect(src).to_have_attribute("data-group", group, timeout=WAIT_MS)
    expect(src).not_to_have_attribute("data-pending-group", re.compile(".*"), timeout=WAIT_MS)

    totals, groups = figures(norfolk, baseline(norfolk).move([source["id"]], group))
    assert totals["groups"] == N_CENTRES - 1
    expect_figures(page, totals)
    # The group table: the target group now has two open centres and lib's reach.
    expect(group_cell(page, group, 3)).to_have_text(number_text(groups.at[group, "open_centres"]), timeout=WAIT_MS)
    expect(group_cell(page, group, 4)).to_have_text(number_text(groups.at[group, "reach"]), timeout=WAIT_MS)
    assert groups.at[group, "open_centres"] == 2
    shot(page, "plan_after_drag", full=True)
    shot(page, "plan_map_after_drag")
    # What a projector at 1280x720 shows.
    page.set_viewport_size({"width": 1280, "height": 720})
    page.wait_for_timeout(500)
    shot(page, "plan_projector_1280x720", full=True)
    assert_offline(offline_page)


class HeldAnswers:
    """The app's websocket with Python's answers held back on request: what the page shows at a drop
    before the server has said anything (``page.route_web_socket``; the page's messages always go through).
    ``holding = True`` holds every message from now on; ``hold_from = n`` lets messages through until the
    first of at least n bytes (the map's data, drawn after the figures), and holds it and all after it."""

    def __init__(self, page: Any) -> None:
        self.holding = False
        self.hold_from: int | None = None
        self.held: list[Any] = []
        self.to_page: Any = None
        page.route_web_socket(re.compile(r".*/_stcore/stream$"), self._route)

    def _route(self, ws: Any) -> None:
        server = ws.connect_to_server()
        self.to_page = ws
        server.on_message(self._from_server)

    def _from_server(self, msg: Any) -> None:
        if self.hold_from is not None and len(msg) >= self.hold_from:
            self.holding = True
        if self.holding:
            self.held.append(msg)
        else:
            self.to_page.send(msg)

    def release(self) -> None:
        self.holding, self.hold_from = False, None
        for msg in self.held:
            self.to_page.send(msg)
        self.held.clear()


def test_a_drop_paints_the_figures_before_python_answers_and_python_has_the_last_word(
        offline_page: Any, plan_url: str, norfolk: Any) -> None:
    from playwright.sync_api import expect

    answers = HeldAnswers(offline_page.page)
    page = open_plan(offline_page, plan_url)
    iso = isolated(page)
    source, target = iso[0], iso[1]
    totals, _ = figures(norfolk, baseline(norfolk).move([source["id"]], target["group"]))
    base, _ = figures(norfolk, baseline(norfolk))
    lots, budget = metric(page, "Lots"), metric(page, "Budget total")
    expect(lots).to_have_text(f"{N_CENTRES}")

    answers.holding = True
    drag(page, (source["x"], source["y"]), (target["x"], target["y"]))
    src = marker(page, source["id"])
    expect(src).to_have_attribute("data-pending-group", target["group"], timeout=WAIT_MS)
    # Nothing from Python yet, and the figures a move changes already show the move (lib's figures).
    expect(lots).to_have_text(f"{N_CENTRES - 1}", timeout=2_000)
    expect(budget).to_have_text(money(totals["budget_total"]))
    pending = page.locator('.st-key-headline_figures [data-testid="stMetric"][data-figures-pending="1"]')
    expect(pending).to_have_count(3)  # lots, budget and the envelope gap; the other five do not change
    assert answers.held, "the server's answer was not held back"
    shot(page, "plan_figures_before_python")

    # Python's answer never arrives within the marker's patience (10 s): the page goes back to what
    # Python last said, rather than keep a figure nobody confirmed ...
    page.wait_for_timeout(10_500)
    expect(lots).to_have_text(f"{N_CENTRES}")
    expect(budget).to_have_text(money(base["budget_total"]))
    expect(pending).to_have_count(0)
    # ... and when it does arrive, Python's figures stand.
    answers.release()
    expect(src).to_have_attribute("data-group", target["group"], timeout=WAIT_MS)
    expect(lots).to_have_text(f"{N_CENTRES - 1}", timeout=WAIT_MS)
    expect(budget).to_have_text(money(totals["budget_total"]))
    expect(pending).to_have_count(0)
    assert_offline(offline_page)


def test_figures_that_arrived_before_a_late_map_answer_are_kept(offline_page: Any, plan_url: str,
                                                                norfolk: Any) -> None:
    """Python's figures reach the page, its map data does not within the marker's patience: the page
    falls back to the map's last figures, then shows Python's again when the map's data arrives (React
    already holds those and would not write them twice)."""
    from playwright.sync_api import expect

    answers = HeldAnswers(offline_page.page)
    page = open_plan(offline_page, plan_url)
    source, target = isolated(page)[:2]
    totals, _ = figures(norfolk, baseline(norfolk).move([source["id"]], target["group"]))
    lots, budget = metric(page, "Lots"), metric(page, "Budget total")
    answers.hold_from = 50_000  # the map's data (about 100 KB); the figures come before it
    drag(page, (source["x"], source["y"]), (target["x"], target["y"]))
    src = marker(page, source["id"])
    expect(lots).to_have_text(f"{N_CENTRES - 1}", timeout=2_000)
    page.wait_for_timeout(10_500)
    assert answers.held and answers.holding, "the map's answer was not held back"
    expect(src).not_to_have_attribute("data-pending-group", re.compile(".*"))  # given up waiting
    answers.release()
    expect(src).to_have_attribute("data-group", target["group"], timeout=WAIT_MS)
    expect(lots).to_have_text(f"{N_CENTRES - 1}", timeout=WAIT_MS)
    expect(budget).to_have_text(money(totals["budget_total"]))
    assert_offline(offline_page)


def test_budget_cut_shows_a_green_down_arrow(offline_page: Any, plan_url: str, norfolk: Any) -> None:
    from playwright.sync_api import expect

    page = open_plan(offline_page, plan_url)
    iso = isolated(page)
    source, target = iso[0], iso[1]
    drag(page, (source["x"], source["y"]), (target["x"], target["y"]))
    totals, _ = figures(norfolk, baseline(norfolk).move([source["id"]], target["group"]))
    expect_figures(page, totals)
    assert totals["budget_total"] < totals["baseline_total"]
    budget = metric_box(page, "Budget total")
    expect(budget.locator('[data-testid="stMetricDelta"]')).to_have_count(1, timeout=WAIT_MS)
    assert_offline(offline_page)
    shown = budget.inner_text(timeout=5_000)
    assert budget.locator('[data-testid="stMetricDeltaIcon-Down"]').count() == 1, f"budget cut shown as {shown!r}"


def _box_pair(page: Any) -> tuple[dict, dict, tuple[float, float, float, float]]:
    """Two close centres (different groups) and a screen box around them that holds no other marker
    and whose corners are on bare map (not on a marker or a control)."""
    ms = [m for m in markers(page) if m["status"] == "open"]
    near = sorted(
        ((a, b) for i, a in enumerate(ms) for b in ms[i + 1:]
         if a["top"] and b["top"] and 36 <= math.dist((a["x"], a["y"]), (b["x"], b["y"])) <= 110),
        key=lambda ab: math.dist((ab[0]["x"], ab[0]["y"]), (ab[1]["x"], ab[1]["y"])))
    for a, b in near:
        for pad in (24, 28, 32, 36):
            x0, x1 = min(a["x"], b["x"]) - pad, max(a["x"], b["x"]) + pad
            y0, y1 = min(a["y"], b["y"]) - pad, max(a["y"], b["y"]) + pad
            others = [m for m in ms if m is not a and m is not b]
            if any(x0 - 20 <= m["x"] <= x1 + 20 and y0 - 20 <= m["y"] <= y1 + 20 for m in others):
                continue  # another marker inside (or touching) the box
            corners_clear = page.locator(MAP).evaluate(
                """(mapEl, pts) => pts.every(([x, y]) => {
                    const t = mapEl.getRootNode().elementFromPoint(x, y);
                    return !!t && mapEl.contains(t)
                        && !t.closest('.leaflet-marker-icon, .leaflet-control, .leaflet-popup');
                })""",
                [[x0, y0], [x1, y1]])
            if corners_clear:
                return a, b, (x0, y0, x1, y1)
    raise AssertionError("no pair of close centres with a clear box around them")


def test_shift_box_selects_two_then_drag_moves_both(offline_page: Any, plan_url: str, norfolk: Any) -> None:
    from playwright.sync_api import expect

    page = open_plan(offline_page, plan_url)
    a, b, (x0, y0, x1, y1) = _box_pair(page)
    page.keyboard.down("Shift")
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=10)
    page.mouse.up()
    page.keyboard.up("Shift")
    expect(marker(page, a["id"])).to_have_attribute("data-selected", "1", timeout=WAIT_MS)
    expect(marker(page, b["id"])).to_have_attribute("data-selected", "1", timeout=WAIT_MS)
    assert page.locator(f'{MARKERS}[data-selected="1"]').count() == 2
    shot(page, "plan_map_box_selected")

    # A third centre, away from the pair, in another group.
    third = next(m for m in isolated(page) if m["id"] not in (a["id"], b["id"])
                 and m["group"] not in (a["group"], b["group"]))
    group = third["group"]
    drag(page, centre_of(marker(page, a["id"])), (third["x"], third["y"]))
    expect(marker(page, a["id"])).to_have_attribute("data-group", group, timeout=WAIT_MS)
    expect(marker(page, b["id"])).to_have_attribute("data-group", group, timeout=WAIT_MS)

    totals, _ = figures(norfolk, baseline(norfolk).move([a["id"], b["id"]], group))
    assert totals["groups"] == N_CENTRES - 2
    expect_figures(page, totals)
    expect(page.locator(f'[data-group-badge="{group}"]')).to_have_count(1, timeout=WAIT_MS)
    shot(page, "plan_map_after_box_move")
    assert_offline(offline_page)


def test_keyboard_form_moves_a_centre(offline_page: Any, plan_url: str, norfolk: Any) -> None:
    from playwright.sync_api import expect

    page = open_plan(offline_page, plan_url)
    base = baseline(norfolk)
    names = dict(zip(norfolk.centre_ids, norfolk.dataset.centres["name"], strict=True))
    cid, into = norfolk.centre_ids[10], norfolk.centre_ids[2]
    group = base.group_of[into]
    label = f"{names[cid]} ({base.group_of[cid]})"

    centres = page.get_by_role("combobox", name="Centre(s)")
    pick_option(page, centres, names[cid], re.compile(rf"^{re.escape(label)}$"))
    page.keyboard.press("Escape")  # close the list; the chip stays
    form = page.locator('[data-testid="stForm"]').filter(has=centres)
    expect(form.locator('[data-testid="stMultiSelect"]')).to_contain_text(names[cid])

    tab_to(page, "e => e.getAttribute('aria-label') === 'To group'")
    to_group = page.get_by_role("combobox", name="To group")
    pick_option(page, to_group, f"{group}: ", re.compile(rf"^{re.escape(group)}: "))
    tab_to(page, "e => e.tagName === 'BUTTON' && e.innerText.trim() === 'Move'")
    page.keyboard.press("Enter")

    expect(marker(page, cid)).to_have_attribute("data-group", group, timeout=WAIT_MS)
    totals, _ = figures(norfolk, base.move([cid], group))
    expect_figures(page, totals)
    assert_offline(offline_page)


def test_keyboard_type_name_and_enter_selects_only_that_centre(offline_page: Any, plan_url: str,
                                                              norfolk: Any) -> None:
    page = open_plan(offline_page, plan_url)
    names = dict(zip(norfolk.centre_ids, norfolk.dataset.centres["name"], strict=True))
    name = names[norfolk.centre_ids[35]]
    centres = page.get_by_role("combobox", name="Centre(s)")
    centres.focus()
    page.keyboard.type(name.split()[0])
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    chips = page.locator('[data-testid="stForm"]').filter(has=centres).locator('[data-testid="stMultiSelect"]')
    page.wait_for_timeout(300)
    text = chips.inner_text()
    assert_offline(offline_page)
    picked = [n for n in names.values() if n in text]
    assert picked == [name], f"typing {name.split()[0]!r} + Enter selected {len(picked)} centres: {picked[:5]}"


def test_undo_and_redo(offline_page: Any, plan_url: str, norfolk: Any) -> None:
    from playwright.sync_api import expect

    page = open_plan(offline_page, plan_url)
    base_totals, _ = figures(norfolk, baseline(norfolk))
    undo = page.get_by_role("button", name="↶ Undo")
    redo = page.get_by_role("button", name="↷ Redo")
    expect(undo).to_be_disabled()

    iso = isolated(page)
    source, target = iso[0], iso[1]
    group, home = target["group"], source["group"]
    drag(page, (source["x"], source["y"]), (target["x"], target["y"]))
    src = marker(page, source["id"])
    expect(src).to_have_attribute("data-group", group, timeout=WAIT_MS)
    moved_totals, _ = figures(norfolk, baseline(norfolk).move([source["id"]], group))
    expect_figures(page, moved_totals)

    undo.click()
    expect(src).to_have_attribute("data-group", home, timeout=WAIT_MS)
    expect_figures(page, base_totals)
    expect(undo).to_be_disabled(timeout=WAIT_MS)
    expect(redo).to_be_enabled(timeout=WAIT_MS)

    redo.click()
    expect(src).to_have_attribute("data-group", group, timeout=WAIT_MS)
    expect_figures(page, moved_totals)
    expect(redo).to_be_disabled(timeout=WAIT_MS)
    assert_offline(offline_page)


def test_close_centre_from_popup(offline_page: Any, plan_url: str, norfolk: Any) -> None:
    from playwright.sync_api import expect

    page = open_plan(offline_page, plan_url)
    expect(metric(page, "Open centres")).to_have_text(str(N_CENTRES))
    m = isolated(page)[0]
    mk = marker(page, m["id"])
    mk.click()
    popup = page.locator(f'.cm-popup-body[data-popup-centre="{m["id"]}"]')
    popup.wait_for(timeout=WAIT_MS)
    page.wait_for_timeout(300)  # let Leaflet's fade-in finish before the screenshot
    shot(page, "plan_map_popup")
    popup.locator('button[data-action="close"]').click()

    expect(mk).to_have_attribute("data-status", "closed", timeout=WAIT_MS)
    totals, _ = figures(norfolk, baseline(norfolk).close(m["id"]))
    assert totals["open_centres"] == N_CENTRES - 1
    expect_figures(page, totals)
    expect(metric(page, "Travel further")).not_to_have_text("0", timeout=WAIT_MS)
    shot(page, "plan_after_close", full=True)
    assert_offline(offline_page)


def test_group_table_row_selection_highlights_group_on_map(offline_page: Any, plan_url: str) -> None:
    from playwright.sync_api import expect

    page = open_plan(offline_page, plan_url)
    table = page.locator('[data-testid="stDataFrame"]').first
    table.scroll_into_view_if_needed()
    row = 2  # the third group in natural order (G3 at the baseline)
    expect(group_cell(page, "G3", 1)).to_have_count(1, timeout=WAIT_MS)
    g3_row = page.locator('[data-testid="stDataFrame"] tbody tr[role="row"]').filter(
        has=page.locator('td[aria-colindex="1"]', has_text=re.compile(r"^G3$")))
    for _attempt in range(3):  # the grid may still be laying out right after the scroll
        page.wait_for_timeout(300)
        box = table.bounding_box()
        assert box is not None
        # Row height 35 px, header 35 px; the row-selection checkbox sits in the first ~30 px.
        page.mouse.click(box["x"] + 14, box["y"] + 35 + 35 * row + 17)
        try:
            expect(g3_row).to_have_attribute("aria-selected", "true", timeout=5_000)
            break
        except AssertionError:
            continue
    expect(g3_row).to_have_attribute("aria-selected", "true", timeout=1_000)
    expect(page.locator(".leaflet-marker-icon.cm-hl")).to_have_count(1, timeout=WAIT_MS)
    assert page.locator(".leaflet-marker-icon.cm-hl").get_attribute("data-group") == "G3"
    expect(page.locator(".leaflet-marker-icon.cm-dim")).to_have_count(N_CENTRES - 1, timeout=WAIT_MS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(2, 2)
    table.screenshot(path=str(ARTIFACTS / "plan_group_table.png"))
    page.locator(MAP).scroll_into_view_if_needed()
    shot(page, "plan_map_highlight")
    assert_offline(offline_page)
