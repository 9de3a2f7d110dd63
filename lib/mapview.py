"""What the map draws for an evaluation: centre markers, group badges, area shading, legend.

Pure data (lists and dicts of plain values) so the page only hands it to the map component.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib import palette, travel
from lib.metrics import Evaluation
from lib.scenario import Scenario

SHADINGS = ("group", "travel", "deprivation", "children")
SHADING_LABELS = {"group": "Groups", "travel": "Extra travel", "deprivation": "Deprivation", "children": "Children"}
# extra km against the baseline: none, up to 2, 2-5, 5-10, over 10 km (sequential yellow-orange-brown, CVD-safe)
TRAVEL_COLOURS = ("#f7f7f7", "#fee391", "#fec44f", "#ec7014", "#8c2d04")
TRAVEL_LABELS = ("no further than in the baseline", "up to 2 km further", "2-5 km further", "5-10 km further",
                 "over 10 km further (or no open centre)")


def centre_markers(ev: Evaluation, colours: dict[str, str], group_notes: dict[str, list[str]] | None = None
                   ) -> list[dict]:
    """One marker per centre: id, name, group, colour, position, status, reach, deprived share, the rule it
    or its group breaks (``flag``), and the consultation notes about its group (``group_notes``)."""
    group_notes = group_notes or {}
    table = ev.centres_table()
    centres = ev.net.dataset.centres
    group_flags = ev.groups_table().set_index("group")["flags"].to_dict()
    flags = [f or (f"group {g}: {group_flags[g]}" if group_flags.get(g) else "")
             for f, g in zip(table["flags"].tolist(), table["group"].tolist(), strict=True)]
    return [
        {"id": cid, "name": name, "group": group, "label": group,
         "colour": palette.CLOSED_COLOUR if status != "open" else colours[group],
         "lat": float(lat), "lon": float(lon), "status": status, "illustrative": bool(ill),
         "reach": int(reach), "deprived_share": round(float(share), 3), "notes": group_notes.get(group, []),
         "flag": flag if status == "open" else "", "details": details}
        for cid, name, group, status, ill, reach, share, lat, lon, flag, details in zip(
            *(table[c].tolist() for c in ("centre_id", "name", "group", "status", "illustrative", "reach",
                                          "deprived_share")),
            centres["lat"].tolist(), centres["lon"].tolist(), flags, centre_details(centres), strict=True)
    ]


def centre_details(centres) -> list[list[str]]:
    """Per centre, the lines a tooltip adds: its kind, its address and postcode, and what its location is
    ("location: postcode (a unit-postcode point, not the building)")."""
    n = len(centres)
    kind = centres["kind"].astype(str).tolist() if "kind" in centres else [""] * n
    address = centres["address"].astype(str).tolist() if "address" in centres else [""] * n
    postcode = centres["postcode"].astype(str).tolist() if "postcode" in centres else [""] * n
    quality = centres["location_quality"].astype(str).tolist() if "location_quality" in centres else [""] * n
    out = []
    for k, a, p, q in zip(kind, address, postcode, quality, strict=True):
        lines = [k] if k else []
        where = ", ".join(x for x in (a, p) if x and x != "nan")
        if where:
            lines.append(where)
        if q:
            lines.append("location: " + LOCATION_WORDS.get(q, q))
        out.append(lines)
    return out


LOCATION_WORDS = {"postcode": "postcode (a unit-postcode point, not the building)",
                  "terminated postcode": "terminated postcode (its LSOA's centroid)"}


def group_badges(ev: Evaluation, colours: dict[str, str]) -> list[dict]:
    """One badge per group of two or more centres, at the mean position of its centres (open ones if any).

    A group of one needs no badge: its marker carries the label.
    """
    centres = ev.net.dataset.centres
    code = ev.tally.code
    is_open = ev.ctx.is_open
    badges = []
    for k, label in enumerate(ev.tally.labels):
        members = code == k
        if members.sum() < 2:
            continue
        use = members & is_open if (members & is_open).any() else members
        badges.append({"label": label, "colour": colours[label], "text_colour": palette.text_colour(colours[label]),
                       "lat": float(centres["lat"][use].mean()), "lon": float(centres["lon"][use].mean())})
    return badges


def area_shading(ev: Evaluation, shading: str, colours: dict[str, str]) -> tuple[dict[str, str], list[dict]]:
    """Fill colour per area id for the chosen shading, and its legend entries."""
    area_ids = ev.net.dataset.areas["area_id"].to_numpy()
    if shading == "deprivation":
        fill = np.asarray(palette.DECILE_COLOURS)[np.clip(ev.net.decile, 1, 10) - 1]
        legend = [{"colour": palette.DECILE_COLOURS[d - 1],
                   "label": f"decile {d}" + (" (most deprived)" if d == 1 else " (least)" if d == 10 else "")}
                  for d in range(1, 11)]
    elif shading == "travel":
        cls = travel.extra_class(travel.extra_km(ev))
        fill = np.asarray(TRAVEL_COLOURS)[cls]
        counts = np.bincount(cls, weights=ev.net.children, minlength=len(TRAVEL_COLOURS))
        legend = [{"colour": c, "label": f"{label} ({round(n):,} children)"}
                  for c, label, n in zip(TRAVEL_COLOURS, TRAVEL_LABELS, counts, strict=True)]
    elif shading == "children":
        cls, labels = palette.children_classes(ev.net.children)
        fill = np.asarray(palette.CHILDREN_COLOURS)[cls]
        legend = [{"colour": palette.CHILDREN_COLOURS[i], "label": f"{lab} children"} for i, lab in enumerate(labels)]
    else:
        labels = np.asarray(ev.tally.labels)[ev.tally.code]  # group of each centre
        assign = ev.ctx.assign
        fill = np.where(assign >= 0, [colours[g] for g in labels[np.maximum(assign, 0)]], "#ffffff")
        legend = [{"colour": "#ffffff", "label": "no open centre"}] if (assign < 0).any() else []
        legend.append({"colour": "#cccccc", "label": "area colour = its group; label on each marker"})
    return dict(zip(area_ids.tolist(), fill.tolist(), strict=True)), legend


def location_summary(centres: pd.DataFrame) -> str:
    """How the centres are located, counted, e.g. '32 approximate, 22 illustrative' or '7 postcode, 1 terminated
    postcode' (from the first words of ``location_quality``)."""
    kinds = centres["location_quality"].astype(str).str.split(":").str[0].str.strip().replace("", "as supplied")
    kinds = kinds.where(~centres["illustrative"].astype(bool), "illustrative")
    return ", ".join(f"{n} {kind}" for kind, n in kinds.value_counts().items())


