"""Benchmark: the optimisers of lib.optimise on real counties, and max-p regions against PySAL spopt.

Regions (the comparison): regions of at least 600 children aged 0-4 from Norfolk's 538 LSOAs, queen
contiguity. Ours: ``lib.optimise.regions.RegionModel`` (seed 0; the adjacency built once, timed apart).
Peer, in the same run: spopt 0.7.0 ``MaxPHeuristic`` (``top_n=2``, its default iterations, numpy seed 0)
on a GeoDataFrame of the same polygons with a libpysal ``Queen`` weights object built from them. Both
answers are checked the same way, here, on the libpysal weights: a region counts as valid if it is
contiguous and holds at least 600 children. Targets printed: at least as many valid regions as spopt,
>= 25x faster, <= 2 s.

Also timed (no peer): ``AreaModel`` on Norfolk (min reach 600); ``GroupModel`` (when
lib/optimise/groups.py is there) on Norfolk 2-4 per lot with 5 locked groups (the neighbour groups),
Norfolk 2-4 in exactly 36 lots (impossible: 27 is the most; the broken rule is reported), and Kent 2-4.

Prints figures and ratios; never asserts on time. spopt's run takes about a minute; ``--no-peer`` skips
it. Needs ``pip install -r bench/requirements.txt``.

Run: ``python bench/bench_optimise.py [--no-peer]``
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/bench_optimise.py` from the repo root
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from scipy.sparse.csgraph import connected_components  # noqa: E402

from bench.bench_metrics import load_average  # noqa: E402
from lib.catchment import Network, prepare  # noqa: E402
from lib.data import boundaries_geojson, load_default  # noqa: E402
from lib.datasets import council_dataset  # noqa: E402
from lib.examples import neighbour_groups  # noqa: E402
from lib.metrics import evaluate  # noqa: E402
from lib.optimise.adjacency import network_adjacency, queen_adjacency  # noqa: E402
from lib.optimise.areas import AreaModel  # noqa: E402
from lib.optimise.regions import RegionModel  # noqa: E402
from lib.scenario import Scenario  # noqa: E402

THRESHOLD = 600
SPOPT_REGIONS_MEASURED = 58  # DESIGN.md: MaxPHeuristic on Norfolk, 600 children, 47.9 s
TARGET_SPEEDUP, TARGET_S = 25.0, 2.0
REPEATS = 3


def valid_regions(labels: np.ndarray, children: np.ndarray, w: sparse.csr_matrix) -> tuple[int, int]:
    """(valid regions, all regions): valid = contiguous on ``w`` and at least THRESHOLD children."""
    valid = 0
    regions = np.unique(labels)
    for r in regions:
        idx = np.flatnonzero(labels == r)
        pieces = connected_components(w[idx][:, idx], directed=False)[0]
        valid += int(pieces == 1 and children[idx].sum() >= THRESHOLD)
    return valid, len(regions)


def peer_inputs(net: Network):
    """The GeoDataFrame (areas in the network's row order, with children) and libpysal Queen weights."""
    import geopandas as gpd
    import libpysal

    gdf = gpd.GeoDataFrame.from_features(boundaries_geojson(net.dataset)["features"], crs=4326)
    gdf = gdf.set_index("lsoa11cd").loc[net.dataset.areas["area_id"]].reset_index()
    gdf["children"] = net.children.astype(float)
    t0 = time.perf_counter()
    w = libpysal.weights.Queen.from_dataframe(gdf, use_index=False, silence_warnings=True)
    return gdf, w, time.perf_counter() - t0


def bench_regions(net: Network, peer: bool) -> None:
    t0 = time.perf_counter()
    adj = queen_adjacency(net.dataset)
    adj_s = time.perf_counter() - t0
    gdf, w, w_s = peer_inputs(net)
    wm = w.sparse.tocsr()
    same = (wm.astype(bool) != adj.matrix).nnz == 0
    print(f"adjacency: ours {adj.matrix.nnz // 2:,} pairs in {adj_s * 1000:.0f} ms, libpysal Queen "
          f"{wm.nnz // 2:,} pairs in {w_s * 1000:.0f} ms ({'identical' if same else 'they differ'})")
    runs = []
    for _ in range(REPEATS):
        model = RegionModel(net, min_reach=THRESHOLD, adjacency=adj, seed=0).solve()
        runs.append(model.seconds_)
    ours_s = float(np.median(runs))
    ids = net.dataset.areas["area_id"].tolist()
    ours_valid, ours_all = valid_regions(np.array([model.labels_[a] for a in ids]), net.children, wm)
    print(f"regions  ours: {ours_valid} valid of {ours_all}, {ours_s:.3f} s (median of {REPEATS}; "
          f"{model.restarts_} constructions), {ours_s + adj_s:.3f} s with the adjacency")
    if not peer:
        print(f"regions  spopt: skipped (--no-peer); DESIGN.md measured {SPOPT_REGIONS_MEASURED} regions in 47.9 s")
        return
    from spopt.region import MaxPHeuristic

    np.random.seed(0)
    t0 = time.perf_counter()
    maxp = MaxPHeuristic(gdf, w, ["children"], "children", THRESHOLD, top_n=2)
    maxp.solve()
    peer_s = time.perf_counter() - t0
    peer_valid, peer_all = valid_regions(np.asarray(maxp.labels_), net.children, wm)
    print(f"regions  spopt MaxPHeuristic: {peer_valid} valid of {peer_all} (its p = {maxp.p}), {peer_s:.1f} s")
    ratio = peer_s / ours_s
    print(f"ratio: {ours_valid - peer_valid:+d} valid regions ({ours_valid / max(peer_valid, 1):.2f}x), "
          f"{ratio:,.0f}x faster")
    print(f"targets: at least as many valid regions {'met' if ours_valid >= peer_valid else 'MISSED'}; "
          f">= {TARGET_SPEEDUP:g}x faster {'met' if ratio >= TARGET_SPEEDUP else 'MISSED'}; "
          f"<= {TARGET_S:g} s {'met' if ours_s <= TARGET_S else 'MISSED'}")


def bench_areas(net: Network) -> None:
    ev = evaluate(net, Scenario.baseline(net.centre_ids))
    network_adjacency(net)  # built once (cached on the dataset's fingerprint), as the app does
    runs = [AreaModel(ev, min_reach=THRESHOLD).solve() for _ in range(REPEATS)]
    m = runs[-1]
    print(f"areas    Norfolk: {len(m.reach_)} open centres, {len(m.below_min_reach_)} below {THRESHOLD} "
          f"(nearest centre: {int((ev.centre['reach'] < THRESHOLD).sum())}), {m.areas_moved_} areas moved, "
          f"child-km {m.baseline_weighted_km_:,.0f} -> {m.weighted_km_:,.0f}; "
          f"{np.median([r.seconds_ for r in runs]):.3f} s (median of {REPEATS}, the adjacency cached)")


def bench_groups(norfolk: Network) -> None:
    if importlib.util.find_spec("lib.optimise.groups") is None:
        print("groups   skipped: lib/optimise/groups.py is not there yet")
        return
    from lib.optimise.groups import GroupModel

    sc = neighbour_groups(norfolk)
    locked = [g for g in sc.groups() if len(sc.members(g)) >= 2][:5]
    kent = prepare(council_dataset("Kent"))
    cases = [
        ("Norfolk 2-4, 5 locked groups", evaluate(norfolk, sc), {"locked_groups": locked}),
        ("Norfolk 2-4, exactly 36 lots", evaluate(norfolk, Scenario.baseline(norfolk.centre_ids)), {"n_lots": 36}),
        ("Kent 2-4", evaluate(kent, Scenario.baseline(kent.centre_ids)), {}),
    ]
    for label, ev, extra in cases:
        m = GroupModel(ev, min_size=2, max_size=4, **extra).solve()
        broken = "; ".join(b["text"] for b in m.broken_rules_[:2]) or "every rule met"
        print(f"groups   {label}: {m.n_lots_} lots, objective {m.objective_:,.1f} km, {m.seconds_:.2f} s "
              f"({len(m.broken_rules_)} broken: {broken})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-peer", action="store_true", help="skip spopt's MaxPHeuristic (about a minute)")
    args = ap.parse_args(argv)
    print(f"bench_optimise: load average {load_average()}")
    net = prepare(load_default())
    bench_regions(net, peer=not args.no_peer)
    bench_areas(net)
    bench_groups(net)
    print(f"load average at end {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
