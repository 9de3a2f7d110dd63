"""Browser tests of saved scenarios (app.py, views/scenarios.py, views/compare.py), offline.

One Streamlit server runs ``app.py`` for this module on its own temporary SQLite file
(``DATABASE_URL``), so nothing touches ``var/``. Each browser context is a fresh Streamlit
session; every request to a host other than localhost is aborted and the test fails if one
was tried (``offline_contexts`` in conftest.py).

- save + share link: a keyboard move on the Plan page, "Save as new" on the Scenarios page, the
  ``?scenario=<id>`` link opened in a second browser shows the same figures and grouping; the
  ``&view=1`` link has no Move form and ignores a drag;
- compare: the current scenario against "Example: 2019 review (15 bases)": the differences
  table, the "N of 54 centres differ" caption, the small-multiple maps; screenshots at
  1280x720 (a projector) in tests/artifacts/compare_*.png;
- conflict: two browsers edit the same saved scenario; the second save is refused ("Nothing was
  overwritten") and its work is kept with "Save as copy".

Expected figures come from ``lib`` (the functions the pages call). Helpers here are the
module's own (no imports from other test modules, which change independently).

Two checks end in a conditional ``pytest.xfail`` naming a known app bug, after every other
assertion has passed: they pass by themselves once the bug is fixed (the read-only map is
mounted anew after a refused drag; a small-multiple map drawn as one flat colour).
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
APP = ROOT / "app.py"
MAP = '[data-testid="centre-map"]'
MARKERS = ".leaflet-marker-icon[data-centre-id]"
N_CENTRES = 54
WAIT_MS = 30_000  # a rerun on a loaded 2-core box can take several seconds
REVIEW = "Example: 2019 review (15 bases)"
LINK_RE = re.compile(r"^(https?://[^?\s]+?)/?\?scenario=([A-Za-z0-9_-]+)$")


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(chromium_webgl: Any, app_server_runner: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The app on a fresh SQLite file: ``{"url": ..., "db": ...}``."""
    db = f"sqlite:///{tmp_path_factory.mktemp('scenarios-db') / 'scenarios.sqlite3'}"
    with app_server_runner(APP, {"DATABASE_URL": db}, timeout=90.0) as url:
        yield {"url": url, "db": db}


@pytest.fixture(scope="module")
def norfolk() -> Any:
    """The network the app plans on (the embedded Norfolk default)."""
    from lib.catchment import prepare
    from lib.data import load_default

    return prepare(load_default())


@pytest.fixture(scope="module")
def names(norfolk: Any) -> dict[str, str]:
    return dict(zip(norfolk.centre_ids, norfolk.dataset.centres["name"], strict=True))


# ---------------------------------------------------------------------------
# page helpers
# ---------------------------------------------------------------------------


def expect(*args: Any) -> Any:
    from playwright.sync_api import expect as _expect

    return _expect(*args)


def start_plan(page: Any, url: str) -> Any:
    """Start loading ``url`` (the Plan page, possibly with ``?scenario=``); pages load in parallel."""
    page.goto(url, wait_until="commit")
    return page


def open_plan(page: Any, url: str | None = None) -> Any:
    """Go to ``url`` (or finish loading what :func:`start_plan` started) and wait until map and figures are drawn."""
    if url is not None:
        page.goto(url)
    page.wait_for_selector(f'{MAP}[data-ready="1"]', timeout=90_000)
    expect(page.locator(MARKERS)).to_have_count(N_CENTRES, timeout=WAIT_MS)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(8, timeout=WAIT_MS)
    return page


def metric(page: Any, label: str) -> Any:
    box = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
    return box.locator('[data-testid="stMetricValue"]')


def headline(page: Any) -> dict[str, str]:
    """Every headline figure of the Plan page, ``{label: "value [delta]"}``."""
    out = {}
    for box in page.locator('[data-testid="stMetric"]').all():
        label = box.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        out[label] = " ".join(box.inner_text().replace(label, "", 1).split())
    assert {"Groups (lots)", "Open centres", "Budget total"} <= out.keys(), out
    return out


def money(x: float) -> str:
    """As the Plan page formats money (ui/plan_panels.py ``_money``)."""
    sign = "−" if x < -0.5 else ""
    x = abs(x)
    return sign + (f"£{x / 1e6:,.2f}m" if x >= 1e5 else f"£{x:,.0f}")


