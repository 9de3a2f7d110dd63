"""Suggested groups (lots): the open centres regrouped to meet the rules with the least span and travel.

``GroupModel(ev, min_size=2, max_size=4, ...).solve()`` (the spopt shape), then read ``groups_``,
``scenario_`` and ``broken_rules_``.

**Objective** (minimised, km): total span + weighted travel, summed over the lots, where

- span(g) = the largest straight-line distance between two open centres of lot g;
- travel(g) = min over open centres m of g of sum_c w_c * d(c, m): the distance of each centre from the
  lot's children-weighted medoid (its natural lead site), each centre weighted by its size,
  w_c = reach(c) / mean reach of the open centres (an average centre counts once, one twice as big twice).

**Rules** (hard; a lot is a group with at least one open centre; closed and merged centres keep their
group and do not count):

- ``min_size`` <= open centres of a lot <= ``max_size``;
- lot reach >= ``min_reach``: the sum of the reach of the lot's open centres, a threshold per lot
  (a lot of 2-4 centres must reach at least R children), not per centre;
- span <= ``max_span_km``;
- optionally: every lot of two or more open centres has at least two distinct known phases
  (``mixed_phases``); all open centres of a lot lie in one district (``within_districts``);
  exactly ``n_lots`` lots, locked ones included.

When the rules cannot all be met, the grouping with the least total shortfall wins, then the least
objective. Shortfall of a broken rule: centres missing or in excess (sizes), the share of the limit missed
(reach, span), half a centre per open centre of a lot that does not mix phases, the open centres outside
a lot's main district, lots missing or in excess (``n_lots``); so lumping lots that do not mix phases,
or straddle districts, into one bigger lot does not pay. ``broken_rules_`` says which rule, where and by how much.

**Heuristic** (deterministic for a seed): greedy agglomeration from single centres, each step the merge
of two neighbouring groups (nearest ``NEAREST`` centres) that reduces the shortfall at the least objective
per unit of shortfall removed; then local search (move a centre to a neighbouring or a new group, swap two
centres, start a new group of two, merge two groups, split a group) accepting only improvements of
(shortfall, objective); then ruin-and-recreate rounds (release a few neighbouring groups, regroup them with
seeded noise, local search) keeping the best. Locked centres and locked groups never move.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

import numpy as np
from scipy.spatial import cKDTree

from lib.examples import centre_districts
from lib.metrics import Evaluation
from lib.scenario import Scenario, natural_key

NEAREST = 8  # candidate neighbours of a centre: its nearest open centres (and, within districts, in its district)
ROUNDS_PER_CENTRE = 3  # ruin-and-recreate rounds per movable centre
NOISE = 0.5  # relative noise on merge costs when regrouping in a round (diversifies; seeded)
RUIN_NEAREST = 4  # a round releases the groups of a random centre and of up to this many of its nearest centres
EPS = 1e-9
NEW = -1  # key of a new group in a change set
LABEL_PREFIX = "L"

Cost = tuple[float, float]  # (total shortfall of the broken rules, objective km)
ZERO: Cost = (0.0, 0.0)
Changes = dict[int, frozenset[int]]  # group id (or NEW) -> its members after a move (empty: removed)


@dataclass(frozen=True)
class Limits:
    """The rules a lot must meet (``None``: rule off)."""

    min_size: int
    max_size: int
    min_reach: float | None
    max_span_km: float | None
    mixed_phases: bool
    within_districts: bool
    n_lots: int | None


@dataclass(frozen=True)
class Break:
    """One broken rule of one lot (or of the count of lots): value against limit, ``by`` how much."""

    rule: str
    value: float
    limit: float
    by: float
    shortfall: float  # ``by`` relative to the limit's scale, for comparing breaks of different rules


def _better(a: Cost, b: Cost) -> bool:
    """a strictly better than b: less shortfall, then a lower objective."""
    if abs(a[0] - b[0]) > EPS:
        return a[0] < b[0]
    return a[1] < b[1] - EPS


class _Search:
    """A partition of the open centres (local indices) into groups, their costs, and the moves on it.

    Pinned groups hold locked centres (their label is kept); frozen groups (locked groups) take no
    centre in or out. Only movable centres move; a group with no locked centre may dissolve.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, reach: np.ndarray, phase: np.ndarray,
                 district: np.ndarray | None, limits: Limits, pinned: Mapping[str, tuple[Iterable[int], bool]],
                 movable: Iterable[int], seed: int, tick: Callable[[float], bool]) -> None:
        self.x, self.y = (x / 1000.0).tolist(), (y / 1000.0).tolist()
        self.reach = reach.tolist()
        mean = float(reach.mean()) if len(reach) else 0.0
        self.w = (reach / mean).tolist() if mean > 0 else [1.0] * len(reach)
        self.phase = phase.tolist()
        self.district = None if district is None else district.tolist()
        self.limits = limits
        self.rng = random.Random(seed)
        self.tick_ = tick
        self.stopped = False
        self.steps = 0
        self.fraction = 0.0
        n = len(self.x)
        self.movable = [False] * n
        self.members: dict[int, frozenset[int]] = {}
        self.where = [0] * n
        self.label: dict[int, str] = {}
        self.frozen: set[int] = set()
        self.cache: dict[frozenset[int], Cost] = {}
        for g, (label, (ms, is_frozen)) in enumerate(pinned.items()):
            self.label[g] = label
            if is_frozen:
                self.frozen.add(g)
            self._set(g, frozenset(ms))
        self.next_gid = len(pinned)
        free = list(movable)
        for c in free:
            self.movable[c] = True
            self._set(self._new_gid(), frozenset([c]))
        self.free = free
        self.rank = list(range(n))
        self.rng.shuffle(self.rank)
        self.near = self._neighbours()
        self.best = (dict(self.members), self.total())

    # --- measures --------------------------------------------------------------------------
    def d(self, a: int, b: int) -> float:
        return math.hypot(self.x[a] - self.x[b], self.y[a] - self.y[b])

    def span(self, ms: Iterable[int]) -> float:
        m = list(ms)
        return max((self.d(a, b) for i, a in enumerate(m) for b in m[i + 1:]), default=0.0)

    def travel(self, ms: Iterable[int]) -> float:
        """min over sites m of the group of sum_c w_c * d(c, m) (km)."""
        m = list(ms)
        return min(sum(self.w[c] * self.d(c, s) for c in m) for s in m) if m else 0.0

    def breaks(self, ms: frozenset[int]) -> list[Break]:
        """Every rule the open centres ``ms`` break as one lot."""
        lim = self.limits
        n = len(ms)
        out = []
        if n < lim.min_size:
            out.append(Break("group_min", n, lim.min_size, lim.min_size - n, lim.min_size - n))
        if n > lim.max_size:
            out.append(Break("group_max", n, lim.max_size, n - lim.max_size, n - lim.max_size))
        if lim.min_reach is not None:
            reach = sum(self.reach[c] for c in ms)
            if reach < lim.min_reach:
                by = lim.min_reach - reach
                out.append(Break("min_reach", reach, lim.min_reach, by, by / lim.min_reach))
        if lim.max_span_km is not None:
            span = self.span(ms)
            if span > lim.max_span_km:
                by = span - lim.max_span_km
                out.append(Break("max_span", span, lim.max_span_km, by, by / max(lim.max_span_km, EPS)))
        if lim.mixed_phases and n > 1:
            phases = len({self.phase[c] for c in ms} - {0})
            if phases < 2:
                out.append(Break("mixed_phases", phases, 2, 2 - phases, n / 2))
        if lim.within_districts and self.district is not None:
            counts = Counter(self.district[c] for c in ms)
            if len(counts) > 1:
                out.append(Break("within_districts", len(counts), 1, len(counts) - 1, n - max(counts.values())))
        return out

    def lots_break(self, lots: int) -> Break | None:
        n = self.limits.n_lots
        if n is None or lots == n:
            return None
        return Break("n_lots", lots, n, abs(lots - n), abs(lots - n))

    def cost(self, ms: frozenset[int]) -> Cost:
        c = self.cache.get(ms)
        if c is None:
            c = self.cache[ms] = (sum(b.shortfall for b in self.breaks(ms)), self.span(ms) + self.travel(ms))
        return c

    def lots_shortfall(self, lots: int) -> float:
        return 0.0 if self.limits.n_lots is None else float(abs(lots - self.limits.n_lots))

    def total(self) -> Cost:
        short, obj = self.lots_shortfall(len(self.members)), 0.0
        for ms in self.members.values():
            s, o = self.cost(ms)
            short, obj = short + s, obj + o
        return short, obj

    # --- the partition ---------------------------------------------------------------------
    def _new_gid(self) -> int:
        self.next_gid += 1
        return self.next_gid - 1

    def _set(self, g: int, ms: frozenset[int]) -> None:
        if ms:
            self.cost(ms)
            self.members[g] = ms
            for c in ms:
                self.where[c] = g
        else:
            del self.members[g]

    def apply(self, changes: Changes) -> None:
        for g, ms in changes.items():
            self._set(self._new_gid() if g == NEW else g, ms)
        self.steps += 1

    def delta(self, changes: Changes) -> Cost:
        """(shortfall, objective) after the changes minus before."""
        cache, members = self.cache, self.members
        short = obj = 0.0
        before = lots = len(members)
        for g, ms in changes.items():
            if g == NEW:
                lots += 1
            else:
                s, o = cache[members[g]]  # every current group's cost is cached
                short, obj = short - s, obj - o
                if not ms:
                    lots -= 1
                    continue
            s, o = cache.get(ms) or self.cost(ms)
            short, obj = short + s, obj + o
        if lots != before:
            short += self.lots_shortfall(lots) - self.lots_shortfall(before)
        return short, obj

    def snapshot(self) -> None:
        """Keep the partition as the best if it is no worse than the best so far."""
        total = self.total()
        if not _better(self.best[1], total):
            self.best = (dict(self.members), total)

    def restore(self) -> None:
        self.members = {}
        for g, ms in self.best[0].items():
            self._set(g, ms)

    def tick(self) -> None:
        if not self.stopped and not self.tick_(self.fraction):
            self.stopped = True

    # --- neighbourhoods --------------------------------------------------------------------
    def _neighbours(self) -> list[list[int]]:
        """Per centre, the nearest centres outside frozen groups (and within its district, if asked)."""
        n = len(self.x)
        near: list[list[int]] = [[] for _ in range(n)]
        cand = np.array([c for c in range(n) if self.where[c] not in self.frozen], dtype=np.int64)
        if len(cand) < 2:
            return near
        xy = np.c_[self.x, self.y]
        pools = [cand]
        if self.limits.within_districts and self.district is not None:
            d = np.asarray(self.district)
            pools += [cand[d[cand] == k] for k in np.unique(d[cand])]
        for pool in pools:
            k = min(NEAREST + 1, len(pool))
            if k < 2:
                continue
            _, idx = cKDTree(xy[pool]).query(xy[pool], k=k)
            for c, row in zip(pool.tolist(), pool[idx].tolist(), strict=True):
                near[c] += [j for j in row if j != c and j not in near[c]]
        return near

    def groups_near(self, ms: Iterable[int], own: int) -> list[int]:
        out = dict.fromkeys(self.where[j] for c in ms for j in self.near[c])
        return [g for g in out if g != own and g not in self.frozen]

    def moves(self, c: int) -> Iterator[Changes]:
        """Moves of centre c: to a neighbouring group, swap with a centre of one, start a new group with one
        of its centres, merge its group with one, or split off alone or with a centre of its own group."""
        a = self.where[c]
        ma = self.members[a]
        rest = ma - {c}
        for b in self.groups_near([c], a):
            mb = self.members[b]
            yield {a: rest, b: mb | {c}}
            for d in mb:
                if self.movable[d]:
                    yield {a: rest | {d}, b: (mb - {d}) | {c}}
                    yield {a: rest, b: mb - {d}, NEW: frozenset([c, d])}
            if a not in self.label:
                yield {a: frozenset(), b: ma | mb}
            elif b not in self.label:
                yield {b: frozenset(), a: ma | mb}
        if rest:
            yield {a: rest, NEW: frozenset([c])}
            for d in rest:
                if self.movable[d] and len(rest) > 1:
                    yield {a: rest - {d}, NEW: frozenset([c, d])}

    # --- the phases ------------------------------------------------------------------------
    def merge_greedily(self, dirty: set[int], noise: float = 0.0) -> None:
        """Merge neighbouring groups while a merge reduces the shortfall of the broken rules: each step the
        merge with the least objective added (times 1 + noise * a seeded uniform draw) per unit of shortfall
        removed."""
        while not self.stopped:
            best, best_key = None, None
            for a in [g for g in self.members if g not in self.frozen]:
                if not (a in dirty or self.cost(self.members[a])[0]):
                    continue
                for b in self.groups_near(self.members[a], a):
                    if a in self.label and b in self.label:
                        continue
                    keep, gone = (b, a) if a not in self.label else (a, b)
                    change = {keep: self.members[a] | self.members[b], gone: frozenset()}
                    d = self.delta(change)
                    if d[0] >= -EPS:
                        continue
                    key = (d[1] * (1 + noise * self.rng.random()) / -d[0],
                           min(self.rank[c] for c in self.members[a]), min(self.rank[c] for c in self.members[b]))
                    if best_key is None or key < best_key:
                        best, best_key = change, key
            if best is None:
                return
            self.apply(best)
            dirty.update(g for g, ms in best.items() if ms)
            self.tick()

    def local_search(self, active: Iterable[int]) -> None:
        """Best move of each active centre while it improves (shortfall, objective);
        the centres of changed groups and their neighbours become active again."""
        queue = deque(dict.fromkeys(c for c in active if self.movable[c]))
        queued = set(queue)
        seen = 0
        while queue and not self.stopped:
            c = queue.popleft()
            queued.discard(c)
            best, best_delta = None, ZERO
            for change in self.moves(c):
                d = self.delta(change)
                if _better(d, best_delta):
                    best, best_delta = change, d
            seen += 1
            if seen % 32 == 0:
                self.tick()
            if best is None:
                continue
            self.apply(best)
            for ms in best.values():
                for m in ms:
                    for j in (m, *self.near[m]):
                        if self.movable[j] and j not in queued:
                            queue.append(j)
                            queued.add(j)

    def ruin_and_recreate(self) -> None:
        """Release the movable centres of the groups of a random centre and of 1 to ``RUIN_NEAREST`` of its
        nearest centres, regroup them greedily with noise, then local search; keep the result if it is no
        worse than the best, else go back to the best."""
        c = self.rng.choice(self.free)
        nearest = self.near[c][:self.rng.randint(1, RUIN_NEAREST)]
        groups = dict.fromkeys([self.where[c], *(self.where[j] for j in nearest)])
        released: list[int] = []
        dirty: set[int] = set()
        for g in groups:
            if g in self.frozen or g not in self.members:
                continue
            out = [m for m in self.members[g] if self.movable[m]]
            self._set(g, self.members[g] - set(out))
            if g in self.members:
                dirty.add(g)
            for m in out:
                new = self._new_gid()
                self._set(new, frozenset([m]))
                dirty.add(new)
            released += out
        self.merge_greedily(dirty, NOISE)
        self.local_search([j for m in released for j in (m, *self.near[m])])
        self.snapshot()
        self.restore()

    def run(self) -> None:
        """Construct, improve, then ruin-and-recreate rounds; ends on the best partition found."""
        self.merge_greedily(set(self.members))
        self.fraction = 0.05
        self.tick()
        order = list(self.free)
        self.rng.shuffle(order)
        self.local_search(order)
        self.snapshot()
        rounds = ROUNDS_PER_CENTRE * len(self.free)
        for r in range(rounds):
            if self.stopped:
                break
            self.fraction = 0.1 + 0.9 * r / rounds
            self.tick()
            if not self.stopped:
                self.ruin_and_recreate()
        self.snapshot()
        self.restore()


