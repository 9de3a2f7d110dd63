"""Benchmark: the evaluation (reach areas + every figure + budget + rules) and the single move.

Prints figures and ratios; never asserts on time. Exit status is non-zero only
when the geopandas peer and our library disagree on the figures (a benchmark
comparing different answers is worthless) or the incremental move disagrees
with a full re-evaluation.

    python bench/bench_metrics.py            # Norfolk default and all England (~3,000 centres)
    python bench/bench_metrics.py --quick    # Norfolk only

Datasets
    Norfolk  the embedded default (538 LSOAs, 54 centres).
    England  all 32,844 LSOAs; ~3,000 centres placed by the documented p-median
             rule (``lib.network.illustrative_network``) county by county, with
             k = max(1, round(children in county / (children in England / 3000))).
             The placement is cached under bench/.cache/ (keyed on the inputs).

Scenario (both datasets): centres sorted by x within their county and chunked
into groups of 3; two centres closed.

Operations
    full evaluation   prepare() + evaluate() + totals(), and evaluate() + totals()
    single move       Evaluation.with_move([centre], other group) (incremental: two
                      groups touched) vs evaluate(net, scenario.move(...), baseline)
    geopandas peer    the same figures with GeoDataFrames, sjoin_nearest and
                      pandas groupby (see ``peer_prepare`` / ``peer_evaluate``)

Timing: time.perf_counter, warm-up runs first, garbage collector off during the
timed calls (as ``timeit``), median (and p95) of the repeats.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/bench_metrics.py` from the repo root (make bench)
    sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402

from lib.catchment import Network, prepare  # noqa: E402
from lib.data import DATA_DIR, Dataset, england_areas, load_default  # noqa: E402
from lib.metrics import Evaluation, evaluate  # noqa: E402
from lib.network import illustrative_network  # noqa: E402
from lib.scenario import Scenario  # noqa: E402

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
ENGLAND_CENTRES = 3000
GROUP_SIZE = 3
CLOSED_CENTRES = 2
CRS = "EPSG:27700"


# --- timing ----------------------------------------------------------------------------------

def timed(fn: Callable[[], object], repeats: int, warmup: int = 3) -> np.ndarray:
    """Wall times (ms) of ``repeats`` calls after ``warmup`` untimed ones, gc off while timing."""
    for _ in range(warmup):
        fn()
    times = np.empty(repeats)
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(repeats):
            t0 = time.perf_counter()
            fn()
            times[i] = time.perf_counter() - t0
    finally:
        if was_enabled:
            gc.enable()
    return times * 1000.0


def median(ms: np.ndarray) -> float:
    return float(np.median(ms))


def p95(ms: np.ndarray) -> float:
    return float(np.percentile(ms, 95))


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # not on every platform
        return None


# --- datasets and the scenario -----------------------------------------------------------------

def _england_cache_key(n_centres: int) -> str:
    """Changes when the areas file, the placement rule (lib/network.py) or the target changes."""
    h = hashlib.sha1()
    h.update((ROOT / "lib" / "network.py").read_bytes())
    src = DATA_DIR / "england_lsoa11.csv.gz"
    st = src.stat()
    h.update(f"{st.st_size}:{st.st_mtime_ns}:{n_centres}".encode())
    return h.hexdigest()[:12]


def england_dataset(n_centres: int = ENGLAND_CENTRES, rebuild: bool = False) -> tuple[Dataset, str]:
    """All England with ~``n_centres`` centres placed per county by the p-median rule (cached)."""
    t0 = time.perf_counter()
    areas = england_areas()
    load_s = time.perf_counter() - t0
    cache = CACHE_DIR / f"england_centres_{n_centres}_{_england_cache_key(n_centres)}.pkl"
    if cache.exists() and not rebuild:
        stored = pd.read_pickle(cache)
        centres, placed_s = stored["centres"], stored["placement_seconds"]
        how = (f"areas loaded in {load_s:.1f} s; placement of {len(centres):,} centres loaded from cache "
               f"{cache.relative_to(ROOT)} (placement took {placed_s:.1f} s when built)")
    else:
        per_centre = int(areas["children"].sum()) / n_centres
        t0 = time.perf_counter()
        parts = []
        for i, (_, county_areas) in enumerate(areas.groupby("county", sort=True)):
            k = max(1, round(int(county_areas["children"].sum()) / per_centre))
            placed = illustrative_network(county_areas.reset_index(drop=True), k)
            placed["centre_id"] = [f"c{i:03d}-{c}" for c in placed["centre_id"]]
            parts.append(placed)
        centres = pd.concat(parts, ignore_index=True)
        placed_s = time.perf_counter() - t0
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        for stale in CACHE_DIR.glob(f"england_centres_{n_centres}_*.pkl"):  # older inputs
            stale.unlink()
        pd.to_pickle({"centres": centres, "placement_seconds": placed_s}, cache)
        how = (f"areas loaded in {load_s:.1f} s; placed {len(centres):,} centres in {placed_s:.1f} s "
               f"(cached to {cache.relative_to(ROOT)})")
    assert centres["centre_id"].is_unique
    ds = Dataset(name="England", areas=areas.drop(columns="county"), centres=centres)
    return ds, how


def county_of(centre_id: str) -> str:
    """The county prefix of an England centre id ('c012-ill-003' -> 'c012'); '' for Norfolk ids."""
    head = centre_id.split("-", 1)[0]
    return head if head.startswith("c") and head[1:].isdigit() else ""


def grouped_scenario(ds: Dataset) -> Scenario:
    """Groups of ~3 nearby centres (sorted by x within county, chunked by 3) and two centres closed."""
    c = ds.centres[["centre_id", "x"]].copy()
    c["county"] = [county_of(i) for i in c["centre_id"]]
    c = c.sort_values(["county", "x"], kind="stable")
    group_of: dict[str, str] = {}
    n = 0
    for _, part in c.groupby("county", sort=True):
        ids = list(part["centre_id"])
        for start in range(0, len(ids), GROUP_SIZE):
            n += 1
            group_of.update({cid: f"G{n}" for cid in ids[start:start + GROUP_SIZE]})
    order = list(c["centre_id"])
    closed = frozenset(order[(j + 1) * len(order) // (CLOSED_CENTRES + 1)] for j in range(CLOSED_CENTRES))
    return Scenario(name="bench: groups of 3, 2 closed",
                    group_of={cid: group_of[cid] for cid in ds.centres["centre_id"]}, closed=closed)


# --- the geopandas peer ------------------------------------------------------------------------

@dataclass
class PeerNetwork:
    """The peer's static part (as ``prepare``): GeoDataFrames and the base (nearest centre) join."""

    areas: gpd.GeoDataFrame
    centres: gpd.GeoDataFrame
    base: pd.DataFrame  # per area: centre_id, distance_km (nearest of all centres)


