"""Per-group tallies, updated incrementally on each move (as GerryChain's updaters).

Additive figures (reach, deprived reach, weighted reach, children x km,
centre costs, counts) are moved as previous + inflow - outflow; the two
non-additive ones (span, max distance) are recomputed for the touched groups
only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

ADDITIVE = ("centres", "open_centres", "reach", "deprived_reach", "weighted_reach", "child_km",
            "centre_cost", "children_further", "phase_1", "phase_2", "phase_3")


def group_span_km(code: np.ndarray, x: np.ndarray, y: np.ndarray, include: np.ndarray,
                  n_groups: int) -> np.ndarray:
    """span(g) = max distance (km) between two included centres of group g (0 for fewer than 2).

    Vectorised over all within-group pairs: sum over groups of size(g)^2 pairs.
    """
    span = np.zeros(n_groups)
    idx = np.flatnonzero(include)
    if len(idx) < 2:
        return span
    order = idx[np.argsort(code[idx], kind="stable")]
    g = code[order]
    sizes = np.bincount(g, minlength=n_groups)
    if sizes.max() < 2:
        return span
    keep = sizes[g] > 1
    order, g = order[keep], g[keep]
    sizes = np.bincount(g, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    reps = sizes[g]
    left = np.repeat(np.arange(len(order)), reps)
    offset = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    right = np.repeat(starts[g], reps) + offset
    d = np.hypot(x[order[left]] - x[order[right]], y[order[left]] - y[order[right]]) / 1000.0
    np.maximum.at(span, g[left], d)
    return span


def group_max(code: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """max of a per-centre value within each group (0 for empty groups)."""
    out = np.zeros(n_groups)
    np.maximum.at(out, code, values)
    return out


@dataclass(frozen=True)
class GroupTally:
    """Per-group arrays indexed by group code; ``labels[code]`` is the group label."""

    labels: tuple[str, ...]
    code: np.ndarray  # per centre
    sums: dict[str, np.ndarray]
    span_km: np.ndarray
    max_distance_km: np.ndarray

    @classmethod
    def build(cls, labels: tuple[str, ...], code: np.ndarray, per_centre: dict[str, np.ndarray],
              x: np.ndarray, y: np.ndarray, is_open: np.ndarray) -> GroupTally:
        """Tally every group from scratch."""
        n = len(labels)
        sums = {k: np.bincount(code, weights=per_centre[k], minlength=n) for k in ADDITIVE}
        return cls(labels=labels, code=code, sums=sums,
                   span_km=group_span_km(code, x, y, is_open, n),
                   max_distance_km=group_max(code, per_centre["max_distance_km"], n))

    def moved(self, centres: np.ndarray, to_label: str, per_centre: dict[str, np.ndarray],
              x: np.ndarray, y: np.ndarray, is_open: np.ndarray) -> GroupTally:
        """The tally after ``centres`` (indices) move to ``to_label``: only touched groups change."""
        labels = self.labels
        if to_label not in labels:
            labels = (*labels, to_label)
        to = labels.index(to_label)
        n = len(labels)
        grow = n - len(self.labels)
        code = self.code.copy()
        from_codes = code[centres]
        code[centres] = to
        sums = {}
        for k, arr in self.sums.items():
            arr = np.concatenate([arr, np.zeros(grow)]) if grow else arr.copy()
            vals = per_centre[k][centres]
            np.subtract.at(arr, from_codes, vals)
            arr[to] += vals.sum()
            sums[k] = arr
        touched = np.unique(np.append(from_codes, to))
        members = np.isin(code, touched)
        span = np.concatenate([self.span_km, np.zeros(grow)])
        maxd = np.concatenate([self.max_distance_km, np.zeros(grow)])
        span[touched] = group_span_km(code, x, y, members & is_open, n)[touched]
        maxd[touched] = group_max(code[members], per_centre["max_distance_km"][members], n)[touched]
        return replace(self, labels=labels, code=code, sums=sums, span_km=span, max_distance_km=maxd)
