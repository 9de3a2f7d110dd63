"""Who travels further: the distance each area's children have to their centre, against the baseline.

For an area a with children n(a), baseline centre b(a) at d_b(a) km and scenario centre s(a) at d_s(a) km
(straight line from the area's population-weighted centroid; d_s = inf when no centre is open):

    extra km(a)               = max(0, d_s(a) - d_b(a))
    children further away     = sum of n(a) over areas with extra km(a) > 0
    extra child-km            = sum of n(a) * extra km(a)
    children beyond X km      = sum of n(a) over areas with d_s(a) > X   (X: the distance rule, else 15 km)
    mean extra km (affected)  = extra child-km / children further away
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.metrics import Evaluation

DEFAULT_LIMIT_KM = 15.0
TOLERANCE_KM = 1e-6  # below this, a change of distance is rounding, not travel
EXTRA_CLASSES_KM = (0.0, 2.0, 5.0, 10.0)  # map classes: none, up to 2, 2-5, 5-10, over 10 km more


def limit_km(ev: Evaluation) -> float:
    """X of 'children more than X km from an open centre': the distance rule's, else 15 km."""
    x = ev.scenario.rules.max_distance_km
    return float(x) if x is not None else DEFAULT_LIMIT_KM


def scenario_km(ev: Evaluation) -> np.ndarray:
    """Distance from each area to its scenario centre (inf where no centre is open)."""
    return np.where(ev.ctx.assign >= 0, np.nan_to_num(ev.ctx.distance_km, nan=np.inf), np.inf)


def extra_km(ev: Evaluation) -> np.ndarray:
    """max(0, scenario distance - baseline distance) per area (inf where no centre is open)."""
    extra = scenario_km(ev) - ev.net.base_distance_km
    return np.where(extra > TOLERANCE_KM, extra, 0.0)


@dataclass(frozen=True)
class TravelSummary:
    limit_km: float
    children_beyond: int
    children_beyond_baseline: int
    children_further: int
    extra_child_km: float
    areas_further: int

    @property
    def mean_extra_km(self) -> float:
        return self.extra_child_km / self.children_further if self.children_further else 0.0

    def describe(self) -> str:
        """'3,484 children more than 15 km from an open centre (0 in the baseline); 25,914 children travel
        further, 4.2 km more on average.'"""
        x = f"{self.limit_km:g}"
        text = (f"{self.children_beyond:,} {_children(self.children_beyond)} more than {x} km from an open centre "
                f"({self.children_beyond_baseline:,} in the baseline)")
        if not self.children_further:
            return text + "; no child has further to travel than in the baseline."
        if not np.isfinite(self.extra_child_km):
            return text + f"; {self.children_further:,} {_children(self.children_further)} have no open centre."
        return (text + f"; {self.children_further:,} {_children(self.children_further)} travel further, "
                f"{self.mean_extra_km:.1f} km more on average.")


def _children(n: int) -> str:
    return "child" if n == 1 else "children"


def summary(ev: Evaluation) -> TravelSummary:
    children = ev.net.children.astype(float)
    extra = extra_km(ev)
    further = extra > 0
    x = limit_km(ev)
    return TravelSummary(
        limit_km=x,
        children_beyond=int(children[scenario_km(ev) > x].sum()),
        children_beyond_baseline=int(children[ev.net.base_distance_km > x].sum()),
        children_further=int(children[further].sum()),
        extra_child_km=float((children * extra)[further].sum()),
        areas_further=int(further.sum()),
    )


def affected_areas(ev: Evaluation) -> pd.DataFrame:
    """The areas whose children travel further: area, children, baseline and scenario centre, both
    distances and the extra km; most child-km first."""
    extra = extra_km(ev)
    rows = np.flatnonzero(extra > 0)
    areas = ev.net.dataset.areas
    names = ev.net.dataset.centres["name"].to_numpy(dtype=object)
    base = ev.net.base_assign[rows]
    new = ev.ctx.assign[rows]
    new_km = scenario_km(ev)[rows]
    children = ev.net.children[rows].astype(int)
    table = pd.DataFrame({
        "Area code": areas["area_id"].to_numpy()[rows], "Area": areas["name"].to_numpy()[rows],
        "Children 0-4 (children)": children,
        "Baseline centre": names[base],
        "Scenario centre": np.where(new >= 0, names[np.clip(new, 0, None)], "no open centre"),
        "Baseline distance (km)": np.round(ev.net.base_distance_km[rows], 2),
        "Scenario distance (km)": np.where(np.isfinite(new_km), np.round(new_km, 2), np.nan),
        "Extra distance (km)": np.where(np.isfinite(extra[rows]), np.round(extra[rows], 2), np.nan),
    })
    weight = children * np.nan_to_num(extra[rows], posinf=1e9)
    return table.iloc[np.argsort(-weight, kind="stable")].reset_index(drop=True)


def extra_class(extra: np.ndarray) -> np.ndarray:
    """0 = no further, 1 = up to 2 km more, 2 = 2-5, 3 = 5-10, 4 = over 10 km more (or no open centre)."""
    return np.where(extra <= 0, 0, np.searchsorted(np.asarray(EXTRA_CLASSES_KM), extra, side="left"))
