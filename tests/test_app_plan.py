"""AppTest: the Plan page's logic (keyboard moves, list view, close/merge, undo/redo, figures = lib)."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest import open_tab
from streamlit.testing.v1 import AppTest
from textcheck import shown

from lib import travel
from lib.catchment import prepare
from lib.data import load_default
from lib.metrics import evaluate
from lib.scenario import Scenario

APP = str(Path(__file__).resolve().parent.parent / "app.py")
NET = prepare(load_default())
IDS = list(NET.centre_ids)
NAMES = dict(zip(IDS, NET.dataset.centres["name"], strict=True))


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    return app


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def button(app: AppTest, label: str):
    return next(b for b in app.button if b.label == label)


def present(app: AppTest) -> Scenario:
    return app.session_state["history"].present


def keyboard_move(app: AppTest, ids: list[str], group: str) -> AppTest:
    app.multiselect(key="kb_centres").set_value(ids)
    app.selectbox(key="kb_group").set_value(group)
    button(app, "Move").click()
    return app.run()


def test_baseline_figures_equal_lib(at):
    t = evaluate(NET, Scenario.baseline(IDS)).totals()
    m = metrics(at)
    assert m["Lots"] == "54"
    assert m["Over 15 km away"] == "0" and m["Travel further"] == "0"
    assert m["Budget total"] == f"£{t['budget_total'] / 1e6:,.2f}m"
    assert "25 centres below the minimum reach" in at.error[0].value


def test_keyboard_move_then_undo_redo(at):
    at = keyboard_move(at, [IDS[1], IDS[2]], "G1")
    assert not at.exception
    sc = present(at)
    assert sc.group_of[IDS[1]] == sc.group_of[IDS[2]] == "G1"
    expected = evaluate(NET, Scenario.baseline(IDS).move([IDS[1], IDS[2]], "G1")).totals()
    assert metrics(at)["Lots"] == "52"
    assert metrics(at)["Budget total"] == f"£{expected['budget_total'] / 1e6:,.2f}m"
    log = shown(" ".join(m.value for m in open_tab(at, "Change log").markdown))
    assert f"{NAMES[IDS[1]]} moved from G2 to G1" in log
    button(at, "↶ Undo").click()
    at.run()
    assert present(at).group_of[IDS[1]] == "G2"
    assert metrics(at)["Lots"] == "54"
    button(at, "↷ Redo").click()
    at.run()
    assert present(at).group_of[IDS[1]] == "G1"
    button(at, "⟲ Reset to baseline").click()
    at.run()
    assert present(at).group_of == Scenario.baseline(IDS).group_of


def test_keyboard_move_to_new_group(at):
    at = keyboard_move(at, [IDS[0]], "__new__")
    assert present(at).group_of[IDS[0]] == "G55"


def test_close_and_merge_from_side_panel(at):
    at.selectbox(key="st_centre").set_value(IDS[4])
    button(at, "Close").click()
    at.run()
    assert IDS[4] in present(at).closed
    assert metrics(at)["Open centres"] == "53"
    at.selectbox(key="st_centre").set_value(IDS[5])
    at.selectbox(key="st_target").set_value(IDS[6])
    button(at, "Merge").click()
    at.run()
    sc = present(at)
    assert sc.merged_into == {IDS[5]: IDS[6]}
    reach = evaluate(NET, sc).centre["reach"]
    assert reach[5] == 0
    trip = travel.summary(evaluate(NET, sc))
    assert trip.children_further > 0  # the children of the closed and the merged centre
    assert metrics(at)["Travel further"] == f"{trip.children_further:,}"
    assert metrics(at)["Lots"] == "52"  # a group whose only centre is closed or merged is not a lot


def test_group_table_flags_match_lib(at):
    at = keyboard_move(at, IDS[:5], "G1")
    frame = at.dataframe[0].value
    g1 = frame[frame["Group"] == "G1"].iloc[0]
    assert g1["Open"] == 5
    assert "5 centres, more than 4" in g1["Flags"]


def test_list_view_edit_moves_centre(at):
    key = "list_view_0"  # a fresh session's list editor
    open_tab(at, "Centres (list view)")
    at.session_state[key] = {"edited_rows": {3: {"Group": "G1"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert present(at).group_of[IDS[3]] == "G1"


def test_the_figures_painted_at_a_drop_are_the_figures_python_draws_after_it() -> None:
    """live_figures (what the map writes into the headline metrics at a drop, looked up by the lot count
    the browser counts) equals headline_figures after the move: one centre onto another group, two
    centres at once, a centre to a new group, a group emptied; and after closures."""
    from ui.plan_panels import LIVE_FIGURES, headline_figures, live_figures

    base = evaluate(NET, Scenario.baseline(IDS))
    ev = evaluate(NET, Scenario.baseline(IDS).close(IDS[5]).close(IDS[9]), base.baseline_total)
    moves = [([IDS[0]], "G2"), ([IDS[2], IDS[3]], "G2"), ([IDS[0]], ev.scenario.new_group_label()),
             ([IDS[7]], "G9"), ([IDS[1]], "G2")]
    seen = set()
    for ids, group in moves:
        after = ev.with_move(ids, group)
        n = after.totals()["lots"]
        expected = headline_figures(after, base, travel.summary(after))
        assert live_figures(ev, base)["by_lots"][str(n)] == [list(expected[k][:3]) for k in LIVE_FIGURES]
        seen.add(n - ev.totals()["lots"])
        ev = after
    assert seen == {-2, -1, 0, 1}  # fewer lots, the same number (a closed centre's group) and one more
