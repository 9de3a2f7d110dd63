"""Starting-point scenarios shipped with a dataset, each clearly labelled as an example.

- Baseline: every centre its own lot.
- District clusters: centres grouped within each district (Norfolk's cluster model first proposed this).
- Groups of 2-4 neighbours (Hertfordshire style): nearest-neighbour chaining within each district.
- 2019 review (Norfolk only): 15 bases kept (two per district, three in Norwich), the rest closed,
  budget cut from GBP 10.2m to 5.2m. ``status_2019`` names 9 bases; the other 6 are assumed.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from lib.catchment import Network
from lib.scenario import BudgetParameters, Scenario

BASES_PER_DISTRICT = {"Norwich": 3}  # every other district: 2
DEFAULT_BASES = 2
NORFOLK_CUT_2019 = round(100 * (1 - 5.2 / 10.2), 1)  # GBP 10.2m -> 5.2m
ILLUSTRATIVE_NAME = "Illustrative centre"  # names of the centres that complete the default network
STOP_WORDS = {"and", "of", "the", "upon", "on"}


def district_code(name: str) -> str:
    """A short label: initials of a multi-word name (KLWN), else the first three letters (BRE)."""
    words = [w for w in re.split(r"[\s\-]+", name) if w and w.lower() not in STOP_WORDS]
    if len(words) > 1:
        return "".join(w[0] for w in words).upper()
    return name[:3].upper() if name else "?"


def centre_districts(net: Network) -> pd.Series:
    """District of each centre: the data's own, else the district of its nearest area."""
    centres = net.dataset.centres
    if "district" in centres and centres["district"].astype(str).str.len().gt(0).all():
        return centres["district"].astype(str).reset_index(drop=True)
    areas = net.dataset.areas
    if "district" not in areas:
        return pd.Series(["County"] * net.n_centres)
    from scipy.spatial import cKDTree

    _, idx = cKDTree(np.c_[areas["x"], areas["y"]]).query(np.c_[net.centre_x, net.centre_y])
    return areas["district"].iloc[idx].reset_index(drop=True)


def _district_labels(districts: pd.Series) -> dict[str, str]:
    labels: dict[str, str] = {}
    for d in sorted(districts.unique()):
        code, n = district_code(d), 2
        while code in labels.values():
            code, n = f"{district_code(d)}{n}", n + 1
        labels[d] = code
    return labels


def district_clusters(net: Network) -> Scenario:
    """Example: one group per district (label = district initials)."""
    districts = centre_districts(net)
    labels = _district_labels(districts)
    key = ", ".join(f"{v} = {k}" for k, v in labels.items())
    return Scenario(name="Example: district clusters",
                    group_of={c: labels[d] for c, d in zip(net.centre_ids, districts, strict=True)},
                    notes=f"Example. Centres grouped within each district ({key}).")


def neighbour_groups(net: Network, size: int = 3, max_size: int = 4) -> Scenario:
    """Example (Hertfordshire style): groups of 2-4 neighbouring centres within each district.

    Rule: in each district, start from the westernmost ungrouped centre and add its nearest
    ungrouped neighbours until the group has ``size`` centres; a single leftover centre
    joins its nearest group that has fewer than ``max_size``.
    """
    districts = centre_districts(net)
    codes = _district_labels(districts)
    group_of: dict[str, str] = {}
    x, y = net.centre_x, net.centre_y
    for d in sorted(districts.unique()):
        left = [i for i in np.flatnonzero((districts == d).to_numpy())]
        groups: list[list[int]] = []
        while left:
            seed = min(left, key=lambda i: (x[i], i))
            near = sorted(left, key=lambda i: (np.hypot(x[i] - x[seed], y[i] - y[seed]), i))
            take = near[:size]
            if len(left) - len(take) == 1 and size < max_size:
                take = near[:size + 1]
            groups.append(take)
            left = [i for i in left if i not in take]
        if len(groups) > 1 and len(groups[-1]) == 1:
            lone = groups.pop()[0]
            open_groups = [g for g in groups if len(g) < max_size] or groups
            best = min(open_groups, key=lambda g: min(np.hypot(x[i] - x[lone], y[i] - y[lone]) for i in g))
            best.append(lone)
        for k, members in enumerate(groups, start=1):
            for i in members:
                group_of[net.centre_ids[i]] = f"{codes[d]}{k}"
    return Scenario(name="Example: groups of 2-4 neighbours",
                    group_of={c: group_of[c] for c in net.centre_ids},
                    notes="Example (Hertfordshire style). Groups of 2-4 neighbouring centres within each district, "
                          "built by nearest-neighbour chaining from the west.")


def review_2019(net: Network, baseline_reach: np.ndarray) -> tuple[Scenario, pd.DataFrame]:
    """Example: Norfolk's 2019 review, and a table saying which bases are known and which assumed.

    Known bases: ``status_2019 == 'base'``. The rest of each district's quota (two, three in
    Norwich) is assumed: real centres (not an "Illustrative centre N" completing the network)
    not recorded as de-designated, highest baseline reach first. Every other centre is closed; groups are districts.
    """
    centres = net.dataset.centres.reset_index(drop=True)
    if "status_2019" not in centres:
        raise ValueError("the 2019 review example needs the Norfolk default's status_2019 column")
    districts = centre_districts(net)
    labels = _district_labels(districts)
    status = centres["status_2019"].astype(str)
    rows = []
    for d in sorted(districts.unique()):
        in_d = (districts == d).to_numpy()
        known = np.flatnonzero(in_d & (status == "base").to_numpy())
        quota = BASES_PER_DISTRICT.get(d, DEFAULT_BASES)
        candidates = np.flatnonzero(in_d & (status != "base").to_numpy() & (status != "de-designated").to_numpy()
                                    & ~centres["name"].str.startswith(ILLUSTRATIVE_NAME).to_numpy(bool))
        candidates = sorted(candidates, key=lambda i: (-baseline_reach[i], i))
        assumed = candidates[: max(0, quota - len(known))]
        rows += [{"centre_id": net.centre_ids[i], "name": centres["name"][i], "district": d, "basis": "known"}
                 for i in known]
        rows += [{"centre_id": net.centre_ids[i], "name": centres["name"][i], "district": d,
                  "basis": "assumed (highest reach not recorded as de-designated)"} for i in assumed]
    bases = pd.DataFrame(rows)
    kept = set(bases["centre_id"])
    scenario = Scenario(
        name="Example: 2019 review (15 bases)",
        group_of={c: labels[d] for c, d in zip(net.centre_ids, districts, strict=True)},
        closed=frozenset(c for c in net.centre_ids if c not in kept),
        budget=replace(BudgetParameters(), cut_percent=NORFOLK_CUT_2019),
        notes=(f"Example. Norfolk's January 2019 decision kept 15 bases and closed the rest; budget cut from "
               f"GBP 10.2m to 5.2m (cut {NORFOLK_CUT_2019}%). Known bases ({(bases['basis'] == 'known').sum()}): "
               + "; ".join(bases.loc[bases['basis'] == 'known', 'name'])
               + ". Assumed bases: " + "; ".join(bases.loc[bases['basis'] != 'known', 'name']) + "."),
    )
    return scenario, bases


def starting_points(net: Network, baseline_reach: np.ndarray) -> list[Scenario]:
    """The examples for a dataset (the 2019 review only where the data records 2019 statuses)."""
    out = [Scenario.baseline(net.centre_ids, name="Example: baseline (every centre its own lot)"),
           district_clusters(net), neighbour_groups(net)]
    if "status_2019" in net.dataset.centres:
        out.append(review_2019(net, baseline_reach)[0])
    return out
