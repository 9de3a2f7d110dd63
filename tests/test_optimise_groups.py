"""Suggested groups (lib.optimise.groups): hand cases, Norfolk, and property tests on random networks whose
rules are recomputed here, independently, from the returned grouping."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib import geo
from lib.catchment import prepare
from lib.data import Dataset, load_default
from lib.examples import neighbour_groups
from lib.metrics import Evaluation, evaluate
from lib.optimise.groups import GroupModel
from lib.scenario import Rules, Scenario

X0, Y0 = 620_000.0, 300_000.0
DEFAULT_REACH = Rules().min_reach  # GroupModel's lot-reach default when the scenario keeps the default rules
DEFAULT_SPAN = Rules().max_span_km


def network(km: list[tuple[float, float]], children: list[int], phases: list[int] | None = None,
            districts: list[str] | None = None) -> Dataset:
    """Centres C0, C1, ... at ``km`` (x, y) from (X0, Y0), each with one area of ``children`` at its own
    site, so that reach(Ci) = children[i] while every centre is open."""
    n = len(km)
    x = X0 + 1000.0 * np.array([p[0] for p in km], float)
    y = Y0 + 1000.0 * np.array([p[1] for p in km], float)
    lat, lon = geo.to_wgs84(x, y)
    areas = pd.DataFrame({"area_id": [f"E0{k:07d}" for k in range(n)], "name": [f"Area {k}" for k in range(n)],
                          "lat": lat, "lon": lon, "children": children, "imd_decile": 5, "x": x, "y": y})
    phase = pd.array([p or pd.NA for p in (phases or [0] * n)], dtype="Int64")
    centres = pd.DataFrame({
        "centre_id": [f"C{k}" for k in range(n)], "name": [f"Centre {k}" for k in range(n)], "lat": lat, "lon": lon,
        "phase": phase, "on_school_site": pd.array([pd.NA] * n, dtype="boolean"), "provider": "",
        "location_quality": "test", "illustrative": False, "x": x, "y": y})
    if districts is not None:
        centres["district"] = districts
    return Dataset(name="random", areas=areas, centres=centres)


def baseline(ds: Dataset) -> Evaluation:
    net = prepare(ds)
    return evaluate(net, Scenario.baseline(net.centre_ids))


def lots_of(groups: dict[str, str], scenario: Scenario) -> dict[str, set[str]]:
    """Group label -> its open centres, for groups with at least one."""
    out: dict[str, set[str]] = {}
    for c, g in groups.items():
        if c not in scenario.closed:
            out.setdefault(g, set()).add(c)
    return out


def partition(model: GroupModel) -> set[frozenset[str]]:
    return {frozenset(ms) for ms in lots_of(model.groups_, model.ev.scenario).values()}


def expected_breaks(ev: Evaluation, groups: dict[str, str], *, min_size: int, max_size: int, n_lots: int | None,
                    min_reach: float, max_span_km: float, mixed_phases: bool, within_districts: bool
                    ) -> set[tuple[str, str]]:
    """Every (rule, where) the grouping breaks, from the centres' data alone."""
    centres = ev.net.dataset.centres.set_index("centre_id")
    reach = dict(zip(ev.net.centre_ids, ev.centre["reach"], strict=True))
    out = set()
    lots = lots_of(groups, ev.scenario)
    for label, ms in lots.items():
        ms = sorted(ms)
        if len(ms) < min_size:
            out.add(("group_min", label))
        if len(ms) > max_size:
            out.add(("group_max", label))
        if sum(reach[c] for c in ms) < min_reach:
            out.add(("min_reach", label))
        xy = centres.loc[ms, ["x", "y"]].to_numpy() / 1000.0
        span = max((float(np.linalg.norm(a - b)) for a, b in combinations(xy, 2)), default=0.0)
        if span > max_span_km:
            out.add(("max_span", label))
        known = set(centres.loc[ms, "phase"].dropna().astype(int)) - {0}
        if mixed_phases and len(ms) > 1 and len(known) < 2:
            out.add(("mixed_phases", label))
        if within_districts and centres.loc[ms, "district"].nunique() > 1:
            out.add(("within_districts", label))
    if n_lots is not None and len(lots) != n_lots:
        out.add(("n_lots", "county"))
    return out


