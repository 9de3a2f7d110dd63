"""Suggested reach areas and max-p regions (lib.optimise.areas, .regions) and the contiguity they rest on
(lib.optimise.adjacency): hand cases on strips, and property tests on random grids whose contiguity,
counts and thresholds are rechecked here with this file's own breadth-first search."""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lib import geo
from lib.catchment import prepare
from lib.data import Dataset, load_default
from lib.metrics import Evaluation, evaluate
from lib.optimise.adjacency import queen_adjacency
from lib.optimise.areas import AreaModel
from lib.optimise.regions import RegionModel
from lib.scenario import Scenario

X0, Y0 = 620_000.0, 300_000.0  # near Norwich, British National Grid
KM = 1000.0
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- synthetic counties: unit squares (1 km) with their polygons -------------------------------

def square(i: float, j: float) -> dict:
    """The 1 km cell (i, j) as a GeoJSON polygon (WGS84); neighbouring cells share corners exactly."""
    xs = X0 + KM * np.array([i - 0.5, i + 0.5, i + 0.5, i - 0.5, i - 0.5])
    ys = Y0 + KM * np.array([j - 0.5, j - 0.5, j + 0.5, j + 0.5, j - 0.5])
    lat, lon = geo.to_wgs84(xs, ys)
    return {"type": "Polygon", "coordinates": [[[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]]}


def county(cells: list[tuple[float, float]], children: list[int], centres: list[tuple[float, float]],
           polygons: list[bool] | None = None) -> Dataset:
    """Areas at ``cells`` (km from (X0, Y0)), each a 1 km square (unless ``polygons`` says not), and
    centres C0, C1, ... at the points ``centres`` (km)."""
    x = X0 + KM * np.array([c[0] for c in cells], float)
    y = Y0 + KM * np.array([c[1] for c in cells], float)
    lat, lon = geo.to_wgs84(x, y)
    ids = [f"E0{k:07d}" for k in range(len(cells))]
    areas = pd.DataFrame({"area_id": ids, "name": [f"Area {k}" for k in range(len(cells))], "lat": lat, "lon": lon,
                          "children": children, "imd_decile": 5, "x": x, "y": y})
    features = [{"type": "Feature", "properties": {"lsoa11cd": a}, "geometry": square(*c)}
                for a, c, keep in zip(ids, cells, polygons or [True] * len(cells), strict=True) if keep]
    cx = X0 + KM * np.array([c[0] for c in centres], float)
    cy = Y0 + KM * np.array([c[1] for c in centres], float)
    clat, clon = geo.to_wgs84(cx, cy)
    n = len(centres)
    frame = pd.DataFrame({
        "centre_id": [f"C{k}" for k in range(n)], "name": [f"Centre {k}" for k in range(n)], "lat": clat,
        "lon": clon, "phase": pd.array([pd.NA] * n, dtype="Int64"),
        "on_school_site": pd.array([pd.NA] * n, dtype="boolean"), "provider": "", "location_quality": "test",
        "illustrative": False, "x": cx, "y": cy})
    return Dataset(name="synthetic", areas=areas, centres=frame,
                   boundaries={"type": "FeatureCollection", "features": features})


def strip(children: list[int], centres: list[float]) -> Dataset:
    """A 1-D strip of cells 0, 1, 2, ... with centres at the given positions along it."""
    return county([(float(i), 0.0) for i in range(len(children))], children, [(c, 0.1) for c in centres])


def baseline(ds: Dataset, closed: tuple[str, ...] = ()) -> Evaluation:
    net = prepare(ds)
    sc = Scenario.baseline(net.centre_ids)
    for c in closed:
        sc = sc.close(c)
    return evaluate(net, sc)


# --- this file's own checks (no code of the modules under test) -------------------------------

def grid_neighbours(cells: list[tuple[float, float]]) -> list[set[int]]:
    """Queen neighbours of unit cells on integer positions: both coordinates differ by at most one."""
    pos = {(round(a), round(b)): k for k, (a, b) in enumerate(cells)}
    return [{pos[(round(a) + da, round(b) + db)] for da in (-1, 0, 1) for db in (-1, 0, 1)
             if (da or db) and (round(a) + da, round(b) + db) in pos} for a, b in cells]


def connected(members: set[int], nb: list[set[int]]) -> bool:
    if not members:
        return False
    start = next(iter(members))
    seen, queue = {start}, deque([start])
    while queue:
        for j in nb[queue.popleft()] & members:
            if j not in seen:
                seen.add(j)
                queue.append(j)
    return seen == members


def pieces(assignment: dict[str, str]) -> dict[str, set[int]]:
    """Label -> area rows (area ids are E0 + the row number)."""
    out: dict[str, set[int]] = {}
    for area, label in assignment.items():
        out.setdefault(label, set()).add(int(area[2:]))
    return out


# --- adjacency ---------------------------------------------------------------------------------

def test_queen_adjacency_of_a_grid_is_the_grid_rule():
    cells = [(float(i), float(j)) for j in range(3) for i in range(4)]
    adj = queen_adjacency(county(cells, [1] * 12, [(0, 0)]))
    got = [set(map(int, row)) for row in adj.neighbours()]
    assert got == grid_neighbours(cells)
    assert len(adj.bridges) == 0


def test_islands_and_areas_without_polygons_are_bridged_to_the_nearest_area():
    # cells 0-1-2, a gap, then an island 4-5; area 6 (at 9 km) has no polygon
    cells = [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (4.0, 0.0), (5.0, 0.0), (9.0, 0.0)]
    adj = queen_adjacency(county(cells, [1] * 6, [(0, 0)], polygons=[True] * 5 + [False]))
    pairs = {tuple(sorted(map(int, b))) for b in adj.bridges}
    assert pairs == {(2, 3), (4, 5)}
    nb = [set(map(int, row)) for row in adj.neighbours()]
    assert nb[2] == {1, 3} and nb[5] == {4}
    assert connected(set(range(6)), nb)


def test_norfolk_is_one_piece_and_symmetric():
    adj = queen_adjacency(load_default())
    m = adj.matrix
    assert m.shape == (538, 538) and (m != m.T).nnz == 0 and m.diagonal().sum() == 0
    assert len(adj.bridges) == 0
    assert connected(set(range(538)), [set(map(int, r)) for r in adj.neighbours()])


# --- reach areas: hand cases -------------------------------------------------------------------

def test_strip_split_evenly_needs_no_move():
    m = AreaModel(baseline(strip([100] * 6, [0.0, 5.0])), min_reach=300).solve()
    assert pieces(m.assignment_) == {"C0": {0, 1, 2}, "C1": {3, 4, 5}}
    assert m.below_min_reach_ == [] and m.weighted_km_ == pytest.approx(m.baseline_weighted_km_)


def test_a_short_centre_pulls_through_a_chain_of_donors():
    # nearest: C0 {0, 1} 200, C1 {2, 3, 4} 300, C2 {5..8} 400. C0 can only take area 2 from C1, which then
    # takes area 5 from C2.
    m = AreaModel(baseline(strip([100] * 9, [0.0, 3.0, 6.0])), min_reach=300).solve()
    assert pieces(m.assignment_) == {"C0": {0, 1, 2}, "C1": {3, 4, 5}, "C2": {6, 7, 8}}
    assert m.below_min_reach_ == []
    assert m.weighted_km_ > m.baseline_weighted_km_


def test_a_centre_hemmed_in_says_why_and_keeps_its_nearest_areas():
    # C0 at cell 0 with C1's own area next to it: nothing can reach C0
    m = AreaModel(baseline(strip([100] * 6, [0.0, 1.0])), min_reach=300).solve()
    assert pieces(m.assignment_) == {"C0": {0}, "C1": {1, 2, 3, 4, 5}}
    (below,) = m.below_min_reach_
    assert below["centre_id"] == "C0" and below["reach"] == 100 and below["short_by"] == 200
    assert "own areas" in below["why"] and "Centre 1" in below["why"]


def test_surrounded_by_centres_that_cannot_spare_any():
    # C0 {0} 100 | C1 {1, 2, 3} 300 | C2 {4, 5, 6} 300 (nearest); nobody can give without falling below
    m = AreaModel(baseline(strip([100] * 7, [0.0, 1.9, 5.0])), min_reach=300).solve()
    assert [b["centre_id"] for b in m.below_min_reach_] == ["C0"]
    assert m.below_min_reach_[0]["why"].startswith("surrounded by centres that would fall below 300")
    assert pieces(m.assignment_)["C0"] == {0}


def test_contiguity_repair_moves_a_detached_piece():
    # a U of cells; C0 stands in the gap near the top-left, nearest to both top corners
    cells = [(0.0, 0.0), (0.0, 1.0), (0.0, 2.0), (1.0, 0.0), (2.0, 0.0), (2.0, 1.0), (2.0, 2.0)]
    ds = county(cells, [10] * 7, [(0.9, 2.2), (1.0, 0.0)])
    m = AreaModel(baseline(ds), min_reach=0).solve()
    got = pieces(m.assignment_)
    assert 2 in got["C0"] and 6 in got["C1"]  # the top-right corner cannot stay with C0
    nb = grid_neighbours(cells)
    assert all(connected(ms, nb) for ms in got.values())


def test_two_centres_in_one_area_get_an_area_each():
    m = AreaModel(baseline(strip([100] * 4, [1.0, 1.2])), min_reach=0).solve()
    assert m.home_areas_ == {"C0": "E00000001", "C1": "E00000002"}
    assert m.assignment_["E00000001"] == "C0" and m.assignment_["E00000002"] == "C1"


def test_closed_centres_get_no_areas_and_none_open_is_an_error():
    ev = baseline(strip([100] * 6, [0.0, 3.0, 5.0]), closed=("C1",))
    m = AreaModel(ev, min_reach=0).solve()
    assert set(m.assignment_.values()) == {"C0", "C2"} and set(m.reach_) == {"C0", "C2"}
    with pytest.raises(ValueError, match="no open centre"):
        AreaModel(baseline(strip([1, 1], [0.0]), closed=("C0",))).solve()


def test_norfolk_reach_areas_meet_the_minimum_where_they_can():
    ev = baseline(load_default())
    m = AreaModel(ev, min_reach=600).solve()
    assert len(m.assignment_) == 538 and sum(m.reach_.values()) == ev.net.children.sum()
    low = {b["centre_id"] for b in m.below_min_reach_}
    assert all(r >= 600 for c, r in m.reach_.items() if c not in low)
    assert m.weighted_km_ >= m.baseline_weighted_km_
    nb = [set(map(int, r)) for r in queen_adjacency(ev.net.dataset).neighbours()]
    rows = {a: k for k, a in enumerate(ev.net.dataset.areas["area_id"])}
    by_centre: dict[str, set[int]] = {}
    for a, c in m.assignment_.items():
        by_centre.setdefault(c, set()).add(rows[a])
    assert all(connected(ms, nb) for ms in by_centre.values())


# --- reach areas: properties on random grids ---------------------------------------------------

@st.composite
def grids(draw: st.DrawFn) -> tuple[Dataset, list[tuple[float, float]], tuple[str, ...], float, dict[str, int]]:
    """A random comb: a row of 1-9 cells with teeth of 0-5 cells up and 0-3 down (bays between them, where
    nearest-centre areas fall apart), random children, 1-6 centres anywhere over it (in a cell, or in a
    bay), some closed; and each centre's own area as worked out here: the cell containing its point, else
    the nearest cell centroid."""
    width = draw(st.integers(1, 9))
    up = draw(st.lists(st.integers(0, 5), min_size=width, max_size=width))
    down = draw(st.lists(st.sampled_from([0, 0, 0, 1, 2, 3]), min_size=width, max_size=width))
    cells = [(i, j) for i in range(width) for j in range(-down[i], up[i] + 1)]
    cells_f = [(float(a), float(b)) for a, b in cells]
    children = draw(st.lists(st.integers(0, 300), min_size=len(cells), max_size=len(cells)))
    k = draw(st.integers(1, min(6, len(cells))))
    xs, ys = [a for a, _ in cells], [b for _, b in cells]
    points = draw(st.lists(st.tuples(st.floats(min(xs) - 0.5, max(xs) + 0.5), st.floats(min(ys) - 0.5, max(ys) + 0.5)),
                           min_size=k, max_size=k))
    own = {}
    for c, (px, py) in enumerate(points):
        inside = (round(px), round(py))
        near = min(range(len(cells)), key=lambda i: np.hypot(cells[i][0] - px, cells[i][1] - py))
        edge = max(abs(px - inside[0]), abs(py - inside[1])) > 0.49  # too near a border to say which cell
        assume(not edge)
        own[f"C{c}"] = cells.index(inside) if inside in cells else near
    assume(len(set(own.values())) == k)  # two centres in one area: a hand case below
    closed = tuple(f"C{c}" for c in draw(st.sets(st.integers(0, k - 1), max_size=k - 1)))
    min_reach = draw(st.sampled_from([0.0, 150.0, 400.0, 900.0]))
    return county(cells_f, children, points), cells_f, closed, min_reach, own


@PROPS
@given(grids())
def test_reach_areas_are_contiguous_hold_their_centre_and_count_every_child_once(case):
    ds, cells, closed, min_reach, own = case
    ev = baseline(ds, closed)
    m = AreaModel(ev, min_reach=min_reach).solve()
    open_ids = {c for c in ev.net.centre_ids if c not in closed}
    assert set(m.assignment_) == set(ds.areas["area_id"]) and set(m.assignment_.values()) <= open_ids
    got = pieces(m.assignment_)
    assert set(got) == open_ids  # every open centre keeps at least its own area
    nb = grid_neighbours(cells)
    children = ds.areas["children"].to_numpy()
    for c, ms in got.items():
        assert connected(ms, nb), c
        assert own[c] in ms, c
        assert m.reach_[c] == children[list(ms)].sum()
    assert sum(m.reach_.values()) == children.sum()
    low = {b["centre_id"]: b for b in m.below_min_reach_}
    for c, r in m.reach_.items():
        if c in low:
            assert r < min_reach and low[c]["short_by"] == pytest.approx(min_reach - r) and low[c]["why"]
        else:
            assert r >= min_reach
    x, y = ds.areas["x"].to_numpy() / KM, ds.areas["y"].to_numpy() / KM
    cx = dict(zip(ds.centres["centre_id"], ds.centres["x"] / KM, strict=True))
    cy = dict(zip(ds.centres["centre_id"], ds.centres["y"] / KM, strict=True))
    km = sum(children[int(a[2:])] * np.hypot(x[int(a[2:])] - cx[c], y[int(a[2:])] - cy[c])
             for a, c in m.assignment_.items())
    assert m.weighted_km_ == pytest.approx(km)
    assert AreaModel(ev, min_reach=min_reach).solve().assignment_ == m.assignment_  # deterministic


# --- regions: hand cases -----------------------------------------------------------------------

@pytest.mark.parametrize(("children", "threshold", "expected"), [
    ([100] * 6, 200, 3),
    ([50] * 10, 100, 5),
    ([300, 100, 100, 300], 300, 2),
    ([500, 10, 500], 500, 2),  # the 10 joins a neighbour
    ([600], 600, 1),
])
def test_regions_on_a_strip(children, threshold, expected):
    m = RegionModel(prepare(strip(children, [0.0])), min_reach=threshold).solve()
    assert m.regions_ == expected and m.below_min_reach_ == []
    assert sorted(m.reach_) == sorted(f"R{k}" for k in range(1, expected + 1))
    assert all(r >= threshold for r in m.reach_.values())
    nb = grid_neighbours([(float(i), 0.0) for i in range(len(children))])
    assert all(connected(ms, nb) for ms in pieces(m.labels_).values())


def test_a_county_too_small_for_one_region_says_so():
    m = RegionModel(prepare(strip([100, 200], [0.0])), min_reach=600).solve()
    assert m.regions_ == 1 and set(m.labels_.values()) == {"R1"}
    (below,) = m.below_min_reach_
    assert below["region"] == "R1" and below["short_by"] == 300 and "300 children" in below["why"]


def test_a_site_is_the_children_weighted_medoid():
    # children 10, 10, 500 along a strip: the site is the heavy end
    m = RegionModel(prepare(strip([10, 10, 500], [0.0])), min_reach=520).solve()
    assert m.regions_ == 1 and m.sites_ == {"R1": "E00000002"}


def test_regions_accept_an_evaluation_and_stop_when_asked():
    calls = []
    m = RegionModel(baseline(strip([100] * 8, [0.0])), min_reach=200,
                    progress=lambda f: calls.append(f) or False).solve()
    assert m.cancelled_ and m.restarts_ == 1 and len(calls) == 1 and 0 < calls[0] <= 1
    assert m.regions_ == 4


def test_norfolk_has_more_regions_than_spopt_found():
    """spopt 0.7.0 MaxPHeuristic finds 58 regions of >= 600 children (DESIGN.md); bench/bench_optimise.py
    compares the two in one run."""
    m = RegionModel(prepare(load_default()), min_reach=600).solve()
    assert m.regions_ >= 58 and min(m.reach_.values()) >= 600 and m.below_min_reach_ == []


# --- regions: properties -----------------------------------------------------------------------

@PROPS
@given(grids(), st.sampled_from([50.0, 200.0, 500.0, 1000.0]), st.integers(0, 3))
def test_regions_are_contiguous_meet_the_threshold_and_count_every_child_once(case, threshold, seed):
    ds, cells, _, _, _ = case
    net = prepare(ds)
    m = RegionModel(net, min_reach=threshold, seed=seed).solve()
    children = ds.areas["children"].to_numpy()
    got = pieces(m.labels_)
    assert set(m.labels_) == set(ds.areas["area_id"])
    assert sorted(got) == sorted(f"R{k}" for k in range(1, m.regions_ + 1)) == sorted(m.sites_)
    nb = grid_neighbours(cells)
    x, y = ds.areas["x"].to_numpy(), ds.areas["y"].to_numpy()
    for r, ms in got.items():
        assert connected(ms, nb), r
        assert m.reach_[r] == children[list(ms)].sum()
        rows = sorted(ms)
        weights = children[rows] if children[rows].sum() > 0 else np.ones(len(rows))
        cost = [float(weights @ np.hypot(x[rows] - x[s], y[rows] - y[s])) for s in rows]
        assert int(m.sites_[r][2:]) in ms and cost[rows.index(int(m.sites_[r][2:]))] == pytest.approx(min(cost))
    assert sum(m.reach_.values()) == children.sum()
    if children.sum() >= threshold:  # a grid is one piece: every region can meet the threshold
        assert m.below_min_reach_ == [] and all(r >= threshold for r in m.reach_.values())
        assert 1 <= m.regions_ <= children.sum() // threshold
    else:
        assert m.regions_ == 1 and [b["region"] for b in m.below_min_reach_] == ["R1"]
    assert RegionModel(net, min_reach=threshold, seed=seed).solve().labels_ == m.labels_  # deterministic


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=1, max_size=30), st.sampled_from([100.0, 300.0, 600.0]))
def test_regions_on_strips_come_close_to_the_optimum(children, threshold):
    """On a strip the optimum is known: cut from one end as soon as a piece holds the threshold."""
    best, run = 0, 0
    for c in children:
        run += c
        if run >= threshold:
            best, run = best + 1, 0
    m = RegionModel(prepare(strip(children, [0.0])), min_reach=threshold).solve()
    assert m.regions_ >= max(best - 1, 1 if sum(children) >= threshold else 0) and m.regions_ <= max(best, 1)
