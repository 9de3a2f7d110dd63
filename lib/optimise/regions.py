"""Max-p regions: how many centres of at least ``min_reach`` children the county's geography can sustain.

``RegionModel(net_or_ev, min_reach=600).solve()`` (the spopt shape), then read ``labels_``, ``regions_``
and ``sites_``.

**Problem** (max-p regionalisation, Duque, Anselin & Rey 2012): partition the areas into the largest
number p of regions such that every region is contiguous (queen contiguity, :mod:`lib.optimise.adjacency`)
and holds at least ``min_reach`` children aged 0-4; every area is in exactly one region.

**Heuristic** (deterministic for a seed):

1. *Construction*, ``restarts`` times with seeded parameters: seed a region at the unassigned area with the
   fewest unassigned neighbours (the periphery of what is left first, ties broken by seeded noise), and grow
   it one neighbour at a time until it holds ``min_reach`` children. While no neighbour completes it, add the
   neighbour nearest the region's children-weighted centroid, scaled by 1 + its unassigned neighbours
   (pockets first, so that no area is stranded); once some neighbour completes it, add the one that
   overshoots least (plus a seeded compactness term), unless that overshoot exceeds a seeded share of the
   threshold and a smaller neighbour exists. A seed whose unassigned surroundings hold fewer than
   ``min_reach`` children fails, and its areas wait for step 2.
2. *Enclaves*: areas that cannot be in a region of their own (the leftovers of step 1) join the adjacent
   region whose children-weighted centroid is nearest, repeatedly until every area has joined; this never
   changes p. Only an area with no region in its connected component at all (a county, or an island left
   unbridged by a caller's own adjacency, of fewer than ``min_reach`` children) forms a region below the
   threshold, reported in ``below_min_reach_``.
3. The construction with the most regions is kept (the first of equals).

The site of a region is its children-weighted medoid: the area minimising the children-weighted
straight-line distance from the region's areas.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable

import numpy as np

from lib.catchment import Network
from lib.metrics import Evaluation
from lib.optimise.adjacency import Adjacency, network_adjacency

RESTART_WORK = 40_000  # restarts x areas: about 0.5 s of construction whatever the county's size
MIN_RESTARTS, MAX_RESTARTS = 4, 64
NOISE = (0.5, 2.0)  # seed-choice noise (in unassigned neighbours)
COMPACTNESS = (0.0, 10.0)  # children of overshoot one km from the centroid is worth, when completing
SLACK = (0.1, 0.25)  # largest overshoot (share of the threshold) accepted while a smaller neighbour exists
MEDOID_BLOCK = 1024  # candidate sites per block when computing a medoid (bounds memory for huge regions)
LABEL_PREFIX = "R"


class _Growth:
    """One construction: regions grown from peripheral seeds over the adjacency (area rows as ints)."""

    def __init__(self, neighbours: list[list[int]], w: list[float], x: list[float], y: list[float],
                 threshold: float, rng: random.Random) -> None:
        self.nb, self.w, self.x, self.y, self.t = neighbours, w, x, y, threshold
        self.noise = rng.choice(NOISE)
        self.beta = rng.choice(COMPACTNESS)
        self.slack = rng.choice(SLACK) * threshold
        self.jitter = [rng.random() * self.noise for _ in w]
        n = len(w)
        self.label = [-1] * n
        self.free = [len(neighbours[i]) for i in range(n)]  # unassigned neighbours
        self.failed = [False] * n
        self.heap = [(self.free[i] + self.jitter[i], i, self.free[i]) for i in range(n)]
        heapq.heapify(self.heap)
        self.regions: list[list[int]] = []

    def _set(self, i: int, label: int) -> None:
        """Assign (label >= 0) or release (-1) area i, keeping the unassigned-neighbour counts."""
        step = -1 if label >= 0 else 1
        self.label[i] = label
        for j in self.nb[i]:
            self.free[j] += step
            if self.label[j] < 0 and not self.failed[j]:
                heapq.heappush(self.heap, (self.free[j] + self.jitter[j], j, self.free[j]))

    def _next_seed(self) -> int:
        while self.heap:
            _, i, free = heapq.heappop(self.heap)
            if self.label[i] < 0 and not self.failed[i] and free == self.free[i]:
                return i
        return -1

    def run(self) -> _Growth:
        while (seed := self._next_seed()) >= 0:
            self._grow(seed)
        return self

    def _grow(self, seed: int) -> None:
        nb, w, x, y, label = self.nb, self.w, self.x, self.y, self.label
        r = len(self.regions)
        members = [seed]
        self._set(seed, r)
        total, sx, sy = w[seed], w[seed] * x[seed], w[seed] * y[seed]
        cand = {j for j in nb[seed] if label[j] < 0}
        while total < self.t and cand:
            need = self.t - total
            cx, cy = (sx / total, sy / total) if total > 0 else (x[seed], y[seed])
            closing = [c for c in cand if w[c] >= need]
            small = [c for c in cand if w[c] < need]
            if closing:
                best = min(closing, key=lambda c: (w[c] - need + self.beta * math.hypot(x[c] - cx, y[c] - cy), c))
                if w[best] - need > self.slack and small:
                    best = -1
            else:
                best = -1
            if best < 0:
                best = min(small, key=lambda c: (math.hypot(x[c] - cx, y[c] - cy) * (1 + self.free[c]), c))
            cand.discard(best)
            members.append(best)
            self._set(best, r)
            total += w[best]
            sx += w[best] * x[best]
            sy += w[best] * y[best]
            cand.update(j for j in nb[best] if label[j] < 0)
        if total >= self.t:
            self.regions.append(members)
            return
        for i in members:
            self.failed[i] = True
            self._set(i, -1)


def _attach_enclaves(label: np.ndarray, neighbours: list[list[int]], w: np.ndarray, x: np.ndarray,
                     y: np.ndarray) -> np.ndarray:
    """Every unlabelled area joins the adjacent region with the nearest children-weighted centroid
    (centroids of the regions as constructed), wave by wave; areas whose component holds no region get one
    new region per component. Returns the completed labels."""
    label = label.copy()
    k = int(label.max()) + 1 if (label >= 0).any() else 0
    ok = label >= 0
    mass = np.bincount(label[ok], weights=w[ok], minlength=k)
    count = np.bincount(label[ok], minlength=k)
    safe = np.where(mass > 0, mass, 1.0)
    cx = np.where(mass > 0, np.bincount(label[ok], weights=(w * x)[ok], minlength=k) / safe,
                  np.bincount(label[ok], weights=x[ok], minlength=k) / np.maximum(count, 1))
    cy = np.where(mass > 0, np.bincount(label[ok], weights=(w * y)[ok], minlength=k) / safe,
                  np.bincount(label[ok], weights=y[ok], minlength=k) / np.maximum(count, 1))
    left = [int(i) for i in np.flatnonzero(label < 0)]
    while left:
        joined = {}
        for i in left:
            options = {int(label[j]) for j in neighbours[i] if label[j] >= 0}
            if options:
                joined[i] = min(options, key=lambda r: (math.hypot(cx[r] - x[i], cy[r] - y[i]), r))
        if not joined:  # a component with no region: it becomes one (below the threshold)
            stack = [left[0]]
            label[left[0]] = k
            while stack:
                for j in neighbours[stack.pop()]:
                    if label[j] < 0:
                        label[j] = k
                        stack.append(j)
            cx, cy = np.append(cx, x[label == k].mean()), np.append(cy, y[label == k].mean())
            k += 1
        for i, r in joined.items():
            label[i] = r
        left = [i for i in left if label[i] < 0]
    return label


def medoids(label: np.ndarray, w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Area row of each region's children-weighted medoid: argmin over its areas m of
    sum_a w_a * |a - m| (ties: the lowest row; a region with no children: the plain medoid)."""
    out = np.empty(int(label.max()) + 1, dtype=np.int64)
    for r in range(len(out)):
        idx = np.flatnonzero(label == r)
        weights = w[idx] if w[idx].sum() > 0 else np.ones(len(idx))
        cost = np.empty(len(idx))
        for s in range(0, len(idx), MEDOID_BLOCK):
            block = idx[s:s + MEDOID_BLOCK]
            d = np.hypot(x[block][:, None] - x[idx][None, :], y[block][:, None] - y[idx][None, :])
            cost[s:s + MEDOID_BLOCK] = d @ weights
        out[r] = idx[int(np.argmin(cost))]
    return out


