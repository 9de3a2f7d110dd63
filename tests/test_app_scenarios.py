"""AppTest: scenarios are saved, opened by link, conflict-checked, annotated and exported."""

from __future__ import annotations

from apptest import APP, IDS, TABS, open_tab, run
from streamlit.testing.v1 import AppTest
from textcheck import shown

from lib.store import ScenarioStore


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


def save_as_new(at: AppTest, name: str) -> AppTest:
    at.text_input(key="save_as_name").set_value(name)
    button(at, "Save as new").click()
    return run(at)


def test_save_update_conflict_and_copy(db):
    at = scenarios_page()
    at = move_on_plan(at, [IDS[1]], "G1")
    save_as_new(at, "Mine")
    store = ScenarioStore(db)
    mine = [e for e in store.list() if not e.is_example]
    assert len(mine) == 1 and mine[0].version == 1 and mine[0].name == "Mine"
    sid = mine[0].id
    assert store.get(sid).scenario.group_of[IDS[1]] == "G1"
    # a colleague who holds the editing link saves the same scenario meanwhile
    token = store.granted(at.session_state["browser_key"], sid).edit_token
    other = store.get(sid).scenario.move([IDS[2]], "G1")
    store.update(sid, other, expected_version=1, author="colleague", edit_token=token)
    at = move_on_plan(at, [IDS[3]], "G1")
    button(at, "Save").click()
    run(at)
    assert any("Nothing was overwritten" in shown(e.value) for e in at.error)
    assert store.get(sid).version == 2 and store.get(sid).scenario.group_of[IDS[3]] == "G4"
    assert {"Reload theirs (drop my changes)", "Save mine as a copy", "Compare with theirs"} <= {
        b.label for b in at.button}
    button(at, "Save mine as a copy").click()
    run(at)
    copies = store.list(search="my version")
    assert len(copies) == 1 and store.get(copies[0].id).scenario.group_of[IDS[3]] == "G1"
    assert store.get(sid).version == 2  # theirs untouched


def test_conflict_reload_takes_theirs(db):
    at = scenarios_page()
    at = move_on_plan(at, [IDS[1]], "G1")
    save_as_new(at, "Shared")
    store = ScenarioStore(db)
    sid = next(e for e in store.list() if not e.is_example).id
    token = store.granted(at.session_state["browser_key"], sid).edit_token
    store.update(sid, store.get(sid).scenario.move([IDS[2]], "G1"), expected_version=1, edit_token=token)
    at = move_on_plan(at, [IDS[3]], "G1")
    button(at, "Save").click()
    run(at)
    button(at, "Reload theirs (drop my changes)").click()
    run(at)
    present = at.session_state["history"].present
    assert present.group_of[IDS[2]] == "G1" and present.group_of[IDS[3]] == "G4"
    assert at.session_state["loaded"].version == 2


def test_save_as_new_asks_for_a_real_name(db):
    at = scenarios_page()
    at = move_on_plan(at, [IDS[1]], "G1")
    assert at.text_input(key="save_as_name").value == ""  # an edited baseline has no name to reuse
    for bad in ("", "   ", "Baseline", "baseline "):
        save_as_new(at, bad)
        assert at.error and "name" in shown(at.error[0].value)
    assert [e for e in ScenarioStore(db).list() if not e.is_example] == []


def test_notes_attach_to_scenario_and_group(db):
    at = scenarios_page()
    save_as_new(at, "Noted")
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


def test_a_note_with_a_nul_character_gets_a_message(db):
    at = scenarios_page()
    save_as_new(at, "Noted")
    at.text_area(key="note_text").set_value("bad \x00 note")
    button(at, "Add note").click()
    run(at)  # no exception
    assert any("NUL" in shown(e.value) for e in at.error)


def saved_elsewhere(db: str, name: str = "Linked"):
    from lib.scenario import Scenario

    return ScenarioStore(db).save_new(Scenario.baseline(IDS).move([IDS[5]], "G1"), name=name, dataset="Norfolk")


def labels(at: AppTest) -> set[str]:
    return {b.label for b in at.button}


def assert_plan_read_only(at: AppTest) -> None:
    """Every tab of the Plan page: no keyboard move form, the settings shown but not editable."""
    inputs = 0
    for tab in TABS:
        open_tab(at, tab)
        assert "Move" not in labels(at), tab  # no keyboard move form in a read-only view
        assert all(n.disabled for n in at.number_input), tab
        assert all(c.disabled for c in at.checkbox if c.key.startswith("rule_")), tab
        inputs += len(at.number_input)
    assert inputs  # the Rules tab's settings were there to be checked
    open_tab(at, TABS[0])


