"""Formulas on the 3x3 grid (see conftest.grid_dataset): answers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lib.catchment import prepare, resolve_targets
from lib.metrics import evaluate, registry_version
from lib.scenario import BudgetParameters, Deprivation, Rules, Scenario

# children by column: i=0 -> 10+40+70, i=1 -> 20+50+80, i=2 -> 30+60+90
REACH_A, REACH_B = 120 + 150, 180


def w(d: int) -> float:
    return 2.0 - (d - 1) / 9


def test_reach_is_children_of_nearest_centre(grid):
    ev = evaluate(prepare(grid), Scenario.baseline(["A", "B"]))
    assert ev.centre["reach"].tolist() == [REACH_A, REACH_B]
    assert ev.totals()["children_covered"] == 450


def test_deprived_and_weighted_reach(grid):
    ev = evaluate(prepare(grid), Scenario.baseline(["A", "B"]))
    # deciles <= 3 are the bottom row: A gets areas of decile 1, 2 (10 + 20), B decile 3 (30)
    assert ev.centre["deprived_reach"].tolist() == [30, 30]
    assert ev.centre["deprived_share"] == pytest.approx([30 / 270, 30 / 180])
    a = 10 * w(1) + 20 * w(2) + 40 * w(4) + 50 * w(5) + 70 * w(7) + 80 * w(8)
    b = 30 * w(3) + 60 * w(6) + 90 * w(9)
    assert ev.centre["weighted_reach"] == pytest.approx([a, b])
    assert a == pytest.approx(20 + 3360 / 9)


def test_deprivation_threshold_and_weights_are_parameters(grid):
    sc = Scenario.baseline(["A", "B"])
    sc = Scenario.from_dict({**sc.to_dict(), "deprivation": {"threshold": 1, "weights": [1.0] * 10}})
    ev = evaluate(prepare(grid), sc)
    assert ev.centre["deprived_reach"].tolist() == [10, 0]
    assert ev.centre["weighted_reach"].tolist() == [REACH_A, REACH_B]


def test_distances(grid):
    ev = evaluate(prepare(grid), Scenario.baseline(["A", "B"]))
    assert ev.centre["max_distance_km"] == pytest.approx([math.sqrt(2), math.hypot(0.2, 1)])
    # A: children-weighted mean distance over its six areas
    a_km = 10 * 1 + 20 * math.sqrt(2) + 40 * 0 + 50 * 1 + 70 * 1 + 80 * math.sqrt(2)
    assert ev.centre["mean_distance_km"][0] == pytest.approx(a_km / 270)


def test_group_figures_and_span(grid):
    ev = evaluate(prepare(grid), Scenario.baseline(["A", "B"]).move(["B"], "G1"))
    g = ev.groups_table()
    assert g["group"].tolist() == ["G1"]
    row = g.iloc[0]
    assert (row.centres, row.open_centres, row.reach) == (2, 2, 450)
    assert row.reach_per_centre == 225
    assert row.span_km == pytest.approx(2.2)
    assert row.deprived_share == pytest.approx(60 / 450)
    assert row.max_distance_km == pytest.approx(math.sqrt(2))


def test_closing_moves_areas_to_nearest_open_centre(grid):
    net = prepare(grid)
    ev = evaluate(net, Scenario.baseline(["A", "B"]).close("A"))
    assert ev.centre["reach"].tolist() == [0, 450]
    assert ev.totals()["children_further"] == REACH_A
    assert ev.totals()["closed_centres"] == 1


def test_merge_sends_areas_to_target_and_reopen_restores(grid):
    net = prepare(grid)
    sc = Scenario.baseline(["A", "B"]).merge("B", "A")
    assert evaluate(net, sc).centre["reach"].tolist() == [450, 0]
    assert evaluate(net, sc.reopen("B")).centre["reach"].tolist() == [REACH_A, REACH_B]


def test_all_closed_leaves_children_uncovered(grid):
    ev = evaluate(prepare(grid), Scenario.baseline(["A", "B"]).close("A").close("B"))
    t = ev.totals()
    assert t["children_covered"] == 0
    assert t["areas_beyond_max_distance"] == 9
    assert t["budget_total"] == 0


def test_merge_chains_resolve():
    closed = np.array([True, True, False, True])
    target = np.array([1, 2, -1, -1])  # 0 -> 1 -> 2 (open); 3 closed, no target
    assert resolve_targets(4, closed, target).tolist() == [2, 2, 2, -1]


def test_budget_formula(grid):
    params = BudgetParameters(management_per_lot=1000, base_cost_phase_1=100, base_cost_phase_2=200,
                              base_cost_phase_3=300, base_cost_phase_unknown=50, rate_per_weighted_child=2,
                              cut_percent=25)
    sc = Scenario(name="t", group_of={"A": "G1", "B": "G2"}, budget=params)
    ev = evaluate(prepare(grid), sc)
    wa, wb = ev.centre["weighted_reach"]
    baseline = 2 * 1000 + (100 + 2 * wa) + (50 + 2 * wb)
    t = ev.totals()
    assert t["baseline_total"] == pytest.approx(baseline)
    assert t["envelope"] == pytest.approx(0.75 * baseline)
    grouped = evaluate(prepare(grid), sc.move(["B"], "G1"))
    t2 = grouped.totals()
    assert t2["budget_total"] == pytest.approx(baseline - 1000)
    assert t2["saving"] == pytest.approx(1000)
    assert t2["envelope_gap"] == pytest.approx(0.75 * baseline - (baseline - 1000))


def test_envelope_amount_overrides_cut(grid):
    sc = Scenario(name="t", group_of={"A": "G1", "B": "G2"}, budget=BudgetParameters(envelope_amount=123.0))
    assert evaluate(prepare(grid), sc).totals()["envelope"] == 123.0


def test_rules_flag_with_reasons(grid):
    rules = Rules(min_reach=200, group_min=2, group_max=1, max_span_km=2.0, max_distance_km=1.2)
    sc = Scenario(name="t", group_of={"A": "G1", "B": "G2"}, rules=rules)
    ev = evaluate(prepare(grid), sc)
    centres = ev.centres_table()
    assert centres.set_index("centre_id").loc["B", "flags"] == "reach 180 below 200"
    assert centres.set_index("centre_id").loc["A", "flags"] == ""
    g = ev.groups_table().set_index("group")
    assert "fewer than 2" in g.loc["G1", "flags"]
    t = ev.totals()
    # areas further than 1.2 km: A's (1,0) and (1,2) at sqrt(2) km
    assert t["areas_beyond_max_distance"] == 2
    assert t["children_beyond_max_distance"] == 20 + 80
    together = evaluate(prepare(grid), sc.move(["B"], "G1")).groups_table().set_index("group")
    assert together.loc["G1", "flags"] == "2 centres, more than 1; span 2.2 km over 2 km"


def test_mixed_phase_rule(grid):
    sc = Scenario(name="t", group_of={"A": "G1", "B": "G1"}, rules=Rules(mixed_phases=True, group_max=None))
    # B's phase is unknown, so G1 has one known phase: flagged
    assert "phases not mixed" in evaluate(prepare(grid), sc).groups_table()["flags"].iloc[0]


def test_incremental_move_equals_full_evaluation(grid):
    net = prepare(grid)
    ev = evaluate(net, Scenario.baseline(["A", "B"]))
    moved = ev.with_move(["B"], "G1")
    full = evaluate(net, moved.scenario, ev.baseline_total)
    assert moved.totals() == full.totals()
    assert moved.groups_table().equals(full.groups_table())


def test_registry_version_is_stable():
    assert registry_version() == registry_version()
    assert len(registry_version()) == 12


def test_deprivation_default_weights():
    assert Deprivation().weights[0] == 2.0 and Deprivation().weights[-1] == 1.0
    assert np.all(np.diff(Deprivation().weights) < 0)
