"""Scenario edits are immutable, validated and described in plain English."""

from __future__ import annotations

import json

import pytest

from lib.scenario import Lot, Scenario, describe_changes, natural_key


def test_baseline_every_centre_its_own_lot():
    sc = Scenario.baseline(["a", "b", "c"])
    assert sc.groups() == ["G1", "G2", "G3"]
    assert sc.closed == frozenset()


def test_edits_return_new_scenarios():
    sc = Scenario.baseline(["a", "b", "c"])
    moved = sc.move(["c"], "G1")
    assert sc.group_of["c"] == "G3" and moved.group_of["c"] == "G1"
    assert moved.groups() == ["G1", "G2"]
    assert moved.new_group_label() == "G3"


def test_merge_rules():
    sc = Scenario.baseline(["a", "b", "c"])
    with pytest.raises(ValueError):
        sc.merge("a", "a")
    with pytest.raises(ValueError):
        sc.close("b").merge("a", "b")
    with pytest.raises(KeyError):
        sc.move(["zzz"], "G1")
    # merging the target of an earlier merge re-points the earlier one
    chained = sc.merge("a", "b").merge("b", "c")
    assert chained.merged_into == {"a": "c", "b": "c"}


def test_lots_follow_groups():
    sc = Scenario.baseline(["a", "b"]).with_lot("G2", Lot(route="application", lead_agency="Action for Children"))
    assert sc.lot("G2").route == "application"
    assert "G2" not in sc.move(["b"], "G1").lots


def test_change_log_lines():
    sc = Scenario.baseline(["swaffham", "diss", "holt"])
    after = sc.move(["swaffham"], "G3").merge("diss", "holt")
    names = {"swaffham": "Swaffham", "diss": "Diss", "holt": "Holt"}
    assert describe_changes(sc, after, names) == ["Swaffham moved from G1 to G3", "Diss merged into Holt"]
    assert describe_changes(after, after.reopen("diss"), names) == ["Diss reopened"]


def test_from_dict_rejects_bad_input():
    with pytest.raises(ValueError):
        Scenario.from_dict({"name": "x"})
    with pytest.raises(ValueError):
        Scenario.from_dict({"group_of": {"a": "G1"}, "deprivation": {"weights": [1, 2]}})
    with pytest.raises(KeyError):
        Scenario.from_dict({"group_of": {"a": "G1"}, "closed": ["b"]})


def test_natural_order():
    assert sorted(["G10", "G2", "G1"], key=natural_key) == ["G1", "G2", "G10"]


def test_history_round_trips_through_a_draft():
    from lib.history import History

    ids = ["a", "b", "c", "d"]
    names = dict(zip(ids, ["Alpha", "Beta", "Gamma", "Delta"], strict=True))
    h = History.start(Scenario.baseline(ids))
    for step in range(6):
        h = h.do(h.present.move([ids[step % 4]], f"G{step % 2 + 1}").close(ids[(step + 1) % 4]), names)
    h = h.undo().undo()
    back = History.from_dict(json.loads(json.dumps(h.to_dict())))
    assert back == h
    short = History.from_dict(h.to_dict(keep=2))
    assert short.present == h.present and short.past == h.past[-2:] and short.future == h.future[:2]
    assert short.undo().undo().present == h.undo().undo().present
    with pytest.raises(ValueError):
        History.from_dict({"past": []})
    with pytest.raises(ValueError, match="different centres"):
        History.from_dict({**h.to_dict(), "baseline": Scenario.baseline(["x"]).to_dict()})