def expect_figures(page: Any, totals: dict) -> None:
    expect(metric(page, "Groups (lots)")).to_have_text(f"{totals['groups']:,}", timeout=WAIT_MS)
    expect(metric(page, "Open centres")).to_have_text(f"{totals['open_centres']:,}", timeout=WAIT_MS)
    expect(metric(page, "Budget total")).to_have_text(money(totals["budget_total"]), timeout=WAIT_MS)


def marker(page: Any, cid: str) -> Any:
    return page.locator(f'.leaflet-marker-icon[data-centre-id="{cid}"]')


def pick_option(page: Any, combobox: Any, query: str, wanted: re.Pattern[str], max_steps: int = 30) -> None:
    """Keyboard only: type ``query`` into a select, ArrowDown until the active option matches, Enter."""
    combobox.focus()
    page.keyboard.type(query)
    page.wait_for_timeout(250)
    for _ in range(max_steps):
        active = combobox.get_attribute("aria-activedescendant")
        text = page.locator(f'[id="{active}"]').inner_text() if active else ""
        if wanted.search(text):
            page.keyboard.press("Enter")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option matching {wanted.pattern!r} after typing {query!r}")


def keyboard_move(page: Any, names: dict[str, str], cid: str, group: str) -> None:
    """Move centre ``cid`` to ``group`` with the "Move centres (keyboard)" form; wait for the marker."""
    current = marker(page, cid).get_attribute("data-group")
    centres = page.get_by_role("combobox", name="Centre(s)")
    pick_option(page, centres, names[cid], re.compile(rf"^{re.escape(f'{names[cid]} ({current})')}$"))
    page.keyboard.press("Escape")
    form = page.locator('[data-testid="stForm"]').filter(has=centres)
    expect(form.locator('[data-testid="stMultiSelect"]')).to_contain_text(names[cid])
    pick_option(page, page.get_by_role("combobox", name="To group"), f"{group}: ",
                re.compile(rf"^{re.escape(group)}: "))
    form.get_by_role("button", name="Move", exact=True).click()
    expect(marker(page, cid)).to_have_attribute("data-group", group, timeout=WAIT_MS)


def go_to(page: Any, name: str, heading: str | re.Pattern[str]) -> None:
    """Top navigation, then wait for the page's heading."""
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=WAIT_MS)


def share_link(page: Any) -> tuple[str, str]:
    """(link, scenario id) from the Scenarios page's share box (an ``st.code`` block)."""
    code = page.locator('[data-testid="stCode"]').filter(has_text="?scenario=").first
    expect(code).to_be_visible(timeout=WAIT_MS)
    link = code.inner_text().strip()
    m = LINK_RE.match(link)
    assert m, f"share link {link!r} is not <base>/?scenario=<id>"
    return link, m.group(2)


def alert(page: Any, text: str | re.Pattern[str]) -> Any:
    return page.locator('[data-testid="stAlert"]').filter(has_text=text)


def grid_rows(page: Any, frame: Any) -> list[list[str]]:
    """The cells of a ``st.dataframe``'s accessible mirror table (the grid itself is a canvas):
    header row first. Only rows the grid shows are present."""
    table = frame.locator("table")
    expect(table).to_have_count(1, timeout=WAIT_MS)
    return table.evaluate("""t => [...t.querySelectorAll('tr')].map(
        r => [...r.querySelectorAll('th, td')].map(c => c.innerText.trim()))""")


def markers(page: Any) -> list[dict]:
    """Open markers whose centre point is their own (uncovered), with distance to the nearest other marker."""
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
    return sorted((m for m in ms if m["top"] and m["status"] == "open" and m["clear"] >= 40),
                  key=lambda m: -m["clear"])


def drag(page: Any, start: tuple[float, float], end: tuple[float, float], *, steps: int = 15) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def shot(page: Any, name: str, locator: Any = None) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.mouse.move(2, 2)  # no hover tooltip
    page.wait_for_timeout(300)
    (locator or page).screenshot(path=str(path))
    return path


def scroll_to(page: Any, heading: str) -> None:
    """Scroll so that the section heading ``heading`` is at the top of the view (below the top bar)."""
    h = page.get_by_role("heading", name=heading, exact=True).first
    h.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(200)


