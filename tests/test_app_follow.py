"""AppTest: a read-only session follows its scenario; editing sessions never change under their user."""

from __future__ import annotations

from apptest import APP, IDS, run
from streamlit.testing.v1 import AppTest
from textcheck import shown

from lib.scenario import Scenario
from lib.store import ScenarioStore


def opened(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    return run(at)


def texts(elements) -> str:
    return " | ".join(shown(e.value) for e in elements)


def lots(at: AppTest) -> str:
    return {m.label: m.value for m in at.metric}["Lots"]


def test_a_viewing_link_shows_each_save_made_elsewhere(db):
    store = ScenarioStore(db)
    saved = store.save_new(Scenario.baseline(IDS).move([IDS[5]], "G1"), name="Workshop plan", dataset="Norfolk",
                           author="Ann")
    at = opened({"link": saved.view_token})
    assert lots(at) == "53" and "Following **Workshop plan**, version 1" in texts(at.caption)
    run(at)  # nothing saved: nothing changes
    assert at.session_state["loaded"].version == 1 and "updated:" not in texts(at.caption)

    edited = saved.scenario.move([IDS[6], IDS[7]], "G1")
    store.update(saved.id, edited, expected_version=1, author="Bob", edit_token=saved.edit_token)
    run(at)  # the next poll (a rerun here) sees version 2 and shows it
    assert at.session_state["loaded"].version == 2 and at.session_state["history"].present == edited
    assert lots(at) == "51" and "version 2" in texts(at.caption)
    assert "(updated: saved by Bob at " in texts(at.caption)
    assert at.session_state["view_only"] and at.query_params["link"] == saved.view_token  # still read-only

    store.delete(saved.id, edit_token=saved.edit_token)
    run(at)
    assert "was deleted where it was saved" in texts(at.warning) and lots(at) == "51"  # the last version stays
    run(at)
    assert "Following" not in texts(at.caption)  # and it stops polling


def test_an_editing_session_is_not_followed(db):
    store = ScenarioStore(db)
    saved = store.save_new(Scenario.baseline(IDS), name="Mine", dataset="Norfolk")
    at = opened({"link": saved.edit_token})
    assert "Following" not in texts(at.caption)
    store.update(saved.id, saved.scenario.move([IDS[1]], "G9"), expected_version=1, edit_token=saved.edit_token)
    run(at)
    assert at.session_state["loaded"].version == 1  # an editor's work is never swapped; Save reports the conflict