class GroupModel:
    """Suggest groups (lots) of the open centres that meet the rules with the least span and travel.

    Objective (minimised): total span + weighted travel, in km. Span of a lot = largest straight-line
    distance between two of its open centres; travel = sum over its open centres of
    (reach(c) / mean reach of the open centres) * distance(c, the lot's children-weighted medoid).

    Rules (hard, per lot = group with at least one open centre): ``min_size`` <= open centres <=
    ``max_size``; **lot reach** (the sum of the reach of the lot's open centres: a threshold per lot, not per
    centre) >= ``min_reach``; span <= ``max_span_km``; optionally each lot of 2+ open centres mixes at
    least two known phases (``mixed_phases``), all of a lot's open centres lie in one district
    (``within_districts``), and there are exactly ``n_lots`` lots, locked ones included. When they cannot
    all be met, the total shortfall (see the module docstring) is minimised first, then the objective; what
    is broken is reported in ``broken_rules_``.

    Only open centres are grouped: closed and merged centres keep their group label (they do not count in
    a lot). A locked centre keeps its group label (other centres may join or leave that group); a locked
    group keeps exactly its members. Every other lot gets a new label L1, L2, ... (in the order of their
    first centre in the data), skipping labels that stay in use (locked groups, groups of locked centres,
    groups of closed centres); new lots start with default lot attributes.

    Parameters
    ----------
    ev : the evaluation of the current scenario (reach, phases, coordinates, closures).
    min_size, max_size : open centres per lot.
    n_lots : exactly this many lots (``None``: any number).
    min_reach : least lot reach (children); default ``ev.scenario.rules.min_reach``.
    max_span_km : largest lot span (km); default ``ev.scenario.rules.max_span_km``.
    locked_centres, locked_groups : centre ids / group labels that must not change.
    mixed_phases, within_districts : the optional rules.
    seed : seeds the tie-breaking and the ruin-and-recreate rounds; the same input and seed give the same
        answer.
    progress : called with the fraction done (0-1); returning False stops the search, which then returns
        the best grouping found so far.

    Attributes (after :meth:`solve`)
    --------------------------------
    groups_ : centre id -> group label, every centre.
    scenario_ : ``ev.scenario`` with that grouping (closures, rules and settings unchanged).
    broken_rules_ : one dict per broken rule: rule (``group_min``, ``group_max``, ``min_reach``,
        ``max_span``, ``mixed_phases``, ``within_districts``, ``n_lots``), where (group label, or "county"
        for ``n_lots``), value, limit, by (how far past the limit) and text (a plain-English sentence).
    objective_, total_span_km_, weighted_travel_km_ : the objective and its two parts (km).
    n_lots_ : lots in the answer. seconds_ : time taken. iterations_ : merges and moves applied.
    cancelled_ : True if ``progress`` stopped the search.

    Examples
    --------
    >>> model = GroupModel(ev, min_size=2, max_size=4, locked_groups=["G3"]).solve()  # doctest: +SKIP
    >>> model.scenario_.group_of["nfk-cromer"], model.broken_rules_  # doctest: +SKIP
    ('L7', [])
    """

    def __init__(self, ev: Evaluation, *, min_size: int = 2, max_size: int = 4, n_lots: int | None = None,
                 min_reach: float | None = None, max_span_km: float | None = None,
                 locked_centres: Iterable[str] = (), locked_groups: Iterable[str] = (),
                 mixed_phases: bool = False, within_districts: bool = False, seed: int = 0,
                 progress: Callable[[float], bool] | None = None) -> None:
        if min_size < 1 or max_size < min_size:
            raise ValueError(f"lot sizes must satisfy 1 <= min_size <= max_size, not {min_size} and {max_size}")
        if n_lots is not None and n_lots < 1:
            raise ValueError(f"n_lots must be at least 1, not {n_lots}")
        rules = ev.scenario.rules
        self.ev = ev
        self.limits = Limits(
            min_size=int(min_size), max_size=int(max_size),
            min_reach=rules.min_reach if min_reach is None else float(min_reach),
            max_span_km=rules.max_span_km if max_span_km is None else float(max_span_km),
            mixed_phases=bool(mixed_phases), within_districts=bool(within_districts),
            n_lots=None if n_lots is None else int(n_lots))
        self.locked_centres = tuple(dict.fromkeys(locked_centres))
        self.locked_groups = tuple(dict.fromkeys(locked_groups))
        ev.scenario._known(self.locked_centres)
        unknown = set(self.locked_groups) - set(ev.scenario.group_of.values())
        if unknown:
            raise KeyError(f"unknown group(s): {', '.join(sorted(unknown, key=natural_key))}")
        self.seed = int(seed)
        self.progress = progress

    def solve(self) -> GroupModel:
        """Group the open centres (see the class docstring); sets the result attributes and returns self."""
        start = time.perf_counter()
        ev, sc, net = self.ev, self.ev.scenario, self.ev.net
        ids = net.centre_ids
        open_idx = np.flatnonzero(ev.ctx.is_open)
        locked, locked_groups = set(self.locked_centres), set(self.locked_groups)
        pinned: dict[str, tuple[list[int], bool]] = {}
        free = []
        for k, i in enumerate(open_idx.tolist()):
            label = sc.group_of[ids[i]]
            if label in locked_groups or ids[i] in locked:
                pinned.setdefault(label, ([], label in locked_groups))[0].append(k)
            else:
                free.append(k)
        districts = centre_districts(net).to_numpy()[open_idx] if self.limits.within_districts else None
        self.cancelled_ = False

        def tick(fraction: float) -> bool:
            go = self.progress is None or self.progress(fraction) is not False
            self.cancelled_ |= not go
            return go

        search = _Search(net.centre_x[open_idx], net.centre_y[open_idx], ev.centre["reach"][open_idx],
                         net.phase[open_idx], districts, self.limits, pinned, free, self.seed, tick)
        search.run()
        self._results(search, open_idx)
        self.seconds_ = time.perf_counter() - start
        return self

    def _results(self, search: _Search, open_idx: np.ndarray) -> None:
        sc, ids = self.ev.scenario, self.ev.net.centre_ids
        groups = dict(sc.group_of)
        kept = {sc.group_of[c] for c in sc.closed} | set(search.label.values())
        fresh = sorted((g for g in search.members if g not in search.label),
                       key=lambda g: min(search.members[g]))
        labels = dict(search.label)
        n = 0
        for g in fresh:
            n += 1
            while f"{LABEL_PREFIX}{n}" in kept:
                n += 1
            labels[g] = f"{LABEL_PREFIX}{n}"
        for g, ms in search.members.items():
            for k in ms:
                groups[ids[open_idx[k]]] = labels[g]
        self.groups_ = groups
        self.scenario_: Scenario = replace(sc, group_of=groups,
                                           lots={g: lot for g, lot in sc.lots.items() if g in kept})
        names = self.ev.net.dataset.centres["name"].astype(str).to_numpy()[open_idx]
        lots = sorted(search.members.items(), key=lambda item: natural_key(labels[item[0]]))
        broken = [(labels[g], b, [names[k] for k in sorted(ms)]) for g, ms in lots for b in search.breaks(ms)]
        b = search.lots_break(len(lots))
        if b is not None:
            broken.append(("county", b, []))
        self.broken_rules_ = [{"rule": b.rule, "where": where, "value": float(b.value), "limit": float(b.limit),
                               "by": float(b.by), "text": _text(where, b, members)} for where, b, members in broken]
        self.total_span_km_ = float(sum(search.span(ms) for ms in search.members.values()))
        self.weighted_travel_km_ = float(sum(search.travel(ms) for ms in search.members.values()))
        self.objective_ = self.total_span_km_ + self.weighted_travel_km_
        self.n_lots_ = len(lots)
        self.iterations_ = search.steps