def minus(text: str) -> str:
    """U+2212 (the app's minus sign) as ASCII, for comparing numbers."""
    return text.replace("\u2212", "-").strip()


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------


def test_save_share_link_and_read_only_view(offline_contexts: Any, app: dict, norfolk: Any,
                                            names: dict[str, str]) -> None:
    from lib.metrics import evaluate
    from lib.scenario import Scenario

    url = app["url"]
    first = offline_contexts()
    page = open_plan(first.page, url)
    ids = norfolk.centre_ids
    cid, into = ids[10], ids[2]
    group = marker(page, into).get_attribute("data-group")
    keyboard_move(page, names, cid, group)
    expected = evaluate(norfolk, Scenario.baseline(ids).move([cid], group)).totals()
    expect_figures(page, expected)
    figures = headline(page)
    assert figures["Groups (lots)"].startswith(f"{N_CENTRES - 1}")

    go_to(page, "Scenarios", "Scenarios")
    page.get_by_role("button", name="Save as new", exact=True).click()
    expect(page.get_by_text("saved as version 1").first).to_be_visible(timeout=WAIT_MS)  # persistent status line
    link, sid = share_link(page)
    assert link.startswith(url)
    expect(page.get_by_text(f"{link}&view=1")).to_be_visible()  # the read-only link is offered too

    # The link in a fresh browser (another person): same grouping, same figures. The read-only link
    # loads meanwhile in a third one.
    second, viewer = offline_contexts(), offline_contexts()
    start_plan(second.page, link)
    start_plan(viewer.page, f"{link}&view=1")
    other = open_plan(second.page)
    expect(marker(other, cid)).to_have_attribute("data-group", group, timeout=WAIT_MS)
    expect_figures(other, expected)
    assert headline(other) == figures
    expect(other.get_by_text(re.compile(r"saved, version 1"))).to_be_visible()

    # The read-only link: no Move form, and a drag on the map changes nothing.
    view = open_plan(viewer.page)
    expect(marker(view, cid)).to_have_attribute("data-group", group, timeout=WAIT_MS)
    expect(view.get_by_text("read-only view", exact=False).first).to_be_visible()
    assert view.get_by_role("button", name="Move", exact=True).count() == 0
    assert view.get_by_role("combobox", name="Centre(s)").count() == 0
    expect(view.get_by_role("button", name="↶ Undo")).to_be_disabled()
    assert headline(view) == figures
    view.locator(MAP).scroll_into_view_if_needed()
    # Zoom in one step (a viewer looking closer), and tag this map instance to tell whether it survives.
    zoom0 = view.locator(MAP).get_attribute("data-zoom")
    view.locator(".leaflet-control-zoom-in").click()
    expect(view.locator(MAP)).not_to_have_attribute("data-zoom", zoom0, timeout=WAIT_MS)
    view.wait_for_timeout(400)  # the zoom animation
    zoom1 = view.locator(MAP).get_attribute("data-zoom")
    view.locator(MAP).evaluate("e => { e.dataset.testTag = 'before-drag'; }")
    iso = [m for m in markers(view) if m["id"] != cid]
    source, target = iso[0], next(m for m in iso[1:] if m["group"] != iso[0]["group"])
    source_colour = marker(view, source["id"]).get_attribute("data-colour")
    drag(view, (source["x"], source["y"]), (target["x"], target["y"]))
    # The server ran (and refused) the move: it says so, and nothing changed.
    expect(alert(view, "read-only view: changes are not applied")).to_be_visible(timeout=WAIT_MS)
    # The map may be drawn anew (see the xfail below): wait for one map with its 54 markers.
    expect(view.locator(MAP)).to_have_count(1, timeout=WAIT_MS)
    expect(view.locator(MARKERS)).to_have_count(N_CENTRES, timeout=WAIT_MS)
    # (An optimistic recolour the server never confirms is dropped after the component's 4 s timeout.)
    expect(marker(view, source["id"])).not_to_have_attribute("data-pending-group", re.compile(".*"),
                                                             timeout=WAIT_MS)
    expect(marker(view, source["id"])).to_have_attribute("data-group", source["group"])
    expect(marker(view, source["id"])).to_have_attribute("data-colour", source_colour)
    assert headline(view) == figures
    remounted = view.locator(f'{MAP}[data-test-tag="before-drag"]').count() == 0
    zoom2 = view.locator(MAP).get_attribute("data-zoom")
    shot(view, "scenarios_read_only_view")

    # The store holds what the first browser saw.
    from lib.store import ScenarioStore

    with ScenarioStore(app["db"]) as store:
        stored = store.get(sid)
    assert stored.version == 1 and stored.scenario.group_of[cid] == group
    for op in (first, second, viewer):
        assert op.blocked == []
    if remounted:
        pytest.xfail(f"views/plan.py: the refused move's warning (workspace.show_message) is a new element above "
                     f"the map, so the map component is mounted anew (Leaflet re-initialised, the viewer's zoom "
                     f"{zoom1} -> {zoom2}). Keep a fixed slot for messages (st.empty/st.container made on every run) "
                     "or use st.toast")
    assert zoom2 == zoom1


