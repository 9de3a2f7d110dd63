"""Browser test: two sessions on one server never see each other's unsaved work (app.py, views/plan.py,
ui/session.py, ui/workspace.py), offline.

One Streamlit server runs ``app.py`` on a temporary SQLite file of this test (``DATABASE_URL``). Two
browser contexts (two people: own cookies, own Streamlit sessions) open the Plan page on the Norfolk
default at the same time:

- A drags centre X onto centre T1 (into T1's group G1) while B, at the same time, drags centre Y onto T2
  (into G2), then a second centre Y2 onto T2, so the two sessions' figures differ (A: 53 lots,
  B: 52);
- from before the drops to the end, a recorder in each page notes every value the "Lots" and
  "Budget total" figures and the other person's markers (``data-group``, ``data-colour``,
  ``data-pending-group``) take: A's page never shows B's centres moved, nor B's figures, and the other
  way round; each page ends with the figures ``lib`` computes for its own moves (the sanity step: A
  does see its own move, and B its own);
- A saves its scenario as a named scenario (Scenarios page, "Save as new"); the store holds A's move
  and none of B's; B's Scenarios page does not take A's scenario as its own, B's Plan page (drawn
  again) still shows only B's moves, and a third move of B gives B's figures, with X where it was.

Expected figures come from ``lib`` (the functions the page calls), as in test_trust.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    MARKERS,
    N_CENTRES,
    WAIT_MS,
    expect,
    expect_figures,
    go_to,
    headline,
    marker,
    metric,
    open_plan,
    start_plan,
)

from lib.budget import money

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
SAVED_NAME = "A's plan, X into G1"

# Notes, every 40 ms and once more on reading, each distinct value of the "Lots" and "Budget total"
# figures and of the watched markers' "group|colour|pending group" (markers live in the component's
# shadow root).
RECORD_JS = """(ids) => {
  if (window.__seenTimer) clearInterval(window.__seenTimer);
  const seen = {lots: {}, budget: {}, markers: {}};
  let root = null;
  const shadow = () => {
    if (root && root.host && root.host.isConnected) return root;
    root = null;
    for (const e of document.querySelectorAll('*')) {
      if (e.shadowRoot && e.shadowRoot.querySelector('[data-testid="centre-map"]')) { root = e.shadowRoot; break; }
    }
    return root;
  };
  const metric = (label) => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
      const l = m.querySelector('[data-testid="stMetricLabel"]');
      if (l && l.textContent.trim() === label) {
        const v = m.querySelector('[data-testid="stMetricValue"]');
        return v ? v.textContent.trim() : null;
      }
    }
    return null;
  };
  const tick = () => {
    const lots = metric('Lots'), budget = metric('Budget total');
    if (lots !== null) seen.lots[lots] = 1;
    if (budget !== null) seen.budget[budget] = 1;
    const r = shadow() || document;
    for (const id of ids) {
      const el = r.querySelector(`.leaflet-marker-icon[data-centre-id="${id}"]`);
      if (!el) continue;
      const v = [el.getAttribute('data-group'), el.getAttribute('data-colour'),
                 el.getAttribute('data-pending-group') || ''].join('|');
      (seen.markers[id] = seen.markers[id] || {})[v] = 1;
    }
  };
  tick();
  window.__seenTick = tick;
  window.__seen = seen;
  window.__seenTimer = setInterval(tick, 40);
}"""
READ_JS = """() => {
  window.__seenTick();
  const s = window.__seen;
  const m = {};
  for (const [id, vals] of Object.entries(s.markers)) m[id] = Object.keys(vals).sort();
  return {lots: Object.keys(s.lots).sort(), budget: Object.keys(s.budget).sort(), markers: m};
}"""


@pytest.fixture
def app(app_server_runner: Any, tmp_path: Path) -> Iterator[dict]:
    """The app on a SQLite file of this test only: ``{"url": ..., "db": ...}``."""
    db = f"sqlite:///{tmp_path / 'scenarios.sqlite3'}"
    with app_server_runner(APP, {"DATABASE_URL": db}, timeout=90.0) as url:
        yield {"url": url, "db": db}


def isolated_markers(page: Any) -> list[dict]:
    """Open markers whose centre point is their own (uncovered) and at least 40 px from any other marker,
    the most isolated first: drops on them land on them."""
    ms = page.locator(MARKERS).evaluate_all(
        """els => els.map(e => {
            const r = e.getBoundingClientRect();
            const x = r.x + r.width / 2, y = r.y + r.height / 2;
            const top = e.getRootNode().elementFromPoint(x, y);
            return {id: e.dataset.centreId, group: e.dataset.group, status: e.dataset.status,
                    colour: e.dataset.colour, x, y, top: !!top && e.contains(top)};
        })""")
    for m in ms:
        m["clear"] = min(math.dist((m["x"], m["y"]), (o["x"], o["y"])) for o in ms if o is not m)
    return sorted((m for m in ms if m["top"] and m["status"] == "open" and m["clear"] >= 40),
                  key=lambda m: -m["clear"])


def where(page: Any, cid: str) -> dict:
    """A marker's page position now (the layout can shift when a message appears above the map)."""
    box = marker(page, cid).bounding_box()
    assert box is not None, f"marker {cid} not on the page"
    return {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}


