"""AppTest: a suggestion waits beside the current scenario (map and table), then is accepted (undoable)
or discarded; one made from another scenario is dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from textcheck import shown

from lib.catchment import prepare
from lib.data import load_default

APP = str(Path(__file__).resolve().parent.parent / "app.py")
NET = prepare(load_default())
IDS = list(NET.centre_ids)


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    return app


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