def bounds(ev: Evaluation) -> list[list[float]]:
    """[[south, west], [north, east]] of the areas."""
    areas = ev.net.dataset.areas
    return [[float(areas["lat"].min()), float(areas["lon"].min())],
            [float(areas["lat"].max()), float(areas["lon"].max())]]


def district_bounds(areas: pd.DataFrame, margin_deg: float = 0.02) -> dict[str, list[list[float]]]:
    """``{district: [[south, west], [north, east]]}``: the extent of each district's area centroids, widened
    by ``margin_deg`` on every side (the edge areas' own polygons reach past their centroids), districts in
    name order; ``{}`` when the areas have no district."""
    if "district" not in areas or areas["district"].isna().all():
        return {}
    box = areas.dropna(subset=["district"]).groupby("district", sort=True).agg(
        south=("lat", "min"), west=("lon", "min"), north=("lat", "max"), east=("lon", "max"))
    return {str(d): [[float(r.south - margin_deg), float(r.west - margin_deg)],
                     [float(r.north + margin_deg), float(r.east + margin_deg)]] for d, r in box.iterrows()}


FOCUS_COLOUR = "#d62728"  # an area in a breach, when the officer asks to see it
FOCUS_MARGIN_DEG = 0.04  # about 3-4 km around what is shown


def breach_focus(ev: Evaluation, scope: str, subject: str) -> dict:
    """What the map shows for one breach (a row of ``Evaluation.breaches``):
    ``{"group": group to highlight or None, "bounds": [[s, w], [n, e]], "areas": {area_id: colour}}``.

    - a centre: its group, framed around the centre;
    - a group: the group, framed around its centres;
    - an area: the area in red and the group of its centre (if any), framed around both;
    - the budget: nothing highlighted, the whole county.
    """
    centres = ev.net.dataset.centres
    sc = ev.scenario
    lats: list[float] = []
    lons: list[float] = []
    group = None
    areas: dict[str, str] = {}
    if scope == "centre" and subject in ev.net.centre_index:
        i = ev.net.centre_index[subject]
        group = sc.group_of[subject]
        lats, lons = [float(centres["lat"].iat[i])], [float(centres["lon"].iat[i])]
    elif scope == "group":
        idx = [ev.net.centre_index[c] for c in sc.members(subject)]
        group = subject if idx else None
        lats, lons = centres["lat"].to_numpy()[idx].tolist(), centres["lon"].to_numpy()[idx].tolist()
    elif scope == "area":
        table = ev.net.dataset.areas
        hit = np.flatnonzero(table["area_id"].astype(str).to_numpy() == subject)
        if len(hit):
            a = int(hit[0])
            areas = {subject: FOCUS_COLOUR}
            lats, lons = [float(table["lat"].iat[a])], [float(table["lon"].iat[a])]
            c = int(ev.ctx.assign[a])
            if c >= 0:
                group = sc.group_of[ev.net.centre_ids[c]]
                lats.append(float(centres["lat"].iat[c]))
                lons.append(float(centres["lon"].iat[c]))
    if not lats:
        return {"group": None, "bounds": bounds(ev), "areas": {}}
    m = FOCUS_MARGIN_DEG
    return {"group": group, "areas": areas,
            "bounds": [[min(lats) - m, min(lons) - m * 1.6], [max(lats) + m, max(lons) + m * 1.6]]}


UNCHANGED_COLOUR = "#e6e6e6"


def suggestion_shading(ev: Evaluation, before: Scenario, colours: dict[str, str]) -> tuple[dict[str, str], list[dict]]:
    """Fills that show what a suggestion changes: an area whose centre moves to another lot in its new
    lot's colour, every other area pale grey; and the legend."""
    area_ids = ev.net.dataset.areas["area_id"].to_numpy()
    ids = np.asarray(ev.net.centre_ids, dtype=object)
    moved = np.array([before.group_of[c] != ev.scenario.group_of[c] for c in ids])
    assign = ev.ctx.assign
    ok = assign >= 0
    centre = np.clip(assign, 0, None)
    changed = ok & moved[centre]
    fill = np.where(changed, [colours.get(ev.scenario.group_of[c], UNCHANGED_COLOUR) for c in ids[centre]],
                    UNCHANGED_COLOUR)
    legend = [{"colour": "#cccccc", "label": "coloured: areas whose centre changes lot (its new lot's colour)"},
              {"colour": UNCHANGED_COLOUR, "label": "grey: no change"}]
    return dict(zip(area_ids.tolist(), fill.tolist(), strict=True)), legend
