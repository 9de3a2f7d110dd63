"""AppTest: a suggestion waits beside the current scenario (map and table), then is accepted (undoable)
or discarded; one made from another scenario is dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest import open_tab
from streamlit.testing.v1 import AppTest
from textcheck import shown

from lib.catchment import prepare
from lib.data import load_default

APP = str(Path(__file__).resolve().parent.parent / "app.py")
NET = prepare(load_default())
IDS = list(NET.centre_ids)


@pytest.fixture
def at() -> AppTest:
    """The Plan page with its Suggest tab open."""
    return open_tab(AppTest.from_file(APP, default_timeout=60), "Suggest")


def suggest(app: AppTest) -> None:
    present = app.session_state["history"].present
    app.session_state["suggestion"] = {"scenario": present.move(IDS[:3], "L1"), "base": present,
                                       "broken": [{"rule": "max_span", "text": "L1: span 45.0 km over 40 km"}],
                                       "cancelled": False, "seconds": 0.1}
    app.run()


def test_accept_makes_it_current_and_undo_brings_the_old_one_back(at):
    before = at.session_state["history"].present
    suggest(at)
    bar = [shown(w.value) for w in at.warning if "Suggestion" in w.value]
    assert bar and "3 centres change lot" in bar[0] and "1 rule could not be met" in bar[0]
    next(b for b in at.button if b.label == "Accept the suggestion").click()
    at.run()
    assert at.session_state["history"].present.group_of[IDS[2]] == "L1"
    assert "suggestion" not in at.session_state
    next(b for b in at.button if b.label == "↶ Undo").click()
    at.run()
    assert at.session_state["history"].present == before


def test_discard_keeps_the_current_scenario(at):
    before = at.session_state["history"].present
    suggest(at)
    next(b for b in at.button if b.label == "Discard").click()
    at.run()
    assert at.session_state["history"].present == before and "suggestion" not in at.session_state
    assert not [w for w in at.warning if "Suggestion" in w.value]


def test_a_suggestion_from_another_scenario_is_dropped(at):
    suggest(at)
    at.session_state["history"] = at.session_state["history"].do(
        at.session_state["history"].present.move([IDS[10]], "G1"), {})
    at.run()
    assert "suggestion" not in at.session_state


def test_suggest_lots_runs_in_the_background_keeps_a_locked_lot_and_can_be_accepted(at):
    import time

    before = at.session_state["history"].present
    at.multiselect(key="sg_lock_groups").set_value(["G1"])
    next(b for b in at.button if b.label == "Suggest lots").click()
    at.run()
    for _ in range(120):  # the optimiser runs in a thread; each run polls it
        if [w for w in at.warning if "Suggestion" in w.value]:
            break
        time.sleep(0.5)
        at.run()
    suggestion = at.session_state["suggestion"]["scenario"]
    assert suggestion.members("G1") == before.members("G1")  # the locked lot, exactly
    assert all(suggestion.group_of[c] != before.group_of[c] for c in IDS if c not in before.members("G1"))
    next(b for b in at.button if b.label == "Accept the suggestion").click()
    at.run()
    assert at.session_state["history"].present.group_of == suggestion.group_of


def wait_for(app: AppTest, done) -> None:
    import time

    for _ in range(120):
        if done(app):
            return
        time.sleep(0.5)
        app.run()
    raise AssertionError("the suggestion did not finish")


def test_regions_and_reach_areas_from_the_suggest_tab(at):
    from lib.optimise.regions import RegionModel

    next(b for b in at.button if b.label == "Count sustainable centres").click()
    at.run()
    wait_for(at, lambda a: any("can sustain" in shown(m.value) for m in a.markdown))
    regions = RegionModel(NET, min_reach=600).solve().regions_
    assert any(f"The county can sustain {regions} centres" in shown(m.value) for m in at.markdown)

    next(b for b in at.button if b.label == "Suggest reach areas").click()
    at.run()
    wait_for(at, lambda a: any(b.label == "Use these reach areas" for b in a.button))
    before = at.session_state["history"].present
    next(b for b in at.button if b.label == "Use these reach areas").click()
    at.run()
    net = at.session_state["custom_network"]
    assert net.dataset.reach_assignment is not None and len(net.dataset.reach_assignment) == len(NET.dataset.areas)
    assert at.session_state["history"].present == before  # the scenario is kept
    assert not at.exception