def check_locks(model: GroupModel, locked_centres=(), locked_groups=()) -> None:
    before, after = model.ev.scenario.group_of, model.groups_
    assert set(after) == set(before)
    assert model.scenario_.group_of == after and model.scenario_.closed == model.ev.scenario.closed
    for c in model.ev.scenario.closed:
        assert after[c] == before[c], "a closed centre kept its group"
    for c in locked_centres:
        assert after[c] == before[c], "a locked centre kept its group"
    for g in locked_groups:
        assert {c for c in after if after[c] == g} == {c for c in before if before[c] == g}


# --- hand cases -----------------------------------------------------------------------------------

PAIRS = [(0, 0), (1, 0), (30, 0), (31, 0)]  # C0-C1 and C2-C3: two obvious pairs, 30 km apart


def test_two_obvious_pairs():
    model = GroupModel(baseline(network(PAIRS, [700] * 4)), min_size=2, max_size=4).solve()
    assert model.groups_ == {"C0": "L1", "C1": "L1", "C2": "L2", "C3": "L2"}
    assert model.broken_rules_ == [] and model.n_lots_ == 2
    assert model.total_span_km_ == pytest.approx(2.0)
    assert model.weighted_travel_km_ == pytest.approx(2.0)  # one centre 1 km from its lot's medoid, per lot
    assert model.objective_ == pytest.approx(4.0)


def test_a_locked_group_is_kept_exactly_and_the_rest_regrouped():
    ev = baseline(network(PAIRS, [700] * 4))
    sc = ev.scenario.move(["C0", "C2"], "X")
    ev = evaluate(ev.net, sc)
    free = GroupModel(ev).solve()
    assert partition(free) == {frozenset({"C0", "C1"}), frozenset({"C2", "C3"})}  # what the lock prevents
    model = GroupModel(ev, locked_groups=["X"]).solve()
    check_locks(model, locked_groups=["X"])
    assert model.groups_ == {"C0": "X", "C2": "X", "C1": "L1", "C3": "L1"}
    assert model.broken_rules_ == []


def test_a_locked_centre_keeps_its_label_and_others_may_join_it():
    ev = baseline(network(PAIRS, [700] * 4))
    ev = evaluate(ev.net, ev.scenario.move(["C0", "C2"], "X"))
    model = GroupModel(ev, locked_centres=["C0"]).solve()
    check_locks(model, locked_centres=["C0"])
    assert model.groups_ == {"C0": "X", "C1": "X", "C2": "L1", "C3": "L1"}


def test_closed_centres_keep_their_group_and_do_not_count():
    ev = baseline(network(PAIRS, [700] * 4))
    ev = evaluate(ev.net, ev.scenario.move(["C1"], "OLD").close("C1"))
    model = GroupModel(ev, min_size=1, max_size=1).solve()
    assert model.groups_["C1"] == "OLD" and model.n_lots_ == 3 and model.broken_rules_ == []


def test_exactly_n_lots():
    km = [(0, 0), (1, 0), (40, 0), (41, 0), (80, 0), (81, 0)]
    ev = baseline(network(km, [700] * 6))
    assert GroupModel(ev, min_size=1, max_size=4).solve().n_lots_ == 6  # alone: no span, no travel
    three = GroupModel(ev, min_size=1, max_size=4, n_lots=3).solve()
    assert partition(three) == {frozenset({"C0", "C1"}), frozenset({"C2", "C3"}), frozenset({"C4", "C5"})}
    two = GroupModel(ev, min_size=1, max_size=4, n_lots=2, max_span_km=100).solve()
    assert two.n_lots_ == 2 and two.broken_rules_ == []


def test_a_span_that_cannot_be_met_is_reported_with_where_and_by_how_much():
    model = GroupModel(baseline(network([(0, 0), (50, 0)], [700, 700])), min_size=2, max_span_km=40).solve()
    assert model.groups_ == {"C0": "L1", "C1": "L1"}
    [broken] = model.broken_rules_
    assert (broken["rule"], broken["where"]) == ("max_span", "L1")
    assert broken["value"] == pytest.approx(50) and broken["limit"] == 40 and broken["by"] == pytest.approx(10)
    assert "10.0 km over the limit of 40 km" in broken["text"]


def test_a_remote_centre_stays_alone_and_the_size_rule_says_where():
    model = GroupModel(baseline(network([(0, 0), (1, 0), (100, 0)], [700] * 3)), min_size=2).solve()
    assert partition(model) == {frozenset({"C0", "C1"}), frozenset({"C2"})}
    [broken] = model.broken_rules_
    assert broken["rule"] == "group_min" and broken["where"] == model.groups_["C2"] and broken["by"] == 1
    assert "1 fewer than the minimum of 2" in broken["text"]


