"""The budget model (DESIGN.md).

    centre cost(c) = base cost by phase(c) + rate per weighted child * weighted reach(c)   (open centres; 0 if closed)
    lot value(g)   = management cost per lot [if g has an open centre] + sum of centre costs in g
    total          = sum of lot values
    saving         = baseline total - scenario total
    envelope       = envelope amount, or baseline total * (1 - cut % / 100)
    envelope gap   = envelope - total   (negative: over the envelope)
"""

from __future__ import annotations

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