def drop(page: Any, cid: str, onto: str) -> None:
    """Drag centre ``cid``'s marker onto centre ``onto``'s marker (no waiting for the server)."""
    a, b = where(page, cid), where(page, onto)
    page.mouse.move(a["x"], a["y"])
    page.mouse.down()
    page.mouse.move(b["x"], b["y"], steps=12)
    page.mouse.up()


def confirmed(page: Any, cid: str, group: str) -> None:
    """The server's answer is drawn: the marker has its new group and no pending one."""
    expect(marker(page, cid)).to_have_attribute("data-group", group, timeout=WAIT_MS)
    expect(marker(page, cid)).not_to_have_attribute("data-pending-group", re.compile(".*"), timeout=WAIT_MS)


def idle(page: Any) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT_MS)


def totals_after(norfolk: Any, moves: list[tuple[str, str]]) -> dict:
    from lib.metrics import evaluate
    from lib.scenario import Scenario

    sc = Scenario.baseline(norfolk.centre_ids)
    for cid, group in moves:
        sc = sc.move([cid], group)
    return evaluate(norfolk, sc).totals()


def only(values: list[str], allowed: set[str], what: str) -> None:
    assert set(values) <= allowed, f"{what}: saw {sorted(set(values) - allowed)} (allowed {sorted(allowed)})"