def peer_nearest(areas: gpd.GeoDataFrame, centres: gpd.GeoDataFrame) -> pd.DataFrame:
    """Each area's nearest centre and the distance (km); ties keep one centre."""
    j = gpd.sjoin_nearest(areas[["geometry"]], centres[["centre_id", "geometry"]], how="left",
                          distance_col="distance_m")
    j = j[~j.index.duplicated(keep="first")]  # sjoin_nearest returns every equidistant centre
    return pd.DataFrame({"centre_id": j["centre_id"], "distance_km": j["distance_m"] / 1000.0})


def peer_prepare(ds: Dataset) -> PeerNetwork:
    a, c = ds.areas, ds.centres
    areas = gpd.GeoDataFrame(
        {"area_id": a["area_id"].to_numpy(), "children": a["children"].to_numpy(),
         "imd_decile": a["imd_decile"].to_numpy()},
        geometry=gpd.points_from_xy(a["x"], a["y"]), crs=CRS)
    centres = gpd.GeoDataFrame(
        {"centre_id": c["centre_id"].to_numpy(), "phase": c["phase"].fillna(0).astype(int).to_numpy()},
        geometry=gpd.points_from_xy(c["x"], c["y"]), crs=CRS)
    return PeerNetwork(areas=areas, centres=centres, base=peer_nearest(areas, centres))


