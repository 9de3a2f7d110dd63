"""Starting-point scenarios shipped with a dataset, each clearly labelled as an example.

- Baseline: every centre its own lot.
- District clusters: centres grouped within each district (Norfolk's cluster model first proposed this).
- Groups of 2-4 neighbours (Hertfordshire style): nearest-neighbour chaining within each district.
- 2019 review (Norfolk only): 15 bases kept (two per district, three in Norwich), the rest closed,
  budget cut from GBP 10.2m to 5.2m. The 15 bases are the centres still open in 2025, each matched
  to its record in the DfE register (``status_2019 == "base"``); were fewer recorded, the rest of a
  district's quota would be assumed (highest reach) and the notes would say so.
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


def neighbour_groups(net: Network, size: int = 3, max_size: int = 4, districts: pd.Series | None = None,
                     name: str = "Example: groups of 2-4 neighbours", notes: str | None = None,
                     labels: bool = True) -> Scenario:
    """Example (Hertfordshire style): groups of 2-4 neighbouring centres within each district.

    Rule: in each district, start from the westernmost ungrouped centre and add its nearest
    ungrouped neighbours until the group has ``size`` centres; a single leftover centre
    joins its nearest group that has fewer than ``max_size``. ``districts``: the district of each
    centre (default :func:`centre_districts`); groups are labelled by district code (``labels``: its
    initials, else the district as given) and number.
    """
    districts = centre_districts(net) if districts is None else districts.reset_index(drop=True)
    codes = _district_labels(districts) if labels else {d: d for d in districts.unique()}
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
    return Scenario(name=name, group_of={c: group_of[c] for c in net.centre_ids},
                    notes=notes or "Example (Hertfordshire style). Groups of 2-4 neighbouring centres within each "
                                   "district, built by nearest-neighbour chaining from the west.")


HERTS_CODE = r"^(3R|[A-Z]{1,2})\d+\b"  # Hertfordshire family centre codes: SA7, EH3, 3R2 ... (district letters)


def council_examples(net: Network) -> list[Scenario]:
    """Starting points of the seed councils, on their real 2025 networks (``lib.register``): what is real
    (the centres) and what is a reconstruction (the grouping) is said in each one's notes."""
    name = net.dataset.name
    centres = net.dataset.centres
    if "kind" not in centres or ": " not in name or "open in 2025" not in name:
        return []
    council = name.split(": ")[0]
    if council == "Hertfordshire":
        codes = centres["name"].astype(str).str.extract(HERTS_CODE)[0]
        if codes.isna().any():
            return []
        return [neighbour_groups(
            net, districts=codes, labels=False, name="Example: Hertfordshire 2015, groups of 2-4 within each district",
            notes="Example. Real: Hertfordshire's 81 family centres open in 2025 (DfE register); their codes give "
                  "the district (B, D, EH, H, NH, S, SA, 3R, W, WH). Reconstruction: the groups of 2-4 within each "
                  "district (as decided in 2015), built by nearest-neighbour chaining from the west, not the "
                  "actual 2015 groups.")]
    if council == "Nottinghamshire":
        return [Scenario(name="Example: Nottinghamshire 2013, one county-wide consortium contract",
                         group_of=dict.fromkeys(net.centre_ids, "NOTTS"),
                         notes="Example. Real: Nottinghamshire's children's centres open in 2025 (DfE register). "
                               "Reconstruction: all of them in one lot, the single consortium contract of 2013.")]
    if council == "Knowsley":
        return [neighbour_groups(
            net, districts=pd.Series(["KN"] * net.n_centres), labels=False,
            name="Example: Knowsley, groups of neighbouring centres",
            notes="Example. Real: Knowsley's 10 centres open in 2025 (DfE register). Reconstruction: groups of 2-4 "
                  "neighbouring centres; Knowsley co-produced its actual plans with the voluntary sector.")]
    return []


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
        notes=_review_notes(bases),
    )
    return scenario, bases


def _review_notes(bases: pd.DataFrame) -> str:
    known = bases.loc[bases["basis"] == "known", "name"]
    assumed = bases.loc[bases["basis"] != "known", "name"]
    text = (f"Example. Norfolk's January 2019 decision kept 15 bases and closed the rest; budget cut from GBP 10.2m "
            f"to 5.2m (cut {NORFOLK_CUT_2019}%). The {len(known)} bases are the centres still open in 2025, each "
            "matched to its record in the DfE register of children's centres and placed at its postcode: "
            + "; ".join(known) + ".")
    if len(assumed):
        text += " Assumed bases (not in the register; highest reach not recorded as de-designated): " \
                + "; ".join(assumed) + "."
    return text


def starting_points(net: Network, baseline_reach: np.ndarray) -> list[Scenario]:
    """The examples for a dataset (the 2019 review only where the data records 2019 statuses)."""
    out = [Scenario.baseline(net.centre_ids, name="Example: baseline (every centre its own lot)"),
           district_clusters(net), neighbour_groups(net)]
    if "status_2019" in net.dataset.centres:
        out.append(review_2019(net, baseline_reach)[0])
    return out + council_examples(net)