def test_two_sessions_never_see_each_others_unsaved_moves(offline_contexts: Any, app: dict, norfolk: Any) -> None:
    from lib.store import ScenarioStore

    a_op, b_op = offline_contexts(), offline_contexts()
    start_plan(a_op.page, app["url"])
    start_plan(b_op.page, app["url"])
    a, b = open_plan(a_op.page), open_plan(b_op.page)
    idle(a)
    idle(b)

    # The same baseline in both sessions (same viewport, so the same layout).
    pick = isolated_markers(a)
    assert len(pick) >= 6, f"only {len(pick)} isolated markers on the map"
    t1, t2, x, y, y2, y3 = pick[:6]
    base = {m["id"]: m for m in pick}
    assert len({m["group"] for m in (t1, t2, x, y, y2, y3)}) == 6, "the baseline has each centre in its own group"
    for m in (t1, t2, x, y, y2, y3):
        expect(marker(b, m["id"])).to_have_attribute("data-group", m["group"])
        expect(marker(b, m["id"])).to_have_attribute("data-colour", m["colour"])
    g1, g2 = t1["group"], t2["group"]
    assert headline(a) == headline(b)
    assert headline(a)["Lots"].startswith(f"{N_CENTRES}")

    expected_a = totals_after(norfolk, [(x["id"], g1)])
    expected_b1 = totals_after(norfolk, [(y["id"], g2)])
    expected_b = totals_after(norfolk, [(y["id"], g2), (y2["id"], g2)])
    base_totals = totals_after(norfolk, [])
    assert (expected_a["lots"], expected_b["lots"]) == (N_CENTRES - 1, N_CENTRES - 2)

    def state(id_: str) -> str:
        return f"{base[id_]['group']}|{base[id_]['colour']}|"

    a.evaluate(RECORD_JS, [x["id"], y["id"], y2["id"]])
    b.evaluate(RECORD_JS, [x["id"], y["id"], y2["id"]])

    # At the same time: A's drop, then B's at once (both reruns in flight together), then B's second move.
    drop(a, x["id"], t1["id"])
    drop(b, y["id"], t2["id"])
    confirmed(b, y["id"], g2)
    idle(b)
    drop(b, y2["id"], t2["id"])
    confirmed(a, x["id"], g1)
    confirmed(b, y2["id"], g2)

    # Sanity: each sees its own move(s), with the figures lib computes for them.
    expect_figures(a, expected_a)
    expect_figures(b, expected_b)
    idle(a)
    idle(b)
    a.wait_for_timeout(1500)  # anything late from the other session would have arrived by now
    expect_figures(a, expected_a)
    expect_figures(b, expected_b)
    expect(marker(a, x["id"])).to_have_attribute("data-colour", t1["colour"])  # G1's colour
    expect(marker(b, y["id"])).to_have_attribute("data-colour", t2["colour"])
    assert headline(a) != headline(b)

    # Never: what each page showed from before the drops until now.
    seen_a, seen_b = a.evaluate(READ_JS), b.evaluate(READ_JS)
    only(seen_a["lots"], {f"{base_totals['lots']:,}", f"{expected_a['lots']:,}"}, "A's Lots figure")
    only(seen_a["budget"], {money(base_totals["budget_total"]), money(expected_a["budget_total"])},
         "A's Budget total")
    only(seen_a["markers"][y["id"]], {state(y["id"])}, f"B's centre {y['id']} on A's map")
    only(seen_a["markers"][y2["id"]], {state(y2["id"])}, f"B's centre {y2['id']} on A's map")
    only(seen_b["lots"], {f"{t['lots']:,}" for t in (base_totals, expected_b1, expected_b)}, "B's Lots figure")
    only(seen_b["budget"], {money(t["budget_total"]) for t in (base_totals, expected_b1, expected_b)},
         "B's Budget total")
    only(seen_b["markers"][x["id"]], {state(x["id"])}, f"A's centre {x['id']} on B's map")
    assert f"{g1}|{t1['colour']}|" in seen_a["markers"][x["id"]], seen_a["markers"][x["id"]]  # A saw its own

    # A saves its scenario under a name.
    go_to(a, "Scenarios", "Scenarios")
    a.get_by_label("Name (required)").fill(SAVED_NAME)
    a.get_by_role("button", name="Save as new", exact=True).click()
    expect(a.get_by_text("saved as version 1").first).to_be_visible(timeout=WAIT_MS)
    with ScenarioStore(app["db"]) as store:
        entry = next(e for e in store.list(search=SAVED_NAME) if e.name == SAVED_NAME)
        saved = store.get(entry.id).scenario
    assert saved.group_of[x["id"]] == g1, "A's save lacks A's own move"
    for cid in (y["id"], y2["id"]):
        assert saved.group_of[cid] == base[cid]["group"], f"A's save holds B's unsaved move of {cid}"

    # B, after A's save: its Scenarios page is still about its own unsaved work...
    b.evaluate(RECORD_JS, [x["id"], y["id"], y2["id"], y3["id"]])
    go_to(b, "Scenarios", "Scenarios")
    expect(b.get_by_text(re.compile(r"unsaved changes · not in the store")).first).to_be_visible(timeout=WAIT_MS)
    heading = b.get_by_role("heading", level=3).first.inner_text()
    assert SAVED_NAME not in heading, f"B's current scenario is {heading!r}"
    assert b.get_by_text("saved as version 1").count() == 0
    # ...and its Plan page, drawn again, shows B's moves only.
    go_to(b, "Plan", re.compile(r"^Plan"))
    open_plan(b)
    idle(b)
    assert SAVED_NAME not in b.get_by_role("heading", name=re.compile(r"^Plan")).first.inner_text()
    expect_figures(b, expected_b)
    expect(marker(b, x["id"])).to_have_attribute("data-group", x["group"])
    expect(marker(b, x["id"])).to_have_attribute("data-colour", x["colour"])
    expect(marker(b, y["id"])).to_have_attribute("data-group", g2)
    # A third move of B: B's figures, X still where it was.
    drop(b, y3["id"], t2["id"])
    confirmed(b, y3["id"], g2)
    expected_b3 = totals_after(norfolk, [(y["id"], g2), (y2["id"], g2), (y3["id"], g2)])
    expect_figures(b, expected_b3)
    idle(b)
    seen_b = b.evaluate(READ_JS)
    only(seen_b["markers"][x["id"]], {state(x["id"])}, f"A's saved centre {x['id']} on B's map")
    only(seen_b["lots"], {f"{t['lots']:,}" for t in (expected_b, expected_b3)}, "B's Lots figure after A's save")

    # A, back on its Plan page: its saved move only; B's moves still not there.
    go_to(a, "Plan", re.compile(r"^Plan"))
    open_plan(a)
    expect_figures(a, expected_a)
    expect(marker(a, x["id"])).to_have_attribute("data-group", g1)
    for cid in (y["id"], y2["id"], y3["id"]):
        expect(marker(a, cid)).to_have_attribute("data-group", base[cid]["group"])
    expect(a.get_by_text(re.compile(r"saved, version 1")).first).to_be_visible(timeout=WAIT_MS)

    with ScenarioStore(app["db"]) as store:
        again = store.get(entry.id)
    assert again.version == 1 and again.scenario == saved, "B's moves changed A's saved scenario"
    for op in (a_op, b_op):
        assert op.blocked == []