def test_a_viewing_link_stays_read_only_on_every_page(db):
    saved = saved_elsewhere(db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["link"] = saved.view_token
    run(at)
    assert at.session_state["history"].present.group_of[IDS[5]] == "G1"
    assert {m.label: m.value for m in at.metric}["Lots"] == "53"
    assert_plan_read_only(at)
    # the escape from the issue: Scenarios, then Plan, with the address bar's parameters gone or changed
    for params in ({}, {"view": "0"}, {"view": "true"}):
        at.query_params.clear()
        at.query_params.update(params)
        at.switch_page("views/scenarios.py")
        run(at)
        assert set(at.dataframe[0].value["Name"]) == {"Linked"}  # its own scenario only: no examples, no others
        assert {"Save", "Save as new", "Rename", "Duplicate", "Add note"}.isdisjoint(
            b.label for b in at.button if not b.disabled)
        assert "Make my own copy" in labels(at)
        at.switch_page("views/plan.py")
        run(at)
        assert_plan_read_only(at)
        at.switch_page("views/budget.py")
        run(at)
        widgets = [*at.number_input, *at.slider, *at.radio]
        assert widgets and all(w.disabled for w in widgets)  # the budget shown, not editable
    # the store refuses whatever the page might do
    store = ScenarioStore(db)
    assert store.get(saved.id).version == 1
    at.switch_page("views/data.py")
    run(at)
    assert "Load this dataset" not in labels(at)


def test_a_viewing_session_sees_only_its_scenario(db):
    other = saved_elsewhere(db, "Another council's plan")
    saved = saved_elsewhere(db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["link"] = saved.view_token
    run(at)
    at.switch_page("views/scenarios.py")
    run(at)
    names = set(at.dataframe[0].value["Name"]) if at.dataframe else set()
    assert other.name not in names and not any(n.startswith("Example") for n in names)
    at.switch_page("views/compare.py")
    run(at)
    options = at.multiselect(key="compare_pick").options
    assert not any(other.name in o for o in options) and len(options) == 2


def test_make_my_own_copy_then_edit(db):
    saved = saved_elsewhere(db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["link"] = saved.view_token
    run(at)
    at.switch_page("views/scenarios.py")
    run(at)
    button(at, "Make my own copy").click()
    run(at)
    assert not at.session_state["view_only"]
    copy = at.session_state["loaded"]
    assert copy.id != saved.id and copy.edit_token and copy.name == "Linked (my copy)"
    at = move_on_plan(at, [IDS[7]], "G1")
    button(at, "Save").click()
    run(at)
    store = ScenarioStore(db)
    assert store.get(copy.id).version == 2 and store.get(saved.id).version == 1  # the original unchanged
    assert at.query_params["link"] == copy.edit_token  # a reload reopens the copy, editable


def test_links_that_are_not_links_open_nothing_editable(db):
    saved = saved_elsewhere(db)
    for params in ({"link": saved.view_token[:-2]}, {"link": "garbage"}, {"link": saved.id},
                   {"link": saved.view_token + "x"}, {"scenario": "nope"}):
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(params)
        run(at)
        assert "loaded" not in at.session_state or at.session_state["loaded"] is None  # nothing opened
        assert at.error and "does not open any scenario" in shown(at.error[0].value)


def test_an_old_link_opens_read_only(db):
    saved = saved_elsewhere(db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["scenario"] = saved.id
    run(at)
    assert at.session_state["view_only"] and at.session_state["loaded"].id == saved.id
    assert at.session_state["loaded"].edit_token is None
    assert at.query_params["link"] == saved.view_token


def test_an_editing_link_edits_and_a_workspace_without_it_copies(db):
    saved = saved_elsewhere(db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["link"] = saved.edit_token
    run(at)
    assert not at.session_state["view_only"] and at.session_state["loaded"].can_save_over
    # a workspace session (no link) may open it from the list, but saving makes a copy, and it cannot delete it
    ws = scenarios_page()
    row = list(ws.dataframe[0].value["Name"]).index("Linked")
    ws.session_state["scenario_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    run(ws)
    assert "Open" in labels(ws) and "Duplicate" in labels(ws)  # the row is selected
    assert "Yes, delete" not in labels(ws) and "Rename" not in labels(ws)
    button(ws, "Open").click()
    run(ws)
    assert ws.session_state["loaded"].id == saved.id and not ws.session_state["loaded"].can_save_over
    ws = move_on_plan(ws, [IDS[9]], "G1")
    assert "Save" not in labels(ws)  # saving makes a copy
    save_as_new(ws, "Linked, my way")
    assert ScenarioStore(db).get(saved.id).version == 1


def test_reload_offers_the_unsaved_work_back(db):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["browser_key"] = "B" * 32
    run(at)
    for i in range(5):
        at = move_on_plan(at, [IDS[10 + i]], "G1")
    at.switch_page("views/plan.py")
    figures = {m.label: m.value for m in run(at).metric}
    # F5: a new session of the same browser
    again = AppTest.from_file(APP, default_timeout=60)
    again.session_state["browser_key"] = "B" * 32
    run(again)
    offer = " ".join(shown(w.value) for w in again.warning)
    assert "You have unsaved work from" in offer and "(5 changes)" in offer
    button(again, "Restore").click()
    run(again)
    present = again.session_state["history"].present
    assert all(present.group_of[IDS[10 + i]] == "G1" for i in range(5))
    assert {m.label: m.value for m in again.metric} == figures  # the Plan page, as before the reload
    assert len(again.session_state["history"].past) == 5  # the undo history came back too
    # another browser is offered nothing
    stranger = AppTest.from_file(APP, default_timeout=60)
    stranger.session_state["browser_key"] = "C" * 32
    run(stranger)
    assert not any("unsaved work" in shown(w.value) for w in stranger.warning)


def test_discard_forgets_the_draft(db):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["browser_key"] = "D" * 32
    run(at)
    move_on_plan(at, [IDS[1]], "G1")
    again = AppTest.from_file(APP, default_timeout=60)
    again.session_state["browser_key"] = "D" * 32
    run(again)
    button(again, "Discard").click()
    run(again)
    third = AppTest.from_file(APP, default_timeout=60)
    third.session_state["browser_key"] = "D" * 32
    run(third)
    assert not any("unsaved work" in shown(w.value) for w in third.warning)


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
