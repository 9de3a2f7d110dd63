"""Browser tests of saved scenarios (app.py, views/scenarios.py, views/compare.py), offline.

One Streamlit server runs ``app.py`` for this module on its own temporary SQLite file
(``DATABASE_URL``), so nothing touches ``var/``. Each browser context is a fresh Streamlit
session; every request to a host other than localhost is aborted and the test fails if one
was tried (``offline_contexts`` in conftest.py).

- save + share link: a keyboard move on the Plan page, "Save as new" (with a name) on the Scenarios
  page, the editing link ``?link=<token>`` opened in a second browser shows the same figures and
  grouping; the read-only link has no Move form, its markers cannot be dragged, and it stays
  read-only after going to Scenarios and back, and with a hand-edited address;
- compare: the current scenario against "Example: 2019 review (15 bases)": the differences
  table, the "N of 54 centres differ" caption, the small-multiple maps; screenshots at
  1280x720 (a projector) in tests/artifacts/compare_*.png;
- conflict: two browsers edit the same saved scenario; the second save is refused ("Nothing was
  overwritten") and its work is kept with "Save mine as a copy".

Expected figures come from ``lib`` (the functions the pages call). Page helpers shared with the other
whole-app browser tests are in ``helpers.py``.

One check ends in a conditional ``pytest.xfail`` naming a known app bug, after every other
assertion has passed: it passes by itself once the bug is fixed (a small-multiple map drawn as
one flat colour).
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    MAP,
    MARKERS,
    N_CENTRES,
    WAIT_MS,
    alert,
    expect,
    expect_figures,
    go_to,
    headline,
    keyboard_move,
    marker,
    open_plan,
    shot,
    start_plan,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
APP = ROOT / "app.py"
REVIEW = "Example: 2019 review (15 bases)"
LINK_RE = re.compile(r"^(https?://[^?\s]+?)/?\?link=([A-Za-z0-9_-]{32})$")


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(chromium_webgl: Any, app_server_runner: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The app on a fresh SQLite file: ``{"url": ..., "db": ...}``."""
    db = f"sqlite:///{tmp_path_factory.mktemp('scenarios-db') / 'scenarios.sqlite3'}"
    with app_server_runner(APP, {"DATABASE_URL": db}, timeout=90.0) as url:
        yield {"url": url, "db": db}


# ---------------------------------------------------------------------------
# page helpers
# ---------------------------------------------------------------------------


def share_link(page: Any, which: int = 0) -> tuple[str, str]:
    """(link, token) from the Scenarios page's share boxes (``st.code`` blocks): 0 the editing link
    (when the session holds it), then the read-only link."""
    code = page.locator('[data-testid="stCode"]').filter(has_text="?link=").nth(which)
    expect(code).to_be_visible(timeout=WAIT_MS)
    link = code.inner_text().strip()
    m = LINK_RE.match(link)
    assert m, f"share link {link!r} is not <base>/?link=<token>"
    return link, m.group(2)


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
    assert figures["Lots"].startswith(f"{N_CENTRES - 1}")

    go_to(page, "Scenarios", "Scenarios")
    page.get_by_label("Name (required)").fill("Shared by link")
    page.get_by_role("button", name="Save as new", exact=True).click()
    expect(page.get_by_text("saved as version 1").first).to_be_visible(timeout=WAIT_MS)  # persistent status line
    link, token = share_link(page, 0)
    view_link, view_token = share_link(page, 1)  # the read-only link is offered too
    assert link.startswith(url) and view_link.startswith(url) and token != view_token
    from lib.store import ScenarioStore

    with ScenarioStore(app["db"]) as store:
        sid = store.open_link(token).id
        assert not store.open_link(view_token).can_edit

    # The link in a fresh browser (another person): same grouping, same figures. The read-only link
    # loads meanwhile in a third one.
    second, viewer = offline_contexts(), offline_contexts()
    start_plan(second.page, link)
    start_plan(viewer.page, view_link)
    other = open_plan(second.page)
    expect(marker(other, cid)).to_have_attribute("data-group", group, timeout=WAIT_MS)
    expect_figures(other, expected)
    assert headline(other) == figures
    expect(other.get_by_text(re.compile(r"saved, version 1"))).to_be_visible()

    # The read-only link: no Move form, and the map's markers cannot be dragged.
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
    view.wait_for_timeout(1500)  # a move, had one been sent, would have come back by now
    expect(view.locator(MAP)).to_have_count(1, timeout=WAIT_MS)
    expect(view.locator(MARKERS)).to_have_count(N_CENTRES, timeout=WAIT_MS)
    # (An optimistic recolour the server never confirms is dropped after the component's 10 s timeout.)
    expect(marker(view, source["id"])).not_to_have_attribute("data-pending-group", re.compile(".*"),
                                                             timeout=WAIT_MS)
    expect(marker(view, source["id"])).to_have_attribute("data-group", source["group"])
    expect(marker(view, source["id"])).to_have_attribute("data-colour", source_colour)
    assert headline(view) == figures
    assert view.locator(f'{MAP}[data-test-tag="before-drag"]').count() == 1  # the same map: not mounted anew
    assert view.locator(MAP).get_attribute("data-zoom") == zoom1  # the viewer's zoom kept
    shot(view, "scenarios_read_only_view")

    # The escape from issue 13: Scenarios, then Plan. Still read-only, no way to save, only this scenario.
    go_to(view, "Scenarios", "Scenarios")
    expect(view.get_by_role("button", name="Make my own copy")).to_be_visible(timeout=WAIT_MS)
    assert view.get_by_role("button", name="Save", exact=True).count() == 0
    expect(view.get_by_role("button", name="Save as new")).to_be_disabled()
    listing = view.locator('[data-testid="stDataFrame"]').first
    assert {r[0] for r in grid_rows(view, listing)[1:]} == {"Shared by link"}  # no examples, no other scenario
    go_to(view, "Plan", re.compile(r"^Plan"))
    open_plan(view)
    expect(view.get_by_text("read-only view", exact=False).first).to_be_visible()
    assert view.get_by_role("button", name="Move", exact=True).count() == 0
    # A hand-edited address never opens it for editing: view=0, a changed token, garbage.
    for tampered in (f"{view_link}&view=0", f"{url}/?link={view_token[:-1]}{'A' if view_token[-1] != 'A' else 'B'}",
                     f"{url}/?link=garbage", f"{url}/?scenario={sid}&view=0"):
        view.goto(tampered)
        view.wait_for_selector(f'{MAP}[data-ready="1"]', timeout=90_000)
        editable_here = view.get_by_role("button", name="Move", exact=True).count() > 0
        title = view.get_by_role("heading", name=re.compile(r"^Plan")).first.inner_text()
        assert not (editable_here and "Shared by link" in title), (tampered, title)

    # The store holds what the first browser saw.
    with ScenarioStore(app["db"]) as store:
        stored = store.get(sid)
    assert stored.version == 1 and stored.scenario.group_of[cid] == group
    for op in (first, second, viewer):
        assert op.blocked == []


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
    link = f"{app['url']}/?link={saved.edit_token}"

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

    copy_name = f"{name} (my version)"
    bob.get_by_role("button", name="Save mine as a copy", exact=True).click()
    expect(bob.get_by_role("heading", name=copy_name).first).to_be_visible(timeout=WAIT_MS)
    _, copy_token = share_link(bob)
    with ScenarioStore(app["db"]) as store:
        copy_id = store.open_link(copy_token).id
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