def test_lot_reach_is_a_threshold_per_lot():
    ev = baseline(network([(0, 0), (1, 0), (3, 0), (4, 0)], [400, 400, 900, 900]))
    assert GroupModel(ev, min_size=1, min_reach=800).solve().n_lots_ == 3  # C0 + C1 = 800 reach one lot
    model = GroupModel(ev, min_size=1, min_reach=900).solve()
    assert all(sum(ev.centre["reach"][int(c[1:])] for c in ms) >= 900 for ms in partition(model))
    assert model.broken_rules_ == []


def test_mixed_phases_and_districts():
    km = [(0, 0), (0.5, 0), (0, 2), (0.5, 2)]
    ev = baseline(network(km, [700] * 4, phases=[1, 1, 2, 2], districts=["A", "B", "A", "B"]))
    assert partition(GroupModel(ev).solve()) == {frozenset({"C0", "C1"}), frozenset({"C2", "C3"})}
    mixed = GroupModel(ev, mixed_phases=True).solve()
    assert all(len({int(c[1:]) // 2 for c in ms}) == 2 for ms in partition(mixed)) and not mixed.broken_rules_
    within = GroupModel(ev, within_districts=True).solve()
    assert partition(within) == {frozenset({"C0", "C2"}), frozenset({"C1", "C3"})} and not within.broken_rules_


def test_unknown_locks_and_bad_sizes_are_refused():
    ev = baseline(network(PAIRS, [700] * 4))
    with pytest.raises(KeyError):
        GroupModel(ev, locked_centres=["nope"])
    with pytest.raises(KeyError):
        GroupModel(ev, locked_groups=["nope"])
    with pytest.raises(ValueError):
        GroupModel(ev, min_size=3, max_size=2)


# --- Norfolk --------------------------------------------------------------------------------------

NET = prepare(load_default())
NORFOLK = evaluate(NET, Scenario.baseline(NET.centre_ids))


def test_norfolk_lots_of_two_to_four_with_five_locked_groups_meet_every_rule():
    sc = neighbour_groups(NET)
    locked = [g for g in sc.groups() if len(sc.members(g)) >= 2][:5]
    ev = evaluate(NET, sc)
    model = GroupModel(ev, min_size=2, max_size=4, locked_groups=locked).solve()
    check_locks(model, locked_groups=locked)
    assert model.broken_rules_ == []
    # the app's own figures agree: no lot over the span limit, sizes within 2-4, the same total span
    after = evaluate(NET, model.scenario_)
    g = after.group_arrays()
    lots = g["open_centres"] > 0
    assert g["span_km"][lots].max() <= DEFAULT_SPAN
    assert g["open_centres"][lots].min() >= 2 and g["open_centres"][lots].max() <= 4
    assert g["span_km"][lots].sum() == pytest.approx(model.total_span_km_)
    assert lots.sum() == model.n_lots_


def test_norfolk_in_36_lots_of_two_or_more_says_27_is_the_most():
    model = GroupModel(NORFOLK, min_size=2, max_size=4, n_lots=36).solve()
    assert model.n_lots_ == 27  # 54 open centres, at least two per lot
    assert [(b["rule"], b["where"], b["value"], b["limit"], b["by"]) for b in model.broken_rules_] == [
        ("n_lots", "county", 27.0, 36.0, 9.0)]
    assert model.broken_rules_[0]["text"] == "27 lots, 9 fewer than the 36 asked for"


def test_cancelling_stops_at_once_and_returns_a_full_grouping():
    calls: list[float] = []

    def stop(fraction: float) -> bool:
        calls.append(fraction)
        return False

    full = GroupModel(NORFOLK, locked_groups=["G1"]).solve()
    model = GroupModel(NORFOLK, locked_groups=["G1"], progress=stop).solve()
    assert len(calls) == 1 and model.cancelled_ and not full.cancelled_
    assert model.iterations_ < full.iterations_
    check_locks(model, locked_groups=["G1"])
    assert set(model.groups_) == set(NET.centre_ids)
    got = {(b["rule"], b["where"]) for b in model.broken_rules_}
    assert got == expected_breaks(NORFOLK, model.groups_, min_size=2, max_size=4, n_lots=None,
                                  min_reach=DEFAULT_REACH, max_span_km=DEFAULT_SPAN, mixed_phases=False,
                                  within_districts=False)


def test_progress_runs_from_zero_to_one_and_never_goes_back():
    seen: list[float] = []
    GroupModel(NORFOLK, progress=lambda f: seen.append(f) or True).solve()
    assert len(seen) > 10 and seen == sorted(seen) and seen[0] >= 0 and seen[-1] <= 1


# --- properties on random networks ----------------------------------------------------------------

@st.composite
def instances(draw):
    n = draw(st.integers(2, 12))
    cells = draw(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=n, max_size=n, unique=True))
    ds = network(cells, draw(st.lists(st.integers(50, 1500), min_size=n, max_size=n)),
                 phases=draw(st.lists(st.sampled_from([0, 1, 2, 3]), min_size=n, max_size=n)),
                 districts=draw(st.lists(st.sampled_from(["North", "South", "East"]), min_size=n, max_size=n)))
    net = prepare(ds)
    ids = list(net.centre_ids)
    sc = Scenario(name="random", group_of={c: f"G{draw(st.integers(1, 4))}" for c in ids})
    for c in draw(st.lists(st.sampled_from(ids), max_size=n - 1, unique=True)):
        sc = sc.close(c)
    min_size = draw(st.integers(1, 3))
    kw = {
        "min_size": min_size, "max_size": draw(st.integers(min_size, 4)),
        "n_lots": draw(st.none() | st.integers(1, n)),
        "min_reach": draw(st.none() | st.sampled_from([0, 500, 1000, 2000, 3000])),
        "max_span_km": draw(st.none() | st.integers(5, 80)),
        "mixed_phases": draw(st.booleans()), "within_districts": draw(st.booleans()), "seed": draw(st.integers(0, 3)),
        "locked_centres": draw(st.lists(st.sampled_from(ids), max_size=3, unique=True)),
        "locked_groups": draw(st.lists(st.sampled_from(sc.groups()), max_size=2, unique=True)),
    }
    return evaluate(net, sc), kw


def rules_of(kw: dict) -> dict:
    return {"min_size": kw["min_size"], "max_size": kw["max_size"], "n_lots": kw["n_lots"],
            "min_reach": DEFAULT_REACH if kw["min_reach"] is None else kw["min_reach"],
            "max_span_km": DEFAULT_SPAN if kw["max_span_km"] is None else kw["max_span_km"],
            "mixed_phases": kw["mixed_phases"], "within_districts": kw["within_districts"]}


PROPERTY = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(instances())
def test_locks_hold_and_broken_rules_are_exactly_those_the_grouping_breaks(case):
    ev, kw = case
    model = GroupModel(ev, **kw).solve()
    check_locks(model, kw["locked_centres"], kw["locked_groups"])
    got = [(b["rule"], b["where"]) for b in model.broken_rules_]
    assert len(got) == len(set(got))
    assert set(got) == expected_breaks(ev, model.groups_, **rules_of(kw))
    for b in model.broken_rules_:
        assert b["by"] > 0 and b["text"].startswith(b["where"] if b["rule"] != "n_lots" else f"{model.n_lots_} lots")
    assert model.n_lots_ == len(lots_of(model.groups_, ev.scenario))
    labels = set(model.groups_.values()) - set(ev.scenario.group_of.values())
    assert all(g.startswith("L") for g in labels), "new lots are labelled L1, L2, ..."
    assert model.objective_ == pytest.approx(model.total_span_km_ + model.weighted_travel_km_)


@PROPERTY
@given(instances())
def test_the_same_seed_gives_the_same_groups(case):
    ev, kw = case
    assert GroupModel(ev, **kw).solve().groups_ == GroupModel(ev, **kw).solve().groups_


@PROPERTY
@given(instances(), st.integers(1, 30))
def test_a_cancelled_search_still_gives_a_valid_full_grouping(case, stop_after):
    ev, kw = case
    calls = []

    def progress(fraction: float) -> bool:
        calls.append(fraction)
        return len(calls) < stop_after

    model = GroupModel(ev, progress=progress, **kw).solve()
    assert len(calls) <= stop_after
    check_locks(model, kw["locked_centres"], kw["locked_groups"])
    assert {(b["rule"], b["where"]) for b in model.broken_rules_} == expected_breaks(ev, model.groups_,
                                                                                      **rules_of(kw))