def test_compare_with_the_2019_review(offline_contexts: Any, app: dict, norfolk: Any) -> None:
    from lib.compare import changed_centres
    from lib.metrics import evaluate
    from lib.scenario import Scenario
    from lib.store import ScenarioStore

    op = offline_contexts(width=1280, height=720)  # what a meeting-room projector shows
    page = op.page
    page.goto(f"{app['url']}/compare")
    expect(page.get_by_role("heading", name="Compare scenarios")).to_be_visible(timeout=90_000)

    # Pick exactly: the current scenario and the 2019 review.
    pick = page.get_by_role("combobox", name="Scenarios to compare (2 to 4)")
    chooser = page.locator('[data-testid="stMultiSelect"]').filter(has=pick)
    expect(chooser).to_contain_text("Current:", timeout=WAIT_MS)
    if REVIEW not in chooser.inner_text():
        pick.click()
        page.get_by_role("option", name=REVIEW, exact=True).click()
        page.keyboard.press("Escape")
    chips = chooser.inner_text()
    assert "Current: Baseline" in chips and REVIEW in chips, chips
    assert chips.count("Example:") == 1, f"more than the review picked: {chips}"

    # Expected: lib on the review as the app stored it.
    with ScenarioStore(app["db"]) as store:
        review = next(store.get(e.id).scenario for e in store.list(search="2019 review") if e.name == REVIEW)
    base_ev = evaluate(norfolk, Scenario.baseline(norfolk.centre_ids))
    review_ev = evaluate(norfolk, review)
    assert review_ev.totals()["open_centres"] == 15 and base_ev.totals()["open_centres"] == N_CENTRES
    n_changed = len(changed_centres([base_ev, review_ev]))

    caption = page.get_by_text(re.compile(r"\d+ of \d+ centres differ"))
    expect(caption).to_be_visible(timeout=WAIT_MS)
    assert caption.inner_text().startswith(f"{n_changed} of {N_CENTRES} centres differ"), caption.inner_text()

    # The totals table (a canvas grid with an accessible mirror): Open centres 15 - 54 = -39.
    totals = page.locator('[data-testid="stDataFrame"]').first
    rows = grid_rows(page, totals)
    header, body = rows[0], {r[0]: r for r in rows[1:]}
    diff_col = next(i for i, h in enumerate(header) if "−" in h or " - " in h)
    assert REVIEW in header[diff_col], header
    assert minus(body["Open centres"][diff_col]) == "-39", body["Open centres"]
    assert [minus(c) for c in body["Open centres"][1:diff_col]] == [str(N_CENTRES), "15"], body["Open centres"]
    expected_groups = review_ev.totals()["groups"] - N_CENTRES
    assert minus(body["Groups (lots)"][diff_col]) == f"{expected_groups:,}", body["Groups (lots)"]

    # Screenshots at projector size, one per section; LOOKED AT for readability (see the report).
    scroll_to(page, "Totals")
    shot(page, "compare_totals_1280x720")
    decks = page.locator('[data-testid="stDeckGlJsonChart"]')
    expect(decks).to_have_count(2, timeout=WAIT_MS)
    scroll_to(page, "Maps (areas coloured by group)")
    expect(decks.locator("canvas")).to_have_count(2, timeout=WAIT_MS)
    page.wait_for_timeout(1500)  # deck.gl draws on the next animation frames
    shot(page, "compare_maps_1280x720")
    map_png = shot(page, "compare_map_review", decks.nth(1))
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(2, timeout=WAIT_MS)
    scroll_to(page, "Charts")
    page.wait_for_timeout(500)
    shot(page, "compare_charts_1280x720")
    scroll_to(page, "Centres that changed group or status")
    shot(page, "compare_changed_1280x720")
    assert op.blocked == []

    # A map that draws areas has many colours; one flat colour means nothing useful was drawn.
    from PIL import Image

    with Image.open(map_png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20) or []
    total = sum(n for n, _ in colours)
    top_share = max(n for n, _ in colours) / total
    if top_share > 0.9:
        pytest.xfail(f"views/compare.py small_map: the review's map is one flat colour ({top_share:.0%} of "
                     "pixels): radius_units='pixels' is turned by pydeck into the expression '@@=pixels', so "
                     "every dot covers the map; pass radius_units=\"'pixels'\"")
    assert len(colours) > 20, f"only {len(colours)} colours on the map"