def _text(where: str, b: Break, members: list[str]) -> str:
    """A plain-English sentence for one broken rule, e.g. 'L3 (Cromer, Holt): span 52.3 km, 12.3 km over
    the limit of 40 km'."""
    shown = ", ".join(members[:3]) + (f" and {len(members) - 3} more" if len(members) > 3 else "")
    head = f"{where} ({shown})" if members else where
    n = round(b.value)
    if b.rule == "group_min":
        return (f"{head}: {n} open centre{'' if n == 1 else 's'}, {round(b.by)} fewer than the minimum of "
                f"{round(b.limit)}")
    if b.rule == "group_max":
        return f"{head}: {n} open centres, {round(b.by)} more than the maximum of {round(b.limit)}"
    if b.rule == "min_reach":
        return (f"{head}: lot reach {b.value:,.0f} children, {b.by:,.0f} short of the minimum of "
                f"{b.limit:,.0f}")
    if b.rule == "max_span":
        return f"{head}: span {b.value:.1f} km, {b.by:.1f} km over the limit of {b.limit:g} km"
    if b.rule == "mixed_phases":
        return f"{head}: {'no known phase' if n == 0 else 'only one known phase'} among its open centres, " \
               "at least 2 wanted"
    if b.rule == "within_districts":
        return f"{head}: open centres in {n} districts, not one"
    return (f"{n} lots, {round(b.by)} {'fewer' if b.value < b.limit else 'more'} than the "
            f"{round(b.limit)} asked for")
