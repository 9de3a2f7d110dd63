"""Property tests: invariants after any sequence of moves, closures, merges and reopenings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.catchment import prepare
from lib.data import load_default
from lib.metrics import evaluate
from lib.scenario import Scenario

NET = prepare(load_default())
IDS = list(NET.centre_ids)
BASE = Scenario.baseline(IDS)
BASELINE_TOTAL = evaluate(NET, BASE).baseline_total

centre = st.sampled_from(IDS)
op = st.one_of(
    st.tuples(st.just("move"), st.lists(centre, min_size=1, max_size=4), st.integers(0, 60)),
    st.tuples(st.just("close"), centre, st.none()),
    st.tuples(st.just("merge"), centre, centre),
    st.tuples(st.just("reopen"), centre, st.none()),
)


def apply(sc: Scenario, step) -> Scenario:
    kind, a, b = step
    if kind == "move":
        return sc.move(a, f"G{b}" if b < 55 else sc.new_group_label())
    if kind == "close":
        return sc.close(a)
    if kind == "reopen":
        return sc.reopen(a)
    if a == b or b in sc.closed:
        return sc
    return sc.merge(a, b)


PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(st.lists(op, max_size=25))
def test_no_child_counted_twice_or_lost(steps):
    sc = BASE
    for step in steps:
        sc = apply(sc, step)
    ev = evaluate(NET, sc, BASELINE_TOTAL)
    reach = ev.centre["reach"]
    is_open = ev.ctx.is_open
    assert np.all(reach[~is_open] == 0)
    covered = NET.children[ev.ctx.assign >= 0].sum()
    assert reach[is_open].sum() == covered
    if is_open.any():
        assert covered == NET.children.sum()
    assert ev.totals()["children_covered"] == covered


@PROPS
@given(st.lists(op, max_size=25))
def test_group_figures_are_sums_of_their_centres(steps):
    sc = BASE
    for step in steps:
        sc = apply(sc, step)
    ev = evaluate(NET, sc, BASELINE_TOTAL)
    centres = ev.centres_table()
    groups = ev.groups_table().set_index("group")
    centres["is_open"] = centres["status"] == "open"
    sums = centres.groupby("group")[["reach", "deprived_reach", "weighted_reach", "is_open"]].sum()
    sums = sums.reindex(groups.index)
    assert (sums["reach"] == groups["reach"]).all()
    assert (sums["deprived_reach"] == groups["deprived_reach"]).all()
    assert np.allclose(sums["weighted_reach"], groups["weighted_reach"])
    assert (sums["is_open"] == groups["open_centres"]).all()
    assert (centres.groupby("group").size().reindex(groups.index) == groups["centres"]).all()
    t = ev.totals()
    assert t["budget_total"] == pytest.approx(groups["lot_value"].sum())
    assert t["saving"] == pytest.approx(t["baseline_total"] - t["budget_total"])
    assert t["groups"] == len(groups)


@PROPS
@given(st.lists(st.tuples(st.lists(centre, min_size=1, max_size=3), st.integers(0, 60)), min_size=1, max_size=20))
def test_incremental_moves_equal_full_evaluation(moves):
    ev = evaluate(NET, BASE.close(IDS[3]), BASELINE_TOTAL)
    for ids, g in moves:
        ev = ev.with_move(ids, f"G{g}")
    full = evaluate(NET, ev.scenario, BASELINE_TOTAL)
    a, b = ev.totals(), full.totals()
    for key in a:
        assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-6), key
    ga, gb = ev.groups_table(), full.groups_table()
    assert ga["group"].tolist() == gb["group"].tolist()
    for col in ("reach", "open_centres", "span_km", "max_distance_km", "lot_value", "flags"):
        if not pd.api.types.is_numeric_dtype(ga[col]):
            assert ga[col].tolist() == gb[col].tolist(), col
        else:
            assert np.allclose(ga[col], gb[col]), col


@PROPS
@given(st.lists(op, max_size=20), st.text(max_size=30))
def test_scenario_survives_json_round_trip(steps, notes):
    sc = BASE
    for step in steps:
        sc = apply(sc, step)
    from dataclasses import replace

    sc = replace(sc, notes=notes)
    assert Scenario.from_json(sc.to_json()) == sc


@PROPS
@given(st.lists(op, max_size=20), st.floats(0, 90), st.lists(st.floats(0, 5), min_size=10, max_size=10))
def test_waterfall_steps_sum_to_the_saving_and_lots_never_hold_closed_centres(steps, cut, weights):
    from dataclasses import replace

    from lib.scenario import BudgetParameters, Deprivation

    sc = replace(BASE, budget=BudgetParameters(cut_percent=cut), deprivation=Deprivation(weights=tuple(weights)))
    for step in steps:
        sc = apply(sc, step)
    ev = evaluate(NET, sc)
    t = ev.totals()
    assert sum(v for _, v in ev.waterfall()) == pytest.approx(-t["saving"], abs=1e-6)
    open_groups = {sc.group_of[c] for c in IDS if c not in sc.closed}
    assert t["lots"] == len(open_groups) == sum(t["lots_by_route"].values())


@PROPS
@given(st.lists(op, max_size=20), st.lists(centre, min_size=1, max_size=4), st.integers(0, 60))
def test_a_move_changes_the_budget_only_through_the_lot_count(steps, moved, target):
    """What the map paints at a drop (Evaluation.totals_for_lots at the lot count after the move, the
    browser counting the groups with an open centre) is what the full evaluation says afterwards."""
    sc = BASE
    for step in steps:
        sc = apply(sc, step)
    before = evaluate(NET, sc, BASELINE_TOTAL)
    after_sc = apply(sc, ("move", moved, target))
    after = evaluate(NET, after_sc, BASELINE_TOTAL).totals()
    open_groups = {after_sc.group_of[c] for c in IDS if c not in after_sc.closed and c not in after_sc.merged_into}
    assert after["lots"] == len(open_groups)
    forecast = before.totals_for_lots(len(open_groups))
    assert forecast["budget_total"] == pytest.approx(after["budget_total"], rel=1e-12, abs=1e-6)
    assert forecast["envelope_gap"] == pytest.approx(after["envelope_gap"], rel=1e-12, abs=1e-6)
