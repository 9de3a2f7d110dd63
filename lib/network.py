"""Placing illustrative centres by a population-weighted p-median rule.

The rule (documented in README and ``data/PROVENANCE.md``): candidate sites
are area population-weighted centroids; centres are added one at a time at
the candidate that most reduces the total children-weighted distance to the
nearest centre,

    cost(S) = sum_a children(a) * min_{s in S} dist(a, s),

given the centres already fixed (greedy add), then each placed centre is
moved to the best candidate of its own candidate set while that lowers the
cost (vertex substitution, Teitz & Bart 1968), for at most ``rounds`` rounds.
Ties break on the lowest area index, so the result is reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

CHILDREN_PER_ILLUSTRATIVE_CENTRE = 820  # Norfolk: 44,201 children / 54 centres


def _distances(x: np.ndarray, y: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Matrix (n areas x k candidates) of straight-line distances in metres."""
    return np.hypot(x[:, None] - cx[None, :], y[:, None] - cy[None, :])


def p_median(x: np.ndarray, y: np.ndarray, children: np.ndarray, candidate_sets: Sequence[np.ndarray],
             fixed_xy: np.ndarray | None = None, rounds: int = 3) -> np.ndarray:
    """Area indices for the new centres, one per candidate set (greedy add + substitution).

    ``candidate_sets[f]`` is a boolean mask of the areas new centre ``f`` may
    stand on; ``fixed_xy`` (m x 2) are centres that stay where they are.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    w = np.asarray(children, float)
    fixed = np.empty((0, 2)) if fixed_xy is None else np.asarray(fixed_xy, float).reshape(-1, 2)
    base = (_distances(x, y, fixed[:, 0], fixed[:, 1]).min(axis=1) if len(fixed)
            else np.full(len(x), np.inf))
    cand_idx = [np.flatnonzero(m) for m in candidate_sets]
    by_mask: dict[bytes, np.ndarray] = {}
    for c in cand_idx:
        by_mask.setdefault(c.tobytes(), _distances(x, y, x[c], y[c]))
    cand_dist = [by_mask[c.tobytes()] for c in cand_idx]
    chosen: list[int] = []
    nearest = base.copy()
    for idx, dist in zip(cand_idx, cand_dist, strict=True):
        j = _best(w, nearest, idx, dist, set(chosen))
        chosen.append(j)
        nearest = np.minimum(nearest, np.hypot(x - x[j], y - y[j]))
    for _ in range(rounds):
        improved = False
        for f, (idx, dist) in enumerate(zip(cand_idx, cand_dist, strict=True)):
            others = [c for g, c in enumerate(chosen) if g != f]
            without = base.copy()
            for c in others:
                without = np.minimum(without, np.hypot(x - x[c], y - y[c]))
            j = _best(w, without, idx, dist, set(others))
            if j != chosen[f] and _cost(w, without, x, y, j) < _cost(w, without, x, y, chosen[f]) - 1e-6:
                chosen[f] = j
                improved = True
        if not improved:
            break
    return np.asarray(chosen, dtype=np.int64)


def _best(w: np.ndarray, nearest: np.ndarray, idx: np.ndarray, dist: np.ndarray, taken: set[int]) -> int:
    cost = (w[:, None] * np.minimum(nearest[:, None], dist)).sum(axis=0)
    if taken:
        cost[np.isin(idx, list(taken))] = np.inf
    return int(idx[int(np.argmin(cost))])


def _cost(w: np.ndarray, nearest: np.ndarray, x: np.ndarray, y: np.ndarray, j: int) -> float:
    return float((w * np.minimum(nearest, np.hypot(x - x[j], y - y[j]))).sum())


def illustrative_network(areas: pd.DataFrame, k: int | None = None) -> pd.DataFrame:
    """A centre network placed by the p-median rule, every centre labelled illustrative.

    ``k`` defaults to round(children / CHILDREN_PER_ILLUSTRATIVE_CENTRE), at least 1.
    """
    n = len(areas)
    if k is None:
        k = max(1, round(int(areas["children"].sum()) / CHILDREN_PER_ILLUSTRATIVE_CENTRE))
    k = min(k, n)
    all_areas = np.ones(n, bool)
    sites = p_median(areas["x"].to_numpy(), areas["y"].to_numpy(), areas["children"].to_numpy(),
                     [all_areas] * k, rounds=1)
    chosen = areas.iloc[sites]
    return pd.DataFrame({
        "centre_id": [f"ill-{i + 1:03d}" for i in range(k)],
        "name": [f"Illustrative centre {i + 1} ({nm})" for i, nm in enumerate(chosen["name"])],
        "lat": chosen["lat"].to_numpy(), "lon": chosen["lon"].to_numpy(),
        "phase": pd.array([pd.NA] * k, dtype="Int64"),
        "on_school_site": pd.array([pd.NA] * k, dtype="boolean"),
        "provider": "", "location_quality": "illustrative (p-median placement)",
        "illustrative": True,
        "x": chosen["x"].to_numpy(), "y": chosen["y"].to_numpy(),
    })