def peer_evaluate(pn: PeerNetwork, sc: Scenario) -> dict:
    """Centre, group and total figures, budget and rule flags, the straightforward geopandas way."""
    if sc.merged_into:
        raise NotImplementedError("the peer handles closures, not merges")
    bp, dep, rl = sc.budget, sc.deprivation, sc.rules
    weights = np.asarray(dep.weights, float)
    base_cost = {0: bp.base_cost_phase_unknown, 1: bp.base_cost_phase_1, 2: bp.base_cost_phase_2,
                 3: bp.base_cost_phase_3}

    centres = pn.centres.assign(group=pn.centres["centre_id"].map(sc.group_of),
                                is_open=~pn.centres["centre_id"].isin(sc.closed))
    open_centres = centres[centres["is_open"]]

    # reach areas: nearest open centre
    a = pd.DataFrame(pn.areas.drop(columns="geometry")).join(peer_nearest(pn.areas, open_centres))
    a["deprived"] = a["children"].where(a["imd_decile"] <= dep.threshold, 0)
    a["weighted"] = a["children"] * weights[a["imd_decile"].clip(1, 10) - 1]
    a["child_km"] = a["children"] * a["distance_km"]
    a["further"] = a["children"].where(a["distance_km"] > pn.base["distance_km"] + 1e-9, 0)

    # centre figures
    per = a.groupby("centre_id").agg(
        areas=("area_id", "size"), reach=("children", "sum"), deprived_reach=("deprived", "sum"),
        weighted_reach=("weighted", "sum"), child_km=("child_km", "sum"),
        max_distance_km=("distance_km", "max"), children_further=("further", "sum"))
    cen = pd.DataFrame(centres.drop(columns="geometry")).set_index("centre_id").join(per).fillna(0.0)
    reach = cen["reach"].where(cen["reach"] > 0)
    cen["mean_distance_km"] = (cen["child_km"] / reach).fillna(0.0)
    cen["deprived_share"] = (cen["deprived_reach"] / reach).fillna(0.0)
    cen["centre_cost"] = np.where(cen["is_open"], cen["phase"].map(base_cost)
                                  + bp.rate_per_weighted_child * cen["weighted_reach"], 0.0)

    # group figures
    grp = cen.groupby("group").agg(
        centres=("is_open", "size"), open_centres=("is_open", "sum"), reach=("reach", "sum"),
        deprived_reach=("deprived_reach", "sum"), weighted_reach=("weighted_reach", "sum"),
        child_km=("child_km", "sum"), max_distance_km=("max_distance_km", "max"),
        centre_cost=("centre_cost", "sum"), children_further=("children_further", "sum"))
    pairs = open_centres[["group", "geometry"]].merge(open_centres[["group", "geometry"]], on="group")
    pairs["d_km"] = gpd.GeoSeries(pairs["geometry_x"]).distance(gpd.GeoSeries(pairs["geometry_y"])) / 1000.0
    grp["span_km"] = pairs.groupby("group")["d_km"].max().reindex(grp.index, fill_value=0.0)
    n_open = grp["open_centres"].where(grp["open_centres"] > 0)
    grp["reach_per_centre"] = (grp["reach"] / n_open).fillna(0.0)
    grp["mean_distance_km"] = (grp["child_km"] / grp["reach"].where(grp["reach"] > 0)).fillna(0.0)
    grp["lot_value"] = np.where(grp["open_centres"] > 0, bp.management_per_lot, 0.0) + grp["centre_cost"]

    # budget: baseline = every centre its own lot, all open, areas on their nearest centre
    base = pd.DataFrame(pn.areas.drop(columns="geometry")).join(pn.base)
    base["weighted"] = base["children"] * weights[base["imd_decile"].clip(1, 10) - 1]
    base_w = base.groupby("centre_id")["weighted"].sum().reindex(pn.centres["centre_id"], fill_value=0.0)
    baseline_total = float(len(pn.centres) * bp.management_per_lot
                           + pn.centres["phase"].map(base_cost).sum()
                           + bp.rate_per_weighted_child * base_w.sum())
    total = float(grp["lot_value"].sum())
    env = bp.envelope_amount if bp.envelope_amount is not None else baseline_total * (1 - bp.cut_percent / 100)

    # rules
    covered = float(a["children"].sum())
    gap = a["distance_km"].isna()
    if rl.max_distance_km is not None:
        gap |= a["distance_km"] > rl.max_distance_km
    low_centre = cen["is_open"] & (cen["reach"] < (rl.min_reach if rl.min_reach is not None else -np.inf))
    has_open = grp["open_centres"] > 0
    group_flag = (grp["open_centres"] == 0)
    if rl.min_reach is not None:
        group_flag |= has_open & (grp["reach_per_centre"] < rl.min_reach)
    if rl.group_min is not None:
        group_flag |= has_open & (grp["open_centres"] < rl.group_min)
    if rl.group_max is not None:
        group_flag |= grp["open_centres"] > rl.group_max
    if rl.max_span_km is not None:
        group_flag |= grp["span_km"] > rl.max_span_km
    totals = {
        "groups": len(grp), "open_centres": int(cen["is_open"].sum()),
        "children_covered": int(covered), "deprived_reach": round(float(grp["deprived_reach"].sum())),
        "deprived_share": float(grp["deprived_reach"].sum() / covered) if covered else 0.0,
        "weighted_reach": float(grp["weighted_reach"].sum()),
        "budget_total": total, "baseline_total": baseline_total, "saving": baseline_total - total,
        "envelope": env, "envelope_gap": env - total,
        "children_further": round(float(grp["children_further"].sum())),
        "areas_beyond_max_distance": int(gap.sum()),
        "centres_below_min_reach": int(low_centre.sum()), "groups_flagged": int(group_flag.sum()),
        "over_envelope": int(rl.within_envelope and env - total < -0.5),
    }
    return {"centre": cen, "group": grp, "totals": totals}


