"""AppTest: scenarios are saved, opened by link, conflict-checked, annotated and exported."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lib.catchment import prepare
from lib.data import load_default
from lib.store import ScenarioStore

APP = str(Path(__file__).resolve().parent.parent / "app.py")
IDS = list(prepare(load_default()).centre_ids)


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'scenarios.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_resource.clear()
    yield url
    st.cache_resource.clear()


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def scenarios_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    run(at)
    at.switch_page("views/scenarios.py")
    return run(at)


def move_on_plan(at: AppTest, ids: list[str], group: str) -> AppTest:
    at.switch_page("views/plan.py")
    run(at)
    at.multiselect(key="kb_centres").set_value(ids)
    at.selectbox(key="kb_group").set_value(group)
    button(at, "Move").click()
    run(at)
    at.switch_page("views/scenarios.py")
    return run(at)


def test_examples_seeded_and_listed(db):
    at = scenarios_page()
    names = at.dataframe[0].value["Name"].tolist()
    assert "Example: 2019 review (15 bases)" in names and len(names) == 4


def test_save_update_conflict_and_copy(db):
    at = scenarios_page()
    at = move_on_plan(at, [IDS[1]], "G1")
    button(at, "Save as new").click()
    run(at)
    store = ScenarioStore(db)
    mine = [e for e in store.list() if not e.is_example]
    assert len(mine) == 1 and mine[0].version == 1
    sid = mine[0].id
    assert store.get(sid).scenario.group_of[IDS[1]] == "G1"
    # a colleague saves the same scenario meanwhile
    other = store.get(sid).scenario.move([IDS[2]], "G1")
    store.update(sid, other, expected_version=1, author="colleague")
    at = move_on_plan(at, [IDS[3]], "G1")
    button(at, "Save").click()
    run(at)
    assert any("Nothing was overwritten" in e.value for e in at.error)
    assert store.get(sid).version == 2 and store.get(sid).scenario.group_of[IDS[3]] == "G4"
    at.text_input(key="save_as_name").set_value("My copy")
    button(at, "Save as copy").click()
    run(at)
    copies = [e for e in store.list(search="My copy")]
    assert len(copies) == 1 and store.get(copies[0].id).scenario.group_of[IDS[3]] == "G1"


def test_link_opens_scenario_and_view_only_blocks_edits(db):
    store = ScenarioStore(db)
    from lib.scenario import Scenario

    saved = store.save_new(Scenario.baseline(IDS).move([IDS[5]], "G1"), name="Linked", dataset="Norfolk")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["scenario"] = saved.id
    at.query_params["view"] = "1"
    run(at)
    assert at.session_state["history"].present.group_of[IDS[5]] == "G1"
    assert {m.label: m.value for m in at.metric}["Groups (lots)"] == "53"
    assert not [b for b in at.button if b.label == "Move"]  # no keyboard move form in a read-only view


def test_notes_attach_to_scenario_and_group(db):
    at = scenarios_page()
    button(at, "Save as new").click()
    run(at)
    at.selectbox(key="note_kind").set_value("challenge")
    at.selectbox(key="note_group").set_value("G2")
    at.text_area(key="note_text").set_value("Long bus journey from the coast <script>")
    button(at, "Add note").click()
    run(at)
    store = ScenarioStore(db)
    sid = next(e for e in store.list() if not e.is_example).id
    notes = store.notes(sid)
    assert [(n.kind, n.group_label, n.text) for n in notes] == [
        ("challenge", "G2", "Long bus journey from the coast <script>")]



def test_compare_page_shows_differences(db):
    at = AppTest.from_file(APP, default_timeout=60)
    run(at)
    at.switch_page("views/compare.py")
    run(at)
    store = ScenarioStore(db)
    review = next(e for e in store.list() if e.name.startswith("Example: 2019"))
    at.multiselect(key="compare_pick").set_value(["__current__", review.id])
    run(at)
    totals = at.dataframe[0].value
    diff = totals[next(c for c in totals.columns if "−" in c)]
    assert diff["Open centres"] == "−39"  # 15 - 54
    assert diff["Share in deprived areas"] == "0.0 pts"
    changed = at.dataframe[1].value
    assert len(changed) == 54  # every centre: 39 closed, and the 15 bases regrouped by district
