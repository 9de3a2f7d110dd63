"""Suggested reach areas: contiguous areas for the open centres, each reaching ``min_reach`` where it can.

``AreaModel(ev, min_reach=600).solve()`` (the spopt shape), then read ``assignment_`` and
``below_min_reach_``.

**Objective** (minimised): the growth of the children-weighted distance, sum over areas of
children(a) * distance(area centroid, its centre), over the nearest-open-centre assignment.

**Constraints**: every area goes to exactly one open centre (every child counted once); each reach area
is contiguous (queen, :mod:`lib.optimise.adjacency`) and contains its centre's own area (the area whose
polygon contains the centre's point, else the area with the nearest centroid; of two centres in one area,
the nearer keeps it and the other takes the nearest area left); each reaches at least ``min_reach``
children where the geography allows.

**Heuristic** (deterministic):

1. Every area to its nearest open centre, each centre's own area to the centre.
2. *Contiguity repair*: a piece of a reach area cut off from its centre's own area moves, whole, to the
   adjacent reach area where its children's distance grows least (repeated until none is left).
3. *Reach*: centres below ``min_reach``, the least short first, pull boundary areas from adjacent reach
   areas, the cheapest extra distance per child first, while the donor keeps ``min_reach``, its own area
   and a contiguous reach area (checked by search after the removal). A donor that would fall below the
   minimum may give if it can in turn pull what it lost from its own neighbours (chains of up to
   ``CHAIN_DEPTH`` donors, at most ``PULL_BUDGET`` steps tried per centre). All or nothing: a centre that
   cannot reach the minimum keeps its reach area (no one travels further for nothing) and
   ``below_min_reach_`` says why.
4. *Tidy*: a boundary area moves to an adjacent reach area whose centre is nearer, if the donor keeps the
   minimum (or the area has no children), its own area and contiguity; until no such move is left.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from lib.catchment import nearest
from lib.metrics import Evaluation
from lib.optimise.adjacency import Adjacency, is_connected, network_adjacency

CHAIN_DEPTH = 3  # donors that may fall below the minimum and pull in turn, one after another
PULL_BUDGET = 5_000  # chain steps tried per centre below the minimum (bounds the search)
EPS = 1e-9
SHOWN = 3  # neighbouring centres named in a "why"


class AreaModel:
    """Contiguous reach areas for the open centres, each reaching ``min_reach`` children where the
    geography allows, with the least growth of children-weighted distance (see the module docstring).

    Parameters
    ----------
    ev : the evaluation of the current scenario (its open centres get reach areas; closures count).
    min_reach : the least reach of a centre (children aged 0-4).
    adjacency : the areas' contiguity (default: :func:`~lib.optimise.adjacency.network_adjacency`).
    progress : called with the fraction done (0-1); returning False stops after the contiguity repair
        at the latest, keeping the (contiguous) reach areas found so far.

    Attributes (after :meth:`solve`)
    --------------------------------
    assignment_ : area id -> centre id (open centres only), every area.
    reach_ : centre id -> children in its reach area (open centres).
    below_min_reach_ : the centres under ``min_reach``: dicts with centre_id, name, reach, short_by and why
        (a sentence: which neighbours could not spare children, and why).
    weighted_km_, baseline_weighted_km_ : children-weighted distance (child-km) of the suggestion and of
        the nearest-open-centre assignment.
    home_areas_ : centre id -> its own area's id. areas_moved_ : areas not with their nearest open centre.
    seconds_ : time taken. cancelled_ : True if ``progress`` stopped it.

    Examples
    --------
    >>> model = AreaModel(ev, min_reach=600).solve()  # doctest: +SKIP
    >>> model.assignment_["E01026419"], len(model.below_min_reach_)  # doctest: +SKIP
    ('nfk-thetford', 4)
    """

    def __init__(self, ev: Evaluation, *, min_reach: float = 600, adjacency: Adjacency | None = None,
                 progress: Callable[[float], bool] | None = None) -> None:
        if not min_reach >= 0:
            raise ValueError(f"the minimum reach cannot be negative: {min_reach}")
        self.ev = ev
        self.min_reach = float(min_reach)
        self.adjacency = adjacency
        self.progress = progress

    # --- set-up ---------------------------------------------------------------------------------
    def _homes(self, adj: Adjacency, open_idx: np.ndarray) -> np.ndarray:
        """Area row of each open centre's own area (see the module docstring for shared areas)."""
        net = self.ev.net
        centres = net.dataset.centres
        cx, cy = net.centre_x[open_idx], net.centre_y[open_idx]
        home = adj.area_at(centres["lon"].to_numpy(float)[open_idx], centres["lat"].to_numpy(float)[open_idx])
        missing = home < 0
        if missing.any():
            home[missing] = nearest(cx[missing], cy[missing], net.area_x, net.area_y)
        gap = np.hypot(net.area_x[home] - cx, net.area_y[home] - cy)
        taken: set[int] = set()
        tree = cKDTree(np.c_[net.area_x, net.area_y])
        for k in np.lexsort((np.arange(len(home)), gap)):  # nearer centres keep a shared area
            if int(home[k]) in taken:
                _, near = tree.query([cx[k], cy[k]], k=min(len(taken) + 1, len(net.area_x)))
                home[k] = next(int(a) for a in np.atleast_1d(near) if int(a) not in taken)
            taken.add(int(home[k]))
        return home

    # --- the solve ------------------------------------------------------------------------------
    def solve(self) -> AreaModel:
        start = time.perf_counter()
        ev, net = self.ev, self.ev.net
        adj = self.adjacency if self.adjacency is not None else network_adjacency(net)
        open_idx = np.flatnonzero(ev.ctx.is_open)
        n, m = len(net.children), len(open_idx)
        if m == 0:
            raise ValueError("no open centre: open at least one centre to suggest reach areas")
        if m > n:
            raise ValueError(f"{m} open centres but only {n} areas: each reach area needs an area of its own")
        self.cancelled_ = False
        self.nb = adj.neighbours()
        self.w = net.children.astype(float).tolist()
        self.ax, self.ay = (net.area_x / 1000.0).tolist(), (net.area_y / 1000.0).tolist()
        self.cx, self.cy = (net.centre_x[open_idx] / 1000.0).tolist(), (net.centre_y[open_idx] / 1000.0).tolist()
        base = nearest(net.area_x, net.area_y, net.centre_x[open_idx], net.centre_y[open_idx])
        self.home = self._homes(adj, open_idx).tolist()
        label = base.copy()
        label[self.home] = np.arange(m)
        label = self._repair(adj.matrix, label)
        self.label = label.tolist()
        self.members = [set() for _ in range(m)]
        for a, k in enumerate(self.label):
            self.members[k].add(a)
        self.reach = np.bincount(label, weights=net.children, minlength=m).tolist()
        self.log: list[tuple[int, int, int]] = []
        if not self._tick(0.1):
            self._balance()
        if not self.cancelled_:
            self._tidy()
        self._report(open_idx, base)
        self.seconds_ = time.perf_counter() - start
        return self

    def _tick(self, fraction: float) -> bool:
        """Report progress; True once the caller has asked to stop."""
        if self.progress is not None and self.progress(fraction) is False:
            self.cancelled_ = True
        return self.cancelled_

    def dist(self, a: int, k: int) -> float:
        """Straight-line km from area a's centroid to open centre k."""
        return math.hypot(self.ax[a] - self.cx[k], self.ay[a] - self.cy[k])

    def _repair(self, matrix: sparse.csr_matrix, label: np.ndarray) -> np.ndarray:
        """Step 2: move every piece cut off from its centre's own area to the adjacent reach area where
        its children's distance grows least; pieces touching only other cut-off pieces wait a round."""
        coo = matrix.tocoo()
        i, j = coo.row, coo.col
        n = len(label)
        w = np.asarray(self.w)
        ax, ay, cx, cy = (np.asarray(v) for v in (self.ax, self.ay, self.cx, self.cy))
        while True:
            same = label[i] == label[j]
            graph = sparse.coo_matrix((np.ones(int(same.sum())), (i[same], j[same])), shape=(n, n))
            _, comp = connected_components(graph, directed=False)
            anchored = np.zeros(comp.max() + 1, bool)
            anchored[comp[self.home]] = True
            loose = ~anchored[comp]
            if not loose.any():
                return label
            edge = loose[i] & ~loose[j]
            targets: dict[int, set[int]] = {}
            for c, t in zip(comp[i[edge]].tolist(), label[j[edge]].tolist(), strict=True):
                targets.setdefault(c, set()).add(t)
            if not targets:
                raise ValueError("some areas are not connected to any open centre's area by the adjacency given")
            for c, options in targets.items():
                piece = np.flatnonzero(comp == c)
                now = np.hypot(ax[piece] - cx[label[piece]], ay[piece] - cy[label[piece]])

                def growth(t: int, piece: np.ndarray = piece, now: np.ndarray = now) -> tuple[float, int]:
                    return float(w[piece] @ (np.hypot(ax[piece] - cx[t], ay[piece] - cy[t]) - now)), t

                label[piece] = min(options, key=growth)

    # --- moves ----------------------------------------------------------------------------------
    def _move(self, a: int, src: int, dst: int) -> None:
        self.label[a] = dst
        self.members[src].remove(a)
        self.members[dst].add(a)
        self.reach[src] -= self.w[a]
        self.reach[dst] += self.w[a]

    def _undo(self, mark: int) -> None:
        while len(self.log) > mark:
            a, src, dst = self.log.pop()
            self._move(a, dst, src)

    def _can_give(self, a: int, d: int) -> bool:
        """Centre d can give area a: not its own area, and its reach area stays contiguous without it."""
        return a != self.home[d] and is_connected(self.members[d] - {a}, self.nb)

    def _boundary(self, r: int) -> set[int]:
        """Areas of other reach areas adjacent to r's."""
        label, nb = self.label, self.nb
        return {j for i in self.members[r] for j in nb[i] if label[j] != r}

    def _offers(self, r: int, blocked: set[int]) -> list[tuple[float, int, int]]:
        """(extra km per child, area, donor) for the areas r could take, cheapest first."""
        out = []
        for a in self._boundary(r):
            d = self.label[a]
            if d not in blocked and self.w[a] > 0 and a != self.home[d]:
                out.append((self.dist(a, r) - self.dist(a, d), a, d))
        out.sort()
        return out

    def _pull(self, r: int, depth: int, blocked: set[int]) -> bool:
        """Bring r to the minimum with areas from its neighbours (see step 3), all or nothing."""
        mark = len(self.log)
        blocked = blocked | {r}
        t = self.min_reach
        self.budget -= 1
        while self.reach[r] < t:
            offers = self._offers(r, blocked)
            done = False
            for _, a, d in offers:  # donors that keep the minimum
                if self.reach[d] - self.w[a] >= t and self._can_give(a, d):
                    self.log.append((a, d, r))
                    self._move(a, d, r)
                    done = True
                    break
            if not done and depth > 0 and self.budget > 0:
                for _, a, d in offers:  # donors that must pull in turn
                    if self.reach[d] >= t > self.reach[d] - self.w[a] and self._can_give(a, d):
                        step = len(self.log)
                        self.log.append((a, d, r))
                        self._move(a, d, r)
                        if self._pull(d, depth - 1, blocked):
                            done = True
                            break
                        self._undo(step)
            if not done:
                self._undo(mark)
                return False
        return True

    def _balance(self) -> None:
        """Step 3: passes over the centres below the minimum, the least short first, until one fixes none."""
        t = self.min_reach
        rounds = 0
        while True:
            poor = sorted((t - self.reach[k], k) for k in range(len(self.reach)) if self.reach[k] < t)
            fixed = False
            for pos, (_, r) in enumerate(poor):  # pass p fills [1 - 2^-p, 1 - 2^-(p+1)] of the 0.1-0.8 span
                if self._tick(0.1 + 0.7 * (1 - 0.5 ** rounds + 0.5 ** (rounds + 1) * pos / len(poor))):
                    return
                self.budget = PULL_BUDGET
                if self._pull(r, CHAIN_DEPTH, set()):
                    self.log.clear()
                    fixed = True
            rounds += 1
            if not fixed:
                return

    def _tidy(self) -> None:
        """Step 4: boundary areas to nearer adjacent centres while the donor keeps the minimum."""
        t, w, label, nb = self.min_reach, self.w, self.label, self.nb
        moved = True
        while moved:
            moved = False
            for a in range(len(label)):
                d = label[a]
                if a == self.home[d] or (w[a] > 0 and self.reach[d] - w[a] < t):
                    continue
                here = self.dist(a, d)
                options = sorted((self.dist(a, r), r) for r in {label[j] for j in nb[a]} - {d})
                if options and options[0][0] < here - EPS and self._can_give(a, d):
                    self._move(a, d, options[0][1])
                    moved = True
        self._tick(1.0)

    # --- results --------------------------------------------------------------------------------
    def _report(self, open_idx: np.ndarray, base: np.ndarray) -> None:
        net = self.ev.net
        ids = net.dataset.areas["area_id"].astype(str).tolist()
        centre_ids = [net.centre_ids[k] for k in open_idx]
        names = net.dataset.centres["name"].astype(str).to_numpy()[open_idx].tolist()
        label = np.asarray(self.label)
        w = net.children.astype(float)
        ax, ay = np.asarray(self.ax), np.asarray(self.ay)
        cx, cy = np.asarray(self.cx), np.asarray(self.cy)
        self.assignment_ = dict(zip(ids, [centre_ids[k] for k in self.label], strict=True))
        self.reach_ = dict(zip(centre_ids, [float(r) for r in self.reach], strict=True))
        self.weighted_km_ = float(w @ np.hypot(ax - cx[label], ay - cy[label]))
        self.baseline_weighted_km_ = float(w @ np.hypot(ax - cx[base], ay - cy[base]))
        self.home_areas_ = {centre_ids[k]: ids[a] for k, a in enumerate(self.home)}
        self.areas_moved_ = int((label != base).sum())
        t = self.min_reach
        self.below_min_reach_ = [
            {"centre_id": centre_ids[k], "name": names[k], "reach": float(self.reach[k]),
             "short_by": float(t - self.reach[k]), "why": self._why(k, names)}
            for k in sorted(range(len(self.reach)), key=lambda k: self.reach[k]) if self.reach[k] < t]

    def _why(self, k: int, names: list[str]) -> str:
        """Why centre k is below the minimum, in a sentence."""
        t = self.min_reach
        border = self._boundary(k)
        around = sorted({self.label[a] for a in border}, key=lambda d: (self.reach[d], d))
        if not around:
            return f"its contiguous neighbourhood is the whole county, which holds only {self.reach[k]:,.0f} children"
        shown = ", ".join(f"{names[d]} {self.reach[d]:,.0f}" for d in around[:SHOWN])
        shown += f" and {len(around) - SHOWN} more" if len(around) > SHOWN else ""
        givable = [a for a in border if a != self.home[self.label[a]]]
        if not givable:
            return f"it touches only other centres' own areas ({shown}), which they keep"
        smallest = {d: min((self.w[a] for a in givable if self.label[a] == d), default=math.inf) for d in around}
        if all(self.reach[d] - smallest[d] < t for d in around):
            return f"surrounded by centres that would fall below {t:,.0f} if they gave up an area ({shown})"
        return (f"its contiguous neighbourhood holds only {self.reach[k]:,.0f} children before reaching areas "
                f"served by other centres, which cannot give up enough of them without falling below "
                f"{t:,.0f} or splitting their own reach areas ({shown})")