# --- agreement ---------------------------------------------------------------------------------

CENTRE_KEYS = ("areas", "reach", "deprived_reach", "weighted_reach", "child_km", "max_distance_km",
               "mean_distance_km", "deprived_share", "children_further", "centre_cost")
GROUP_KEYS = ("centres", "open_centres", "reach", "deprived_reach", "weighted_reach", "span_km",
              "max_distance_km", "mean_distance_km", "reach_per_centre", "lot_value", "children_further")
TOTAL_KEYS = ("groups", "open_centres", "children_covered", "deprived_reach", "deprived_share",
              "weighted_reach", "budget_total", "baseline_total", "saving", "envelope", "envelope_gap",
              "children_further", "areas_beyond_max_distance")


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-9, atol=1e-6))


def compare_with_peer(ev: Evaluation, peer: dict) -> list[str]:
    """Differences between our figures and the peer's (empty when they agree)."""
    problems = []
    ids = list(ev.net.centre_ids)
    cen = peer["centre"].reindex(ids)
    if not np.array_equal(ev.centre["reach"].round().astype(np.int64), cen["reach"].to_numpy(np.int64)):
        bad = np.flatnonzero(ev.centre["reach"] != cen["reach"].to_numpy())
        problems.append(f"centre reach differs at {len(bad)} centre(s), e.g. {ids[bad[0]]}: "
                        f"ours {ev.centre['reach'][bad[0]]:g}, peer {cen['reach'].iloc[bad[0]]:g}")
    problems += [f"centre {k} differs" for k in CENTRE_KEYS if not _close(ev.centre[k], cen[k])]
    g = ev.group_arrays()
    labels = np.asarray(ev.tally.labels)
    keep = g["centres"] > 0
    grp = peer["group"].reindex(labels[keep])
    if grp.isna().any().any() or len(grp) != len(peer["group"]):
        problems.append("group labels differ")
    else:
        problems += [f"group {k} differs" for k in GROUP_KEYS if not _close(g[k][keep], grp[k])]
    ours = ev.totals()
    flags = ours["flags"]
    problems += [f"total {k} differs: ours {ours[k]!r}, peer {peer['totals'][k]!r}"
                 for k in TOTAL_KEYS if not _close([ours[k]], [peer["totals"][k]])]
    for k in ("centres_below_min_reach", "groups_flagged", "over_envelope"):
        if flags[k] != peer["totals"][k]:
            problems.append(f"flag {k} differs: ours {flags[k]}, peer {peer['totals'][k]}")
    return problems