FOLLOW_WITHIN_S = 2.0  # issue 12: a follow view shows a save made elsewhere within 2 s


def test_a_follow_view_shows_a_save_made_elsewhere(offline_contexts: Any, app: dict, norfolk: Any) -> None:
    """A (editing link) moves a centre and saves; B (the viewing link, untouched) shows it by itself."""
    import time

    from lib.scenario import Scenario
    from lib.store import ScenarioStore

    with ScenarioStore(app["db"]) as store:
        saved = store.save_new(Scenario.baseline(norfolk.centre_ids), name="Workshop plan", dataset="Norfolk",
                               author="Ann")
    a_op, b_op = offline_contexts(), offline_contexts()
    start_plan(a_op.page, f"{app['url']}/?link={saved.edit_token}")
    start_plan(b_op.page, f"{app['url']}/?link={saved.view_token}")
    a, b = open_plan(a_op.page), open_plan(b_op.page)
    expect(b.get_by_text("Following Workshop plan, version 1", exact=False)).to_be_visible(timeout=WAIT_MS)
    idle(a)
    t1, x = isolated_markers(a)[:2]
    expected = totals_after(norfolk, [(x["id"], t1["group"])])
    drop(a, x["id"], t1["id"])
    confirmed(a, x["id"], t1["group"])
    expect_figures(a, expected)
    b.wait_for_timeout(1500)  # A's unsaved move never reaches B
    assert metric(b, "Lots").inner_text() == f"{N_CENTRES}"
    expect(marker(b, x["id"])).to_have_attribute("data-group", x["group"])

    go_to(a, "Scenarios", "Scenarios")
    a.get_by_role("button", name="Save", exact=True).click()
    expect(a.get_by_text("(version 2)").first).to_be_visible(timeout=WAIT_MS)
    saved_at = time.perf_counter()
    expect(metric(b, "Lots")).to_have_text(f"{expected['lots']:,}", timeout=WAIT_MS)
    took = time.perf_counter() - saved_at
    print(f"follow view updated {took:.2f} s after the save was confirmed")
    expect_figures(b, expected)
    expect(marker(b, x["id"])).to_have_attribute("data-group", t1["group"])
    expect(b.get_by_text("Following Workshop plan, version 2", exact=False)).to_be_visible(timeout=WAIT_MS)
    expect(b.get_by_text("version 2 (updated: saved by anonymous at", exact=False)).to_be_visible()
    assert took <= FOLLOW_WITHIN_S, f"the follow view took {took:.2f} s (at most {FOLLOW_WITHIN_S} s)"
    with ScenarioStore(app["db"]) as store:
        assert store.version(saved.id) == 2  # B, read-only, saved nothing
    for op in (a_op, b_op):
        assert op.blocked == [] and op.errors == []
