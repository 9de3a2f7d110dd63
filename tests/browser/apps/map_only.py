"""Minimal app around the centre map, for the browser tests (and for trying the map by hand).

    streamlit run tests/browser/apps/map_only.py              # 6 made-up centres near Norwich
    streamlit run tests/browser/apps/map_only.py -- ...       # then open ?mode=norfolk for the county

Run from the repository root (so .streamlit/config.toml turns static serving on). The
``static`` folder beside this script is a symlink to the repository's ``static/``.
Events received from the map are printed as ``st.code`` blocks starting ``MOVE``,
``ACTION``, ``SELECT``, ``GROUPS`` and ``RUNS`` so the tests can read them.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components.centre_map import NEW_GROUP, centre_map  # noqa: E402

PALETTE = [
    "#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#882255",
    "#117733", "#332288", "#AA4499", "#44AA99", "#999933", "#6699CC", "#DDCC77", "#661100",
]

SMALL_CENTRES = [
    # id, name, group, lat, lon, illustrative, reach, deprived share
    ("A", "Alder Children's Centre", "G1", 52.662, 1.235, False, 820, 0.41),
    ("B", "Birch Children's Centre", "G1", 52.668, 1.285, False, 640, 0.18),
    ("C", "Cedar Children's Centre", "G2", 52.632, 1.345, False, 910, 0.52),
    ("D", "Damson Children's Centre", "G2", 52.596, 1.352, True, 455, 0.07),
    ("E", "Elm Children's Centre", "G3", 52.600, 1.232, False, 700, 0.33),
    ("F", "Fir <img src=x onerror=alert(1)> & Hazel", "G3", 52.582, 1.292, False, 380, 0.61),
]
SMALL_BOUNDS = [[52.57, 1.19], [52.705, 1.40]]
SMALL_BOUNDARIES = "/app/static/boundaries/test_small.geojson"
NORFOLK_BOUNDARIES = "/app/static/boundaries/norfolk_lsoa.geojson"
OGL = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right 2025."
)


def _small_areas() -> list[dict]:
    geo = json.loads((ROOT / "static/boundaries/test_small.geojson").read_text())
    areas = []
    for f in geo["features"]:
        ring = f["geometry"]["coordinates"][0][:-1]
        lat = sum(p[1] for p in ring) / len(ring)
        lon = sum(p[0] for p in ring) / len(ring)
        areas.append({"id": f["properties"]["lsoa11cd"], "lat": lat, "lon": lon, "children": 100, "decile": 5})
    return areas


def _norfolk() -> tuple[list[dict], list[dict]]:
    with (ROOT / "data/norfolk_centres.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    districts = sorted({r["district"] for r in rows if r.get("district")})
    group_of = {d: f"G{i + 1}" for i, d in enumerate(districts)}
    centres = [
        {
            "id": r["centre_id"], "name": r["name"], "group": group_of.get(r.get("district") or "", "G0"),
            "lat": float(r["lat"]), "lon": float(r["lon"]), "status": "open",
            "illustrative": (r.get("illustrative") or "").strip().lower() in {"yes", "true", "1"},
        }
        for r in rows if r.get("lat") and r.get("lon")
    ]
    with (ROOT / "data/norfolk_lsoa.csv").open(newline="", encoding="utf-8") as fh:
        areas = [
            {"id": r["lsoa11cd"], "lat": float(r["pwc_lat"]), "lon": float(r["pwc_lon"]),
             "children": int(r["pop_0_4_mid2020"]), "decile": int(r["imd_decile"])}
            for r in csv.DictReader(fh)
        ]
    return centres, areas


def _init() -> None:
    mode = st.query_params.get("mode", "small")
    st.session_state.mode = mode
    if mode == "norfolk":
        centres, areas = _norfolk()
    else:
        centres = [
            {"id": i, "name": n, "group": g, "lat": la, "lon": lo, "status": "open", "illustrative": il,
             "reach": r, "deprived_share": d}
            for i, n, g, la, lo, il, r, d in SMALL_CENTRES
        ]
        areas = _small_areas()
    st.session_state.centres = centres
    st.session_state.areas = areas
    labels = sorted({c["group"] for c in centres}, key=lambda g: int(g[1:]))
    st.session_state.colours = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(labels)}
    st.session_state.last = {"move": None, "action": None, "select": None}
    st.session_state.runs = 0


def _new_group() -> str:
    used = {int(g[1:]) for g in st.session_state.colours}
    label = f"G{max(used, default=0) + 1}"
    st.session_state.colours[label] = PALETTE[len(st.session_state.colours) % len(PALETTE)]
    return label


def _on_move() -> None:
    ev = st.session_state["map"].move
    if not ev:
        return
    st.session_state.last["move"] = ev
    target = _new_group() if ev["group"] == NEW_GROUP else ev["group"]
    for c in st.session_state.centres:
        if c["id"] in ev["centre_ids"]:
            c["group"] = target


def _on_action() -> None:
    ev = st.session_state["map"].action
    if not ev:
        return
    st.session_state.last["action"] = ev
    status = {"close": "closed", "reopen": "open", "merge": "merged"}[ev["kind"]]
    for c in st.session_state.centres:
        if c["id"] == ev["centre_id"]:
            c["status"] = status


def _on_select() -> None:
    ev = st.session_state["map"].select
    if ev is not None:
        st.session_state.last["select"] = ev


def _dist2(a: dict, b: dict) -> float:
    k = math.cos(math.radians(52.6))
    return (a["lat"] - b["lat"]) ** 2 + ((a["lon"] - b["lon"]) * k) ** 2


def main() -> None:
    st.set_page_config(page_title="Centre map test", layout="wide")
    if "centres" not in st.session_state:
        _init()
    st.session_state.runs += 1
    centres = st.session_state.centres
    colours = st.session_state.colours
    open_centres = [c for c in centres if c["status"] == "open"]

    # Each area is served by its nearest open centre: reach and area colours follow the groups.
    served: dict[str, list[dict]] = {c["id"]: [] for c in centres}
    area_style = {}
    for a in st.session_state.areas:
        if not open_centres:
            break
        best = min(open_centres, key=lambda c, a=a: _dist2(a, c))
        served[best["id"]].append(a)
        area_style[a["id"]] = colours[best["group"]]
    for c in centres:
        kids = sum(a["children"] for a in served[c["id"]])
        if st.session_state.mode == "norfolk":  # the small app keeps its hand-set figures
            c["reach"] = kids
            c["deprived_share"] = (
                sum(a["children"] for a in served[c["id"]] if a["decile"] <= 3) / kids if kids else None
            )

    labels = sorted({c["group"] for c in centres}, key=lambda g: int(g[1:]))
    groups = []
    legend = []
    for g in labels:
        members = [c for c in open_centres if c["group"] == g]
        if not members:
            continue
        groups.append({
            "label": g, "colour": colours[g],
            "lat": sum(c["lat"] for c in members) / len(members),
            "lon": sum(c["lon"] for c in members) / len(members),
        })
        legend.append({"colour": colours[g], "label": f"{g} · {len(members)} centre{'s' * (len(members) != 1)}"})

    st.title("Centre map")
    highlight = st.selectbox("Highlight group", ["(none)", *labels], key="hl")
    norfolk = st.session_state.mode == "norfolk"
    centre_map(
        centres=[{**c, "label": c["group"], "colour": colours[c["group"]]} for c in centres],
        groups=groups,
        area_style=area_style,
        legend=legend,
        boundaries_url=NORFOLK_BOUNDARIES if norfolk else SMALL_BOUNDARIES,
        highlight_group=None if highlight == "(none)" else highlight,
        fit_bounds=None if norfolk else SMALL_BOUNDS,
        key="map",
        on_move=_on_move,
        on_action=_on_action,
        on_select=_on_select,
        height=640,
        attribution=OGL if norfolk else "Test squares (not real areas)",
    )
    last = st.session_state.last
    st.code("MOVE " + json.dumps(last["move"], sort_keys=True))
    st.code("ACTION " + json.dumps(last["action"], sort_keys=True))
    st.code("SELECT " + json.dumps(last["select"], sort_keys=True))
    st.code("GROUPS " + json.dumps({c["id"]: c["group"] for c in centres}, sort_keys=True))
    st.code("STATUS " + json.dumps({c["id"]: c["status"] for c in centres}, sort_keys=True))
    st.code(f"RUNS {st.session_state.runs}")


main()
