"""Every figure the app shows: a registry of frozen ``Metric`` entries, and the evaluation.

Centre figures (``CENTRE_METRICS``) are computed from the reach areas with
``np.bincount``; group figures (``GROUP_METRICS``) from the group tally;
totals (``TOTAL_METRICS``) from the groups. ``REGISTRY_VERSION`` changes
whenever a formula does, so saved figures are recomputed, never shown stale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from lib import budget, lots, rules
from lib.catchment import Network, reach_areas
from lib.scenario import Scenario
from lib.tally import GroupTally


@dataclass(frozen=True)
class Metric:
    """One figure: key (as in DESIGN.md), label, unit, formula text, and how to compute it."""

    key: str
    label: str
    unit: str
    formula: str
    compute: Callable
    version: int = 1


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(len(num)), where=den > 0)


# --- centre level: compute(ctx) where ctx is the CentreContext -------------------------------

@dataclass(frozen=True)
class CentreContext:
    net: Network
    scenario: Scenario
    assign: np.ndarray
    distance_km: np.ndarray
    is_open: np.ndarray

    def by_centre(self, weights: np.ndarray) -> np.ndarray:
        ok = self.assign >= 0
        return np.bincount(self.assign[ok], weights=weights[ok], minlength=self.net.n_centres)

    @cached_property
    def deprived(self) -> np.ndarray:
        return self.net.decile <= self.scenario.deprivation.threshold

    @cached_property
    def weight(self) -> np.ndarray:
        return np.asarray(self.scenario.deprivation.weights, float)[np.clip(self.net.decile, 1, 10) - 1]


def _max_distance(ctx: CentreContext) -> np.ndarray:
    out = np.zeros(ctx.net.n_centres)
    ok = ctx.assign >= 0
    np.maximum.at(out, ctx.assign[ok], ctx.distance_km[ok])
    return out


def _further(ctx: CentreContext) -> np.ndarray:
    further = ctx.distance_km > ctx.net.base_distance_km + 1e-9
    return ctx.by_centre(ctx.net.children * further)


CENTRE_METRICS: tuple[Metric, ...] = (
    Metric("areas", "Areas", "LSOAs", "number of areas in the reach area",
           lambda c: c.by_centre(np.ones(len(c.assign)))),
    Metric("reach", "Reach", "children", "sum of children aged 0-4 over the reach area",
           lambda c: c.by_centre(c.net.children.astype(float))),
    Metric("deprived_reach", "Deprived reach", "children",
           "children in reach-area areas of IMD decile <= D",
           lambda c: c.by_centre(c.net.children * c.deprived)),
    Metric("weighted_reach", "Weighted reach", "weighted children",
           "sum of children(a) * w[IMD decile(a)]",
           lambda c: c.by_centre(c.net.children * c.weight)),
    Metric("child_km", "Children x km", "child-km", "sum of children(a) * distance(a, centre)",
           lambda c: c.by_centre(c.net.children * c.distance_km)),
    Metric("max_distance_km", "Max distance", "km", "largest area-centroid-to-centre distance", _max_distance),
    Metric("children_further", "Children further away", "children",
           "children whose centre is now further than in the baseline", _further),
)


def centre_figures(ctx: CentreContext) -> dict[str, np.ndarray]:
    """All centre metrics plus derived ones (shares, mean distance, cost, counts for tallies)."""
    out = {m.key: m.compute(ctx) for m in CENTRE_METRICS}
    out["deprived_share"] = _ratio(out["deprived_reach"], out["reach"])
    out["mean_distance_km"] = _ratio(out["child_km"], out["reach"])
    out["centre_cost"] = budget.centre_cost(ctx.net.phase, out["weighted_reach"], ctx.is_open,
                                            ctx.scenario.budget)
    out["centres"] = np.ones(ctx.net.n_centres)
    out["open_centres"] = ctx.is_open.astype(float)
    for p in (1, 2, 3):
        out[f"phase_{p}"] = (ctx.is_open & (ctx.net.phase == p)).astype(float)
    return out


# --- group level: compute(tally, scenario) -----------------------------------------------------

def _s(key: str) -> Callable:
    return lambda t, s: t.sums[key]


GROUP_METRICS: tuple[Metric, ...] = (
    Metric("centres", "Centres", "centres", "centres in the group (open or closed)", _s("centres")),
    Metric("open_centres", "Open centres", "centres", "open centres in the group", _s("open_centres")),
    Metric("reach", "Reach", "children", "sum of its centres' reach", _s("reach")),
    Metric("reach_per_centre", "Reach per centre", "children", "reach / open centres",
           lambda t, s: _ratio(t.sums["reach"], t.sums["open_centres"])),
    Metric("deprived_reach", "Deprived reach", "children", "sum of its centres' deprived reach",
           _s("deprived_reach")),
    Metric("deprived_share", "Deprived share", "share", "deprived reach / reach",
           lambda t, s: _ratio(t.sums["deprived_reach"], t.sums["reach"])),
    Metric("weighted_reach", "Weighted reach", "weighted children", "sum of its centres' weighted reach",
           _s("weighted_reach")),
    Metric("span_km", "Span", "km", "largest distance between two open centres of the group",
           lambda t, s: t.span_km),
    Metric("mean_distance_km", "Mean distance", "km", "children-weighted mean area-to-centre distance",
           lambda t, s: _ratio(t.sums["child_km"], t.sums["reach"])),
    Metric("max_distance_km", "Max distance", "km", "largest area-to-centre distance in the group",
           lambda t, s: t.max_distance_km),
    Metric("lot_value", "Lot value", "GBP",
           "management cost per lot + sum of (base cost by phase + rate * weighted reach)",
           lambda t, s: budget.lot_value(t.sums["open_centres"], t.sums["centre_cost"], s.budget)),
    Metric("children_further", "Children further away", "children", "sum over its centres",
           _s("children_further")),
)

TOTAL_KEYS = ("groups", "open_centres", "closed_centres", "children", "children_covered",
              "deprived_reach", "deprived_share", "weighted_reach", "budget_total", "baseline_total",
              "saving", "envelope", "envelope_gap", "children_further", "areas_beyond_max_distance",
              "children_beyond_max_distance", "flags", "lots", "lots_by_route", "lots_by_lead_type")

TOTAL_LABELS = {
    "groups": "Groups (lots)", "open_centres": "Open centres", "closed_centres": "Closed centres",
    "children": "Children 0-4 in the county", "children_covered": "Children covered",
    "deprived_reach": "Children in deprived areas", "deprived_share": "Share in deprived areas",
    "weighted_reach": "Weighted reach", "budget_total": "Budget total", "baseline_total": "Baseline total",
    "saving": "Saving", "envelope": "Envelope", "envelope_gap": "Envelope gap (+ headroom)",
    "children_further": "Children further away", "areas_beyond_max_distance": "Areas beyond max distance",
    "children_beyond_max_distance": "Children beyond max distance", "flags": "Rule flags",
    "lots": "Lots (groups with an open centre)", "lots_by_route": "Lots by procurement route",
    "lots_by_lead_type": "Lots by lead agency type",
}


def registry_version() -> str:
    """Hash of (key, version) of every metric: stored figures older than this are stale."""
    parts = [f"{m.key}:{m.version}" for m in CENTRE_METRICS + GROUP_METRICS]
    return hashlib.sha1(",".join(parts).encode()).hexdigest()[:12]


# --- evaluation --------------------------------------------------------------------------------

def closure_arrays(net: Network, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """(closed mask, merge target index or -1) over the network's centres."""
    closed = np.zeros(net.n_centres, bool)
    target = np.full(net.n_centres, -1)
    idx = net.centre_index
    closed[[idx[c] for c in scenario.closed if c in idx]] = True
    for c, t in scenario.merged_into.items():
        if c in idx and t in idx:
            target[idx[c]] = idx[t]
    return closed, target


