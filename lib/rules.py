"""Rules: thresholds, the flags they raise (vectorised masks) and plain-English reasons.

- reach per open centre >= min_reach (per centre, and per group as reach / open centres)
- group size (open centres) within [group_min, group_max]
- group span <= max_span_km
- every area within max_distance_km of its open centre (no gaps)
- total within the envelope
- optionally: each group mixes phases (at least two known phases among its open centres)
"""

from __future__ import annotations

import numpy as np

from lib.scenario import Rules


def beyond_max_distance(distance_km: np.ndarray, assign: np.ndarray, rules: Rules) -> np.ndarray:
    """Areas in a gap: no open centre, or further than ``max_distance_km`` from theirs."""
    gap = assign < 0
    if rules.max_distance_km is not None:
        gap |= np.nan_to_num(distance_km, nan=np.inf) > rules.max_distance_km
    return gap


def centre_breaks(reach: np.ndarray, is_open: np.ndarray, rules: Rules) -> dict[str, np.ndarray]:
    """Masks over centres, one per broken rule."""
    out = {}
    if rules.min_reach is not None:
        out["min_reach"] = is_open & (reach < rules.min_reach)
    return out


def group_breaks(g: dict[str, np.ndarray], phases_present: np.ndarray, rules: Rules) -> dict[str, np.ndarray]:
    """Masks over lots (groups with an open centre), one per broken rule. A group whose centres are all
    closed or merged is not a lot: it is never flagged.

    ``g`` holds the group arrays (``centres``, ``open_centres``, ``reach_per_centre``,
    ``span_km``); ``phases_present`` is the number of distinct known phases.
    """
    n = g["open_centres"]
    lot = n > 0
    out = {}
    if rules.min_reach is not None:
        out["min_reach"] = lot & (g["reach_per_centre"] < rules.min_reach)
    if rules.group_min is not None:
        out["group_min"] = lot & (n < rules.group_min)
    if rules.group_max is not None:
        out["group_max"] = lot & (n > rules.group_max)
    if rules.max_span_km is not None:
        out["max_span"] = lot & (g["span_km"] > rules.max_span_km)
    if rules.mixed_phases:
        out["mixed_phases"] = lot & (n > 1) & (phases_present < 2)
    return out


def centre_reason(reach: float, rules: Rules) -> str:
    return f"reach {reach:,.0f} below {rules.min_reach:,.0f}"


RULE_NAMES = {
    "min_reach": "Reach per open centre",
    "group_min": "Group size: at least", "group_max": "Group size: at most", "max_span": "Group span",
    "mixed_phases": "Each group mixes phases", "max_distance": "Every area near an open centre",
    "within_envelope": "Total within the envelope",
}


def group_reason(key: str, i: int, g: dict[str, np.ndarray], rules: Rules) -> str:
    """Why group ``i`` breaks rule ``key``, e.g. 'span 52.3 km over 40 km'."""
    n = round(float(g["open_centres"][i]))
    if key == "min_reach":
        return f"reach per centre {g['reach_per_centre'][i]:,.0f} below {rules.min_reach or 0:,.0f}"
    if key == "group_min":
        return f"{n} centre{'' if n == 1 else 's'}, fewer than {rules.group_min}"
    if key == "group_max":
        return f"{n} centres, more than {rules.group_max}"
    if key == "max_span":
        return f"span {g['span_km'][i]:.1f} km over {rules.max_span_km or 0:g} km"
    return "phases not mixed"


def group_reasons(g: dict[str, np.ndarray], breaks: dict[str, np.ndarray], rules: Rules) -> list[str]:
    """Per group, the reasons it is flagged, e.g. 'span 52.3 km over 40 km; 5 centres, more than 4'."""
    reasons: list[list[str]] = [[] for _ in range(len(g["open_centres"]))]
    for key, mask in breaks.items():
        for i in np.flatnonzero(mask):
            reasons[i].append(group_reason(key, int(i), g, rules))
    return ["; ".join(r) for r in reasons]
