"""The budget model (DESIGN.md).

    centre cost(c) = base cost by phase(c) + rate per weighted child * weighted reach(c)   (open centres; 0 if closed)
    lot value(g)   = management cost per lot [if g has an open centre] + sum of centre costs in g
    total          = sum of lot values
    saving         = baseline total - scenario total
    envelope       = envelope amount, or baseline total * (1 - cut % / 100)
    envelope gap   = envelope - total   (negative: over the envelope)

The waterfall from the baseline total B to the scenario total S (each step exact, so they sum to S - B):

    fewer lots        = management per lot * (lots_S - lots_B)
    closed centres    = sum of base cost by phase over open centres_S - over all centres (B: all open)
    changed reach     = rate * (children covered_S - children covered_B)
    weighting         = rate * ((weighted reach_S - weighted reach_B) - (children covered_S - children covered_B))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.scenario import BudgetParameters


def base_cost_by_phase(phase: np.ndarray, params: BudgetParameters) -> np.ndarray:
    """Base cost per centre from its phase (0 = unknown)."""
    table = np.array([params.base_cost_phase_unknown, params.base_cost_phase_1,
                      params.base_cost_phase_2, params.base_cost_phase_3])
    return table[np.clip(phase, 0, 3)]


def centre_cost(phase: np.ndarray, weighted_reach: np.ndarray, is_open: np.ndarray,
                params: BudgetParameters) -> np.ndarray:
    """base cost by phase + rate * weighted reach, for open centres; 0 for closed ones."""
    cost = base_cost_by_phase(phase, params) + params.rate_per_weighted_child * weighted_reach
    return np.where(is_open, cost, 0.0)


def lot_value(open_centres: np.ndarray, sum_centre_cost: np.ndarray, params: BudgetParameters) -> np.ndarray:
    """management cost per lot (if the lot has an open centre) + its centres' costs."""
    return np.where(open_centres > 0, params.management_per_lot, 0.0) + sum_centre_cost


def envelope(baseline_total: float, params: BudgetParameters) -> float:
    """The amount available: the set amount, or the baseline after the grant cut."""
    if params.envelope_amount is not None:
        return float(params.envelope_amount)
    return float(baseline_total) * (1.0 - params.cut_percent / 100.0)


@dataclass(frozen=True)
class BudgetParts:
    """The parts a budget total is made of: total = lots * management + base costs + rate * weighted reach."""

    lots: int
    base_costs: float
    children_covered: float
    weighted_reach: float

    def total(self, params: BudgetParameters) -> float:
        return self.lots * params.management_per_lot + self.base_costs + params.rate_per_weighted_child * \
            self.weighted_reach


WATERFALL_STEPS = ("Fewer lots (management)", "Closed centres (base costs)", "Changed reach",
                   "Deprivation weighting")


def waterfall(baseline: BudgetParts, scenario: BudgetParts, params: BudgetParameters) -> list[tuple[str, float]]:
    """The steps from the baseline total to the scenario total (see the module docstring); they sum to
    ``scenario.total - baseline.total`` (a negative step is a saving)."""
    rate = params.rate_per_weighted_child
    d_children = scenario.children_covered - baseline.children_covered
    amounts = (params.management_per_lot * (scenario.lots - baseline.lots),
               scenario.base_costs - baseline.base_costs,
               rate * d_children,
               rate * ((scenario.weighted_reach - baseline.weighted_reach) - d_children))
    return list(zip(WATERFALL_STEPS, (float(a) for a in amounts), strict=True))


def describe_gap(gap: float) -> str:
    """'£412k over the envelope', '£95k headroom', '£630 headroom', 'exactly on the envelope'
    (gap = envelope - total; pounds below £10k, thousands below £1m, then millions)."""
    amount = abs(gap)
    if amount < 0.5:
        return "exactly on the envelope"
    text = (f"£{amount:,.0f}" if amount < 1e4 else f"£{amount / 1e3:,.0f}k" if amount < 1e6
            else f"£{amount / 1e6:,.2f}m")
    return f"{text} headroom" if gap > 0 else f"{text} over the envelope"


def money(x: float) -> str:
    """£10.13m for large amounts, £40,000 for small; a minus sign (−) before the pound sign."""
    sign = "−" if x < -0.5 else ""
    x = abs(x)
    return sign + (f"£{x / 1e6:,.2f}m" if x >= 1e5 else f"£{x:,.0f}")
