"""Lots: the groups with at least one open centre, counted by procurement route and lead agency type.

A group whose centres are all closed or merged is not a lot (it has nothing to commission), so
closed centres never count in a lot.

    lots                 = number of groups with open centres > 0
    lots by route        = that number, per procurement route (tender, application, in-house, undecided)
    lots by lead type    = that number, per lead agency type ("" = not set)
"""

from __future__ import annotations

import pandas as pd

from lib.scenario import LEAD_TYPE_LABELS, LEAD_TYPES, LOT_ROUTES, ROUTE_LABELS

SHORT_ROUTE = {"tender": "tender", "application": "application", "in-house": "in-house",
               "undecided": "not decided"}


def lot_rows(groups: pd.DataFrame) -> pd.DataFrame:
    """The rows of a groups table that are lots (at least one open centre)."""
    return groups[groups["open_centres"] > 0]


def counts_by_route(groups: pd.DataFrame) -> dict[str, int]:
    """Lots per procurement route, every route present (0 if none), in ``LOT_ROUTES`` order."""
    counts = lot_rows(groups)["route"].value_counts()
    return {r: int(counts.get(r, 0)) for r in LOT_ROUTES}


def counts_by_lead_type(groups: pd.DataFrame) -> dict[str, int]:
    """Lots per lead agency type ("" = not set), in ``LEAD_TYPES`` order."""
    counts = lot_rows(groups)["lead_type"].value_counts()
    return {t: int(counts.get(t, 0)) for t in LEAD_TYPES}


def describe_routes(groups: pd.DataFrame) -> str:
    """'36 lots: 26 tender, 10 application' (routes with no lot left out)."""
    by_route = counts_by_route(groups)
    n = sum(by_route.values())
    parts = [f"{k} {SHORT_ROUTE[r]}" for r, k in by_route.items() if k]
    return f"{n} lot{'' if n == 1 else 's'}" + (": " + ", ".join(parts) if parts else "")


def describe_lead_types(groups: pd.DataFrame) -> str:
    """'Lead agencies: 20 voluntary sector, 6 school, 10 not set'."""
    by_type = counts_by_lead_type(groups)
    parts = [f"{k} {LEAD_TYPE_LABELS[t]}" for t, k in by_type.items() if k and t]
    if by_type[""]:
        parts.append(f"{by_type['']} not set")
    return "Lead agencies: " + ", ".join(parts) if parts else "Lead agencies: none"


def route_label(route: str) -> str:
    return ROUTE_LABELS.get(route, route)
