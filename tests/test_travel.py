"""Who travels further, on the 3x3 grid (tests/conftest.py), worked by hand; and a property on Norfolk."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib import mapview, travel
from lib.catchment import prepare
from lib.data import load_default
from lib.metrics import evaluate
from lib.scenario import Rules, Scenario

# closing B (2.2, 1) sends column i = 2 to A (0, 1): areas (2, 0), (2, 1), (2, 2) with 30, 60, 90 children
OLD = [math.hypot(0.2, 1), 0.2, math.hypot(0.2, 1)]
NEW = [math.hypot(2, 1), 2.0, math.hypot(2, 1)]
CHILDREN = [30, 60, 90]


def grid_eval(grid, sc: Scenario):
    return evaluate(prepare(grid), sc)


def test_nothing_moves_in_the_baseline(grid):
    ev = grid_eval(grid, Scenario.baseline(["A", "B"]))
    assert travel.extra_km(ev).tolist() == [0.0] * 9
    s = travel.summary(ev)
    assert (s.children_further, s.extra_child_km, s.children_beyond) == (0, 0.0, 0)
    assert travel.affected_areas(ev).empty
    assert s.describe().endswith("no child has further to travel than in the baseline.")


def test_closing_a_centre_by_hand(grid):
    sc = Scenario(name="t", group_of={"A": "G1", "B": "G2"}, rules=Rules(max_distance_km=2.1)).close("B")
    ev = grid_eval(grid, sc)
    extra = travel.extra_km(ev)
    assert extra[[2, 5, 8]] == pytest.approx([n - o for n, o in zip(NEW, OLD, strict=True)])
    assert extra[[0, 1, 3, 4, 6, 7]].tolist() == [0.0] * 6
    s = travel.summary(ev)
    assert s.children_further == 180 and s.areas_further == 3
    assert s.extra_child_km == pytest.approx(sum(c * (n - o) for c, n, o in zip(CHILDREN, NEW, OLD, strict=True)))
    assert (s.limit_km, s.children_beyond, s.children_beyond_baseline) == (2.1, 30 + 90, 0)  # sqrt(5) > 2.1 > 2
    table = travel.affected_areas(ev)
    # most child-km first: 90 x 1.22 = 109.5, 60 x 1.8 = 108, 30 x 1.22 = 36.5
    assert table["Area"].tolist() == ["Area 22", "Area 21", "Area 20"]
    assert table["Baseline centre"].unique().tolist() == ["Beta"] and table["Scenario centre"].unique().tolist() == [
        "Alpha"]
    assert table["Extra distance (km)"].tolist() == pytest.approx([1.22, 1.8, 1.22])
    assert s.describe() == ("120 children more than 2.1 km from an open centre (0 in the baseline); 180 children "
                            f"travel further, {s.extra_child_km / 180:.1f} km more on average.")


def test_no_open_centre_at_all(grid):
    ev = grid_eval(grid, Scenario.baseline(["A", "B"]).close("A").close("B"))
    s = travel.summary(ev)
    assert s.children_beyond == 450 and s.children_further == 450 and math.isinf(s.extra_child_km)
    assert "450 children have no open centre" in s.describe()
    assert travel.affected_areas(ev)["Scenario centre"].unique().tolist() == ["no open centre"]
    assert travel.extra_class(travel.extra_km(ev)).tolist() == [4] * 9


def test_the_map_shades_extra_travel(grid):
    ev = grid_eval(grid, Scenario.baseline(["A", "B"]).close("B"))
    fill, legend = mapview.area_shading(ev, "travel", {})
    shaded = {a for a, c in fill.items() if c != mapview.TRAVEL_COLOURS[0]}
    assert shaded == {"E01000002", "E01000005", "E01000008"}  # column i = 2: 1.2 and 1.8 km more -> class 1
    assert {fill[a] for a in shaded} == {mapview.TRAVEL_COLOURS[1]}
    assert legend[1]["label"] == "up to 2 km further (180 children)"


NET = prepare(load_default())
IDS = list(NET.centre_ids)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(IDS), max_size=30, unique=True), st.lists(st.sampled_from(IDS), max_size=10))
def test_closing_more_centres_never_reduces_extra_travel(closed, more):
    """Closing any further centres (all but one, at most) never brings a child nearer than before."""
    more = [c for c in more if c not in closed]
    if len(set(closed) | set(more)) >= len(IDS):
        return
    sc = Scenario.baseline(IDS)
    for c in closed:
        sc = sc.close(c)
    before = travel.extra_km(evaluate(NET, sc))
    for c in more:
        sc = sc.close(c)
    after = travel.extra_km(evaluate(NET, sc))
    assert np.all(after >= before - 1e-9)
    assert travel.summary(evaluate(NET, sc)).extra_child_km >= float((NET.children * before).sum()) - 1e-6