@dataclass(frozen=True)
class Evaluation:
    """Every figure of one scenario on one network. ``with_move`` updates incrementally."""

    net: Network
    scenario: Scenario
    ctx: CentreContext
    centre: dict[str, np.ndarray]
    tally: GroupTally
    baseline_total: float

    # -- tables --
    def group_arrays(self) -> dict[str, np.ndarray]:
        return {m.key: m.compute(self.tally, self.scenario) for m in GROUP_METRICS}

    def totals(self) -> dict[str, float]:
        """County totals, budget and rule-flag counts (keys in ``TOTAL_KEYS``), a fresh copy."""
        out = dict(self._totals)
        for key in ("flags", "lots_by_route", "lots_by_lead_type"):
            out[key] = dict(out[key])
        return out

    @cached_property
    def _totals(self) -> dict[str, float]:
        g = self.group_arrays()
        s = self.scenario
        total = float(g["lot_value"].sum())
        env = budget.envelope(self.baseline_total, s.budget)
        covered = float(self.net.children[self.ctx.assign >= 0].sum())
        beyond = rules.beyond_max_distance(self.ctx.distance_km, self.ctx.assign, s.rules)
        out = {
            "groups": int((self.tally.sums["centres"] > 0).sum()),
            "open_centres": int(self.ctx.is_open.sum()),
            "closed_centres": int((~self.ctx.is_open).sum()),
            "children": int(self.net.children.sum()),
            "children_covered": int(covered),
            "deprived_reach": round(g["deprived_reach"].sum()),
            "deprived_share": float(g["deprived_reach"].sum() / covered) if covered else 0.0,
            "weighted_reach": float(g["weighted_reach"].sum()),
            "budget_total": total,
            "baseline_total": float(self.baseline_total),
            "saving": float(self.baseline_total - total),
            "envelope": env,
            "envelope_gap": env - total,
            "children_further": round(self.centre["children_further"].sum()),
            "areas_beyond_max_distance": int(beyond.sum()),
            "children_beyond_max_distance": int(self.net.children[beyond].sum()),
        }
        cb = self.centre_breaks()
        gb = self.group_breaks(g)
        out["flags"] = {
            "centres_below_min_reach": int(cb["min_reach"].sum()) if "min_reach" in cb else 0,
            "groups_flagged": int(np.logical_or.reduce(list(gb.values())).sum()),
            "areas_in_gaps": out["areas_beyond_max_distance"],
            "over_envelope": int(s.rules.within_envelope and out["envelope_gap"] < -0.5),
        }
        table = self._groups_table
        out["lots_by_route"] = lots.counts_by_route(table)
        out["lots_by_lead_type"] = {t or "not_set": k for t, k in lots.counts_by_lead_type(table).items()}
        out["lots"] = sum(out["lots_by_route"].values())
        return out

    def totals_for_lots(self, lots: int) -> dict[str, float]:
        """The budget figures if the open centres were grouped into ``lots`` lots, all else unchanged
        (what a move does: reach areas, centre costs and the envelope stay):

            budget total(n) = budget total + management cost per lot * (n - lots now)
            envelope gap(n) = envelope - budget total(n)
        """
        t = self._totals
        total = t["budget_total"] + self.scenario.budget.management_per_lot * (int(lots) - t["lots"])
        return {"lots": int(lots), "budget_total": total, "envelope_gap": t["envelope"] - total}

    def centre_breaks(self) -> dict[str, np.ndarray]:
        return rules.centre_breaks(self.centre["reach"], self.ctx.is_open, self.scenario.rules)

    def group_breaks(self, g: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        g = self.group_arrays() if g is None else g
        phases = sum((self.tally.sums[f"phase_{p}"] > 0).astype(int) for p in (1, 2, 3))
        return rules.group_breaks(g, phases, self.scenario.rules)

    def budget_parts(self) -> budget.BudgetParts:
        """lots, base costs of the open centres, children covered and weighted reach (budget.BudgetParts)."""
        open_ = self.ctx.is_open
        return budget.BudgetParts(
            lots=int((self.tally.sums["open_centres"] > 0).sum()),
            base_costs=float(budget.base_cost_by_phase(self.net.phase, self.scenario.budget)[open_].sum()),
            children_covered=float(self.centre["reach"].sum()),
            weighted_reach=float(self.centre["weighted_reach"].sum()))

    def waterfall(self) -> list[tuple[str, float]]:
        """Steps from the baseline total to this total (budget.waterfall); they sum to minus the saving."""
        return budget.waterfall(baseline_parts(self.net, self.scenario), self.budget_parts(), self.scenario.budget)

    def breaches(self) -> pd.DataFrame:
        """Every broken rule, one row each: rule (key), rule_name, scope (centre/group/area/budget),
        subject (centre id, group label or area id), name, reason. Centres first, then groups, areas, budget."""
        s = self.scenario
        rows: list[tuple[str, str, str, str, str]] = []
        names = self.net.dataset.centres["name"].to_numpy()
        for key, mask in self.centre_breaks().items():
            for i in np.flatnonzero(mask):
                rows.append((key, "centre", self.net.centre_ids[i], str(names[i]),
                             rules.centre_reason(self.centre["reach"][i], s.rules)))
        g = self.group_arrays()
        labels = self.tally.labels
        for key, mask in self.group_breaks(g).items():
            for i in np.flatnonzero(mask):
                rows.append((key, "group", labels[i], labels[i], rules.group_reason(key, int(i), g, s.rules)))
        beyond = np.flatnonzero(rules.beyond_max_distance(self.ctx.distance_km, self.ctx.assign, s.rules))
        areas = self.net.dataset.areas
        for i in beyond:
            d = self.ctx.distance_km[i]
            reason = ("no open centre" if np.isnan(d) else
                      f"{d:.1f} km from its centre, over {s.rules.max_distance_km:g} km")
            rows.append(("max_distance", "area", str(areas["area_id"].iat[i]), str(areas["name"].iat[i]),
                         f"{int(self.net.children[i]):,} children, {reason}"))
        t = self._totals
        if t["flags"]["over_envelope"]:
            rows.append(("within_envelope", "budget", "total", "Budget total",
                         f"£{-t['envelope_gap']:,.0f} over the envelope of £{t['envelope']:,.0f}"))
        table = pd.DataFrame(rows, columns=["rule", "scope", "subject", "name", "reason"])
        table.insert(1, "rule_name", table["rule"].map(rules.RULE_NAMES))
        return table

    def centres_table(self) -> pd.DataFrame:
        """One row per centre: id, name, group, status and every centre figure (a fresh copy)."""
        return self._centres_table.copy()

    def groups_table(self) -> pd.DataFrame:
        """One row per non-empty group, natural order, with lot attributes and rule flags (a fresh copy)."""
        return self._groups_table.copy()

    @cached_property
    def _centres_table(self) -> pd.DataFrame:
        c = self.centre
        ids = list(self.net.centre_ids)
        s = self.scenario
        table = pd.DataFrame({
            "centre_id": ids,
            "name": self.net.dataset.centres["name"].to_numpy(),
            "group": [s.group_of[i] for i in ids],
            "status": ["merged" if i in s.merged_into else "closed" if i in s.closed else "open" for i in ids],
            "merged_into": [s.merged_into.get(i, "") for i in ids],
            "phase": self.net.dataset.centres["phase"].to_numpy(),
            "illustrative": self.net.dataset.centres["illustrative"].to_numpy(),
            "reach": c["reach"].round().astype(int), "deprived_reach": c["deprived_reach"].round().astype(int),
            "deprived_share": c["deprived_share"], "weighted_reach": c["weighted_reach"],
            "areas": c["areas"].astype(int), "mean_distance_km": c["mean_distance_km"],
            "max_distance_km": c["max_distance_km"], "children_further": c["children_further"].astype(int),
            "centre_cost": c["centre_cost"],
        })
        low = self.centre_breaks().get("min_reach", np.zeros(len(ids), bool))
        table["flags"] = [rules.centre_reason(r, s.rules) if f else "" for r, f in zip(c["reach"], low, strict=True)]
        return table

    @cached_property
    def _groups_table(self) -> pd.DataFrame:
        from lib.scenario import natural_key

        g = self.group_arrays()
        breaks = self.group_breaks(g)
        table = pd.DataFrame({"group": list(self.tally.labels), **g})
        table["flags"] = rules.group_reasons(g, breaks, self.scenario.rules)
        table = table[table["centres"] > 0].copy()
        for key in ("centres", "open_centres", "reach", "deprived_reach", "children_further"):
            table[key] = table[key].round().astype(int)
        members: dict[int, list[str]] = {}
        for name, code in zip(self.net.dataset.centres["name"], self.tally.code.tolist(), strict=True):
            members.setdefault(code, []).append(name)
        table["members"] = ["; ".join(members.get(i, [])) for i in table.index]
        table["route"] = [self.scenario.lot(x).route for x in table["group"]]
        table["lead_agency"] = [self.scenario.lot(x).lead_agency for x in table["group"]]
        table["lead_type"] = [self.scenario.lot(x).lead_type for x in table["group"]]
        present = np.stack([self.tally.sums[f"phase_{p}"][table.index] > 0 for p in (1, 2, 3)], axis=1)
        table["phases"] = [",".join(str(p + 1) for p in np.flatnonzero(row)) for row in present]
        labels = table["group"].tolist()
        order = sorted(range(len(labels)), key=lambda i: natural_key(labels[i]))
        return table.iloc[order].reset_index(drop=True)

    # -- incremental --
    def with_move(self, centre_ids: Iterable[str], group: str) -> Evaluation:
        """The evaluation after a group change (reach areas unchanged): touches two groups."""
        ids = list(dict.fromkeys(centre_ids))
        scenario = self.scenario.move(ids, group)
        idx = np.array([self.net.centre_index[c] for c in ids], dtype=np.int64)
        tally = self.tally.moved(idx, group, self.centre, self.net.centre_x, self.net.centre_y,
                                 self.ctx.is_open)
        return replace(self, scenario=scenario, ctx=replace(self.ctx, scenario=scenario), tally=tally)


def evaluate(net: Network, scenario: Scenario, baseline_total: float | None = None) -> Evaluation:
    """Reach areas, every centre and group figure, the budget and the rules for a scenario.

    ``baseline_total`` defaults to the total of the baseline (every centre its
    own lot, all open) under the same parameters.
    """
    missing = [c for c in net.centre_ids if c not in scenario.group_of]
    if missing:
        raise KeyError(f"scenario has no group for centre(s): {', '.join(missing[:5])}")
    closed, target = closure_arrays(net, scenario)
    assign = reach_areas(net, closed, target)
    ok = assign >= 0
    dist = np.full(len(assign), np.nan)
    dist[ok] = np.hypot(net.area_x[ok] - net.centre_x[assign[ok]], net.area_y[ok] - net.centre_y[assign[ok]]) / 1000
    ctx = CentreContext(net=net, scenario=scenario, assign=assign, distance_km=dist, is_open=~closed)
    figures = centre_figures(ctx)
    labels = tuple(scenario.groups())
    code_of = {g: i for i, g in enumerate(labels)}
    code = np.array([code_of[scenario.group_of[c]] for c in net.centre_ids], dtype=np.int64)
    tally = GroupTally.build(labels, code, figures, net.centre_x, net.centre_y, ctx.is_open)
    if baseline_total is None:
        baseline_total = baseline_budget_total(net, scenario)
    return Evaluation(net=net, scenario=scenario, ctx=ctx, centre=figures, tally=tally,
                      baseline_total=float(baseline_total))


def baseline_parts(net: Network, scenario: Scenario) -> budget.BudgetParts:
    """The baseline's budget parts: every centre its own lot and open, reach areas as in the data."""
    weights = np.asarray(scenario.deprivation.weights, float)[np.clip(net.decile, 1, 10) - 1]
    ok = net.base_assign >= 0
    return budget.BudgetParts(
        lots=net.n_centres,
        base_costs=float(budget.base_cost_by_phase(net.phase, scenario.budget).sum()),
        children_covered=float(net.children[ok].sum()),
        weighted_reach=float((net.children * weights)[ok].sum()))


def baseline_budget_total(net: Network, scenario: Scenario) -> float:
    """Budget total of the baseline: every centre its own lot, all open, same parameters.

        total = n * management + sum_c (base(phase_c) + rate * weighted reach_c)
    """
    return baseline_parts(net, scenario).total(scenario.budget)