def test_second_save_is_refused_then_kept_as_a_copy(offline_contexts: Any, app: dict, norfolk: Any,
                                                    names: dict[str, str]) -> None:
    from lib.scenario import Scenario
    from lib.store import ScenarioStore

    ids = norfolk.centre_ids
    name = f"Conflict check {secrets.token_hex(3)}"
    with ScenarioStore(app["db"]) as store:
        saved = store.save_new(Scenario.baseline(ids), name=name, dataset=norfolk.dataset.name, author="Setup")
    link = f"{app['url']}/?scenario={saved.id}"

    ann_op, bob_op = offline_contexts(), offline_contexts()
    start_plan(ann_op.page, link)
    start_plan(bob_op.page, link)
    ann, bob = open_plan(ann_op.page), open_plan(bob_op.page)
    a_cid, a_group = ids[20], Scenario.baseline(ids).group_of[ids[21]]
    b_cid, b_group = ids[30], Scenario.baseline(ids).group_of[ids[31]]
    keyboard_move(ann, names, a_cid, a_group)
    keyboard_move(bob, names, b_cid, b_group)

    go_to(ann, "Scenarios", "Scenarios")
    ann.get_by_label("Your name (recorded on saves and notes)").fill("Ann")
    ann.get_by_label("Your name (recorded on saves and notes)").press("Enter")
    ann.get_by_role("button", name="Save", exact=True).click()
    expect(ann.get_by_text("saved as version 2").first).to_be_visible(timeout=WAIT_MS)

    go_to(bob, "Scenarios", "Scenarios")
    bob.get_by_role("button", name="Save", exact=True).click()
    refused = alert(bob, "Nothing was overwritten")
    expect(refused).to_be_visible(timeout=WAIT_MS)
    assert "Ann" in refused.inner_text() and "version 2" in refused.inner_text(), refused.inner_text()
    shot(bob, "scenarios_conflict_message")

    copy_name = f"{name} (copy by Bob)"
    bob.get_by_label("Save as (new name)").fill(copy_name)
    bob.get_by_role("button", name="Save as copy", exact=True).click()
    expect(bob.get_by_role("heading", name=copy_name).first).to_be_visible(timeout=WAIT_MS)
    _, copy_id = share_link(bob)
    assert copy_id != saved.id

    # Both are listed (search narrows the list to them).
    bob.get_by_label("Search by name, description or author").fill(name)
    bob.get_by_label("Search by name, description or author").press("Enter")
    listing = bob.locator('[data-testid="stDataFrame"]').first
    expect(listing.locator("tbody tr")).to_have_count(2, timeout=WAIT_MS)
    listed = {r[0]: r for r in grid_rows(bob, listing)[1:]}
    assert set(listed) == {name, copy_name}, listed

    # And the store kept each person's work.
    with ScenarioStore(app["db"]) as store:
        original, copy = store.get(saved.id), store.get(copy_id)
    assert original.version == 2 and original.updated_by == "Ann"
    assert original.scenario.group_of[a_cid] == a_group and original.scenario.group_of[b_cid] != b_group
    assert copy.scenario.group_of[b_cid] == b_group and copy.scenario.group_of[a_cid] != a_group
    assert copy.parent_id == saved.id
    for op in (ann_op, bob_op):
        assert op.blocked == []
