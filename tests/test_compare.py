"""Comparing scenarios."""

from __future__ import annotations

import pytest

from lib import examples
from lib.catchment import prepare
from lib.compare import changed_centres, totals_side_by_side
from lib.data import load_default
from lib.metrics import evaluate
from lib.scenario import Scenario

NET = prepare(load_default())
BASE = Scenario.baseline(NET.centre_ids)


def test_totals_side_by_side_differences():
    a = evaluate(NET, BASE)
    b = evaluate(NET, examples.district_clusters(NET))
    table = totals_side_by_side([a, b])
    diff = table[f"{b.scenario.name} − {a.scenario.name}"]
    assert diff["Groups (lots)"] == 7 - 54
    assert diff["Budget total"] == pytest.approx(b.totals()["budget_total"] - a.totals()["budget_total"])


def test_changed_centres_ignores_relabelling_and_lists_moves():
    ids = list(NET.centre_ids)
    relabelled = Scenario(name="relabelled", group_of={c: f"X{i}" for i, c in enumerate(ids)})
    assert changed_centres([evaluate(NET, BASE), evaluate(NET, relabelled)]).empty
    moved = BASE.move([ids[1]], "G1").close(ids[7])
    changed = changed_centres([evaluate(NET, BASE), evaluate(NET, moved)])
    assert set(changed["centre_id"]) == {ids[0], ids[1], ids[7]}


def test_same_names_are_kept_apart():
    a = evaluate(NET, BASE)
    assert list(totals_side_by_side([a, a]).columns) == ["Baseline", "Baseline (2)", "Baseline (2) − Baseline"]