def compare_evaluations(inc: Evaluation, full: Evaluation) -> list[str]:
    """Differences between the incremental move and the full re-evaluation (group figures, totals)."""
    gi, gf = inc.group_arrays(), full.group_arrays()
    li, lf = list(inc.tally.labels), list(full.tally.labels)
    problems = []
    if set(li) - set(lf):
        extra = [x for x, n in zip(li, gi["centres"], strict=True) if x not in set(lf) and n > 0]
        if extra:
            problems.append(f"labels only in incremental: {extra[:3]}")
    pos = {x: i for i, x in enumerate(li)}
    order = [pos[x] for x in lf]
    for k in gf:
        if not _close(gi[k][order], gf[k]):
            problems.append(f"group {k} differs")
    ti, tf = inc.totals(), full.totals()
    problems += [f"total {k} differs" for k in tf if k != "flags" and not _close([ti[k]], [tf[k]])]
    if ti["flags"] != tf["flags"]:
        problems.append(f"flags differ: {ti['flags']} vs {tf['flags']}")
    return problems


# --- the benchmark -----------------------------------------------------------------------------

@dataclass
class Row:
    dataset: str
    operation: str
    ours: np.ndarray
    other_name: str
    other: np.ndarray | None
    target: str
    meets: bool | None


def random_moves(ev: Evaluation, n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """``n`` (centre, another existing group) pairs."""
    ids = list(ev.net.centre_ids)
    groups = ev.scenario.groups()
    moves = []
    while len(moves) < n:
        c = ids[int(rng.integers(len(ids)))]
        g = groups[int(rng.integers(len(groups)))]
        if g != ev.scenario.group_of[c]:
            moves.append((c, g))
    return moves


def bench_dataset(ds: Dataset, label: str, args: argparse.Namespace, rng: np.random.Generator,
                  england: bool) -> tuple[list[Row], list[str]]:
    repeats = args.repeats
    peer_repeats = args.peer_repeats_england if england else args.repeats
    sc = grouped_scenario(ds)
    net: Network = prepare(ds)
    ev = evaluate(net, sc)
    n_groups = len(sc.groups())
    print(f"\n== {label}: {len(ds.areas):,} areas, {net.n_centres:,} centres; scenario: {n_groups:,} groups of "
          f"<= {GROUP_SIZE}, {len(sc.closed)} closed ({', '.join(sorted(sc.closed))})")

    # correctness first: the peer must give the same figures
    pn = peer_prepare(ds)
    peer = peer_evaluate(pn, sc)
    problems = compare_with_peer(ev, peer)
    print(f"figures agree (ours vs geopandas peer: {len(CENTRE_KEYS)} centre, {len(GROUP_KEYS)} group, "
          f"{len(TOTAL_KEYS) + 3} totals and flags): {'yes' if not problems else 'no'}")
    for p in problems:
        print(f"  DISAGREE: {p}")
    if problems:
        return [], problems
    t = ev.totals()
    print(f"totals: budget GBP {t['budget_total']:,.0f} (baseline {t['baseline_total']:,.0f}), children covered "
          f"{t['children_covered']:,}, deprived share {t['deprived_share']:.3f}, flags {t['flags']}")

    rows: list[Row] = []
    full_target = (2.0, 40.0) if not england else (30.0, None)

    def target_text(limit: float, ratio: float | None) -> str:
        return f"<= {limit:g} ms" + (f", >= {ratio:g}x peer" if ratio else "")

    def meets(ours: np.ndarray, other: np.ndarray | None, limit: float, ratio: float | None) -> bool:
        ok = median(ours) <= limit
        if ratio is not None and other is not None:
            ok = ok and median(other) / median(ours) >= ratio
        return ok

    # 1. full evaluation, with and without prepare()
    ours_full = timed(lambda: evaluate(prepare(ds), sc).totals(), repeats)
    peer_full = timed(lambda: peer_evaluate(peer_prepare(ds), sc), peer_repeats, warmup=1)
    rows.append(Row(label, "full evaluation: prepare + evaluate + totals", ours_full,
                    "geopandas peer: build GeoDataFrames + sjoin_nearest x2 + groupby", peer_full,
                    target_text(*full_target), meets(ours_full, peer_full, *full_target)))
    ours_eval = timed(lambda: evaluate(net, sc).totals(), repeats)
    peer_eval = timed(lambda: peer_evaluate(pn, sc), peer_repeats, warmup=1)
    rows.append(Row(label, "full evaluation: evaluate + totals (network prepared)", ours_eval,
                    "geopandas peer with GeoDataFrames + base join prebuilt", peer_eval,
                    target_text(*full_target), meets(ours_eval, peer_eval, *full_target)))
    ours_prep = timed(lambda: prepare(ds), repeats)
    rows.append(Row(label, "  of which prepare() (KD-tree base assignment)", ours_prep,
                    "geopandas peer_prepare()", timed(lambda: peer_prepare(ds), peer_repeats, warmup=1), "", None))
    rows.append(Row(label, "  of which evaluate() alone", timed(lambda: evaluate(net, sc), repeats),
                    "", None, "", None))
    rows.append(Row(label, "  of which totals() alone", timed(ev.totals, repeats), "", None, "", None))

    # 2. single moves: incremental vs full re-evaluation (same moves, each timed once after warm-up)
    moves = random_moves(ev, args.moves, rng)
    for c, g in moves[:5]:
        ev.with_move([c], g).totals()
        evaluate(net, ev.scenario.move([c], g), ev.baseline_total).totals()
    inc, inc_tot, full, full_tot = (np.empty(len(moves)) for _ in range(4))
    mismatches: list[str] = []
    gc.collect()
    gc.disable()
    try:
        for i, (c, g) in enumerate(moves):
            t0 = time.perf_counter()
            e_inc = ev.with_move([c], g)
            t1 = time.perf_counter()
            e_inc.totals()
            t2 = time.perf_counter()
            e_full = evaluate(net, ev.scenario.move([c], g), ev.baseline_total)
            t3 = time.perf_counter()
            e_full.totals()
            t4 = time.perf_counter()
            inc[i], inc_tot[i], full[i], full_tot[i] = t1 - t0, t2 - t0, t3 - t2, t4 - t2
            if i < args.check_moves:
                mismatches += [f"move {c} -> {g}: {p}" for p in compare_evaluations(e_inc, e_full)]
    finally:
        gc.enable()
    inc, inc_tot, full, full_tot = (a * 1000.0 for a in (inc, inc_tot, full, full_tot))
    checked = min(args.check_moves, len(moves))
    print(f"incremental move agrees with full re-evaluation ({checked} of {len(moves)} moves checked): "
          f"{'yes' if not mismatches else 'no'}")
    for p in mismatches[:10]:
        print(f"  DISAGREE: {p}")
    move_target = (1.0, None) if england else None
    rows.append(Row(label, f"single move: with_move ({len(moves)} random moves)", inc,
                    "full re-evaluation: evaluate(net, scenario.move(...), baseline)", full,
                    target_text(*move_target) if move_target else "",
                    meets(inc, None, *move_target) if move_target else None))
    rows.append(Row(label, "single move: with_move + totals", inc_tot,
                    "full re-evaluation + totals", full_tot, "", None))
    peer_moves = moves[: max(3, peer_repeats // 2)]
    peer_move = np.array([timed(lambda c=c, g=g: peer_evaluate(pn, ev.scenario.move([c], g)), 1, warmup=0)[0]
                          for c, g in peer_moves])
    rows.append(Row(label, "single move: with_move + totals", inc_tot,
                    f"geopandas peer re-run ({len(peer_moves)} of the moves)", peer_move, "", None))
    return rows, mismatches


def print_table(rows: list[Row]) -> None:
    head = ("dataset", "operation", "ours ms", "ours p95", "compared with", "other ms", "other p95",
            "ratio", "target", "meets target")
    body = []
    for r in rows:
        o = r.other
        body.append((r.dataset, r.operation, f"{median(r.ours):.3f}", f"{p95(r.ours):.3f}", r.other_name or "-",
                     f"{median(o):.3f}" if o is not None else "-", f"{p95(o):.3f}" if o is not None else "-",
                     f"{median(o) / median(r.ours):.1f}x" if o is not None else "-", r.target or "-",
                     "-" if r.meets is None else ("yes" if r.meets else "no")))
    widths = [max(len(x[i]) for x in (head, *body)) for i in range(len(head))]
    right = {2, 3, 5, 6, 7}

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join(c.rjust(w) if i in right else c.ljust(w)
                          for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    print("\n" + line(head))
    print("-+-".join("-" * w for w in widths))
    for b in body:
        print(line(b))
    print("\nours ms / other ms: median (p95) wall time per call; ratio = other / ours (median).\n"
          "single-move rows: each of the random moves timed once (after warm-up), ours and the\n"
          "full re-evaluation on the same moves; targets are printed, never asserted.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Norfolk only")
    parser.add_argument("--repeats", type=int, default=30, help="timed repeats per operation (default 30)")
    parser.add_argument("--peer-repeats-england", type=int, default=5,
                        help="timed repeats of the (slow) geopandas peer at England scale (default 5)")
    parser.add_argument("--moves", type=int, default=200, help="random single moves timed (default 200)")
    parser.add_argument("--check-moves", type=int, default=50,
                        help="moves whose incremental result is checked against the full re-evaluation")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--centres", type=int, default=ENGLAND_CENTRES, help="England centres (default 3000)")
    parser.add_argument("--rebuild-cache", action="store_true", help="re-place the England centres")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    print(f"Centre Planner metrics benchmark  python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, geopandas {gpd.__version__}; {platform.machine()}, "
          f"{os.cpu_count()} CPU(s)")
    print(f"repeats {args.repeats} (England peer {args.peer_repeats_england}), {args.moves} random moves, "
          f"seed {args.seed}")
    load = load_average()
    if load is not None:
        print(f"load average (1 min) at start: {load:.2f}"
              + (" (other processes may be competing for the CPU: timings may be noisy)" if load > 0.5 else ""))
    rng = np.random.default_rng(args.seed)
    rows: list[Row] = []
    failed: list[str] = []

    r, bad = bench_dataset(load_default(), "Norfolk", args, rng, england=False)
    rows += r
    failed += bad
    if not args.quick and not failed:
        t0 = time.perf_counter()
        ds, how = england_dataset(args.centres, args.rebuild_cache)
        print(f"\nEngland dataset ready in {time.perf_counter() - t0:.1f} s: {how}")
        r, bad = bench_dataset(ds, "England", args, rng, england=True)
        rows += r
        failed += bad
    if rows:
        print_table(rows)
    load = load_average()
    if load is not None:
        print(f"load average (1 min) at end: {load:.2f}")
    print(f"\nfigures agree: {'yes' if not failed else 'no'}")
    print(f"benchmark wall time {time.perf_counter() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