class RegionModel:
    """The most contiguous regions of at least ``min_reach`` children each (max-p), with a site for each.

    Objective: maximise the number of regions p. Constraints: every region is contiguous (queen), holds
    at least ``min_reach`` children, and every area is in exactly one region (areas that cannot be in a
    valid region of their own are merged into a neighbouring region). See the module docstring for the
    heuristic.

    Parameters
    ----------
    net_or_ev : a :class:`~lib.catchment.Network` or an :class:`~lib.metrics.Evaluation` (its network;
        centres and closures play no part).
    min_reach : the least children of a region.
    adjacency : the areas' contiguity (default: :func:`~lib.optimise.adjacency.network_adjacency`).
    seed : seeds the constructions; the same input and seed give the same regions.
    progress : called with the fraction done (0-1) after each construction; returning False stops,
        keeping the best regions found so far.

    Attributes (after :meth:`solve`)
    --------------------------------
    labels_ : area id -> region label ("R1".."Rn", numbered by each region's first area in the data).
    regions_ : the number of regions n (those of at least ``min_reach`` children, unless
        ``below_min_reach_`` lists some).
    sites_ : region -> area id of its children-weighted medoid (the suggested site).
    reach_ : region -> children.
    below_min_reach_ : regions under ``min_reach`` (only when a whole connected component holds fewer
        children): dicts with region, reach, short_by and why.
    restarts_ : constructions run. seconds_ : time taken. cancelled_ : True if ``progress`` stopped it.

    Examples
    --------
    >>> model = RegionModel(net, min_reach=600).solve()  # doctest: +SKIP
    >>> model.regions_, model.sites_["R1"]  # doctest: +SKIP
    (69, 'E01026437')
    """

    def __init__(self, net_or_ev: Network | Evaluation, *, min_reach: float = 600,
                 adjacency: Adjacency | None = None, seed: int = 0,
                 progress: Callable[[float], bool] | None = None) -> None:
        if not min_reach > 0:
            raise ValueError(f"the minimum reach must be positive, not {min_reach}")
        self.net = net_or_ev.net if isinstance(net_or_ev, Evaluation) else net_or_ev
        self.min_reach = float(min_reach)
        self.adjacency = adjacency
        self.seed = seed
        self.progress = progress

    def solve(self) -> RegionModel:
        start = time.perf_counter()
        net = self.net
        adj = self.adjacency if self.adjacency is not None else network_adjacency(net)
        neighbours = adj.neighbours()
        w = net.children.astype(float)
        x, y = net.area_x / 1000.0, net.area_y / 1000.0
        n = len(w)
        restarts = min(MAX_RESTARTS, max(MIN_RESTARTS, RESTART_WORK // max(n, 1)))
        rng = random.Random(self.seed)
        wl, xl, yl = w.tolist(), x.tolist(), y.tolist()
        self.cancelled_ = False
        best, done = None, 0
        while done < restarts and not self.cancelled_:
            growth = _Growth(neighbours, wl, xl, yl, self.min_reach, random.Random(rng.getrandbits(64))).run()
            done += 1
            if best is None or len(growth.regions) > len(best.regions):
                best = growth
            self.cancelled_ = self.progress is not None and self.progress(done / restarts) is False
        label = _attach_enclaves(np.asarray(best.label, dtype=np.int64), neighbours, w, x, y)
        # number the regions by their first area in the data
        first = np.full(int(label.max()) + 1, n)
        np.minimum.at(first, label, np.arange(n))
        renumber = np.empty_like(first)
        renumber[np.argsort(first, kind="stable")] = np.arange(len(first))
        label = renumber[label]
        reach = np.bincount(label, weights=w)
        sites = medoids(label, w, x, y)
        ids = net.dataset.areas["area_id"].astype(str).to_numpy()
        names = [f"{LABEL_PREFIX}{r + 1}" for r in range(len(reach))]
        self.labels_ = dict(zip(ids.tolist(), [names[r] for r in label], strict=True))
        self.regions_ = len(names)
        self.sites_ = {names[r]: str(ids[sites[r]]) for r in range(len(names))}
        self.reach_ = {names[r]: float(reach[r]) for r in range(len(names))}
        self.below_min_reach_ = [
            {"region": names[r], "reach": float(reach[r]), "short_by": float(self.min_reach - reach[r]),
             "why": f"its connected areas hold only {reach[r]:,.0f} children in all and touch no other region"}
            for r in range(len(names)) if reach[r] < self.min_reach]
        self.restarts_ = done
        self.seconds_ = time.perf_counter() - start
        return self
