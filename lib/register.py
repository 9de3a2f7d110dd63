"""The register of children's centres and family hubs open in England in 2025: a council's real network.

Source: ``data/england_centres_hubs.csv.gz`` (built by ``scripts/build_centres_register.py``
from DfE Get Information about Schools "open children's centres" and the DfE "List of family
hub sites", OGL v3.0; located by postcode through OS Code-Point Open 2025.2). 3,044 records
of 152 local authorities, 151 councils (Cumberland and Westmorland and Furness are Cumbria).

A council's network is matched by the record's own council, never by where its postcode
falls. Each record becomes a centre with its kind, address and postcode, placed at:

- its **postcode** (a unit-postcode point, not the building) when the postcode is live;
- its postcode's **LSOA centroid** (population-weighted) when the postcode is terminated;
- nowhere when the postcode is **not found**: left out and listed in the report.

Kinds: ``children's centre``, ``centre + hub`` (a GIAS centre whose postcode is also on the
family hub list), ``family hub`` (on the DfE list only) and ``linked site`` (an outreach site of
a main centre, included only when asked for).

Example::

    centres, report = council_centres("Cornwall", load_county_areas("Cornwall"))
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from lib import geo
from lib.immutable import handed_out

__all__ = ["DEFAULT_KINDS", "KINDS", "REGISTER_FILE", "council_centres", "council_counts", "councils",
           "network_name", "register"]

REGISTER_FILE = Path(__file__).resolve().parent.parent / "data" / "england_centres_hubs.csv.gz"
KINDS = {
    "children's centre": "children's centre",
    "children's centre (matched to DfE family hub list)": "centre + hub",
    "family hub (DfE list only)": "family hub",
    "children's centre linked site": "linked site",
}
DEFAULT_KINDS = ("children's centre", "centre + hub", "family hub")
OUTSIDE_KM = 2.0  # a centre further than this from every area of its council is reported as outside it
SOURCE = ("DfE Get Information about Schools (open children's centres) and DfE List of family hub sites, 2025; "
          "located by postcode (OS Code-Point Open 2025.2)")


def register() -> pd.DataFrame:
    """Every record, with ``kind`` (short label) and numeric easting / northing / lat / lon (NaN when none)."""
    return handed_out(_register())


@lru_cache(maxsize=1)
def _register() -> pd.DataFrame:
    frame = pd.read_csv(REGISTER_FILE, dtype=str, keep_default_na=False)
    frame["kind"] = frame["record_kind"].map(KINDS)
    for col in ("easting", "northing", "lat", "lon"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame


def councils() -> list[str]:
    """Councils (ONS county / unitary authority 2021 names) with at least one record."""
    return sorted(register()["council"].unique())


def council_counts(council: str, *, linked_sites: bool = False) -> dict[str, int]:
    """Records of a council by kind (what the bundled file holds, before locating)."""
    rows = _records(council, linked_sites)
    return {k: int(n) for k, n in rows["kind"].value_counts().sort_index().items()}


def _records(council: str, linked_sites: bool) -> pd.DataFrame:
    kinds = (*DEFAULT_KINDS, "linked site") if linked_sites else DEFAULT_KINDS
    reg = register()
    return reg[(reg["council"] == council) & reg["kind"].isin(kinds)].reset_index(drop=True)


def network_name(council: str, n: int) -> str:
    """The dataset's name, saying which network it is: "Cornwall: 26 centres and hubs open in 2025"
    ("Rutland: 1 centre or hub open in 2025")."""
    return f"{council}: {'1 centre or hub' if n == 1 else f'{n} centres and hubs'} open in 2025"


def council_centres(council: str, areas: pd.DataFrame, *, linked_sites: bool = False,
                    england: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """The council's real centres as a canonical centres table, and the data-quality report.

    ``areas``: the council's areas (canonical, with ``x``, ``y``); ``england``: all English areas,
    for the centroids of terminated postcodes whose LSOA lies outside the council (default: the
    bundled England file). Report entries: ``{"kind", "table", "message", "rows"}`` like
    :func:`lib.data.quality_report`'s.
    """
    rows = _records(council, linked_sites)
    report: list[dict] = []
    if rows.empty:
        return _canonical(rows, np.array([]), np.array([]), []), report
    live = rows["postcode_status"].str.startswith("live") & rows["easting"].notna()
    terminated = rows["postcode_status"].str.startswith("terminated")
    x = rows["easting"].to_numpy(float).copy()
    y = rows["northing"].to_numpy(float).copy()
    quality = np.where(live, "postcode", "").astype(object)  # object: "terminated postcode" must fit
    if terminated.any():
        if england is None:
            from lib.data import england_areas

            england = england_areas()
        where = england.set_index("area_id")[["x", "y"]]
        codes = rows.loc[terminated, "lsoa11cd"]
        known = codes.isin(where.index)
        idx = codes[known].index
        x[idx] = where.loc[codes[known], "x"].to_numpy()
        y[idx] = where.loc[codes[known], "y"].to_numpy()
        quality[idx] = "terminated postcode"
        lost = codes[~known].index
        if len(lost):
            report.append(_entry("terminated postcode without an area", rows.loc[lost],
                                 "terminated postcode whose LSOA is unknown: left out"))
    placed = quality != ""
    if (~placed).any():
        report.append(_entry("postcode not found", rows[~placed],
                             "postcode not in the gazetteer (OS Code-Point Open 2025.2 and the ONS lookup): left "
                             "out, not placed"))
    kept = rows[placed].reset_index(drop=True)
    x, y, quality = x[placed], y[placed], quality[placed]
    if len(kept) and len(areas):
        outside = _outside(kept, x, y, areas)
        if outside.any():
            report.append(_entry("outside the council", kept[outside],
                                 f"postcode outside {council}'s areas: kept (matched by the record's council), shown "
                                 "where its postcode is"))
    return _canonical(kept, x, y, list(quality)), report


def _outside(rows: pd.DataFrame, x: np.ndarray, y: np.ndarray, areas: pd.DataFrame) -> np.ndarray:
    """Postcode LSOA not one of the council's areas; for a postcode newer than the LSOA lookup, further
    than ``OUTSIDE_KM`` from every area centroid."""
    from scipy.spatial import cKDTree

    lsoa = rows["lsoa11cd"].astype(str).to_numpy()
    known = lsoa != ""
    outside = known & ~np.isin(lsoa, areas["area_id"].to_numpy())
    if (~known).any():
        dist, _ = cKDTree(np.c_[areas["x"], areas["y"]]).query(np.c_[x[~known], y[~known]])
        outside[~known] = dist / 1000 > OUTSIDE_KM
    return outside


def _entry(kind: str, rows: pd.DataFrame, what: str) -> dict:
    names = [f"{n} ({p or 'no postcode'})" for n, p in zip(rows["centre_name"], rows["postcode"], strict=True)]
    return {"kind": kind, "table": "centres", "message": f"{len(rows)} record(s): {what}", "rows": names}


def _canonical(rows: pd.DataFrame, x: np.ndarray, y: np.ndarray, quality: list[str]) -> pd.DataFrame:
    """Canonical centres columns (as :func:`lib.data.validate_centres` gives) plus kind, address, source."""
    lat, lon = geo.to_wgs84(np.asarray(x, float), np.asarray(y, float)) if len(rows) else (np.array([]),
                                                                                          np.array([]))
    ids = _ids(rows)
    out = pd.DataFrame({
        "centre_id": ids,
        "name": rows["centre_name"].astype(str).tolist(),
        "lat": np.round(lat, 6), "lon": np.round(lon, 6),
        "phase": pd.array([pd.NA] * len(rows), dtype="Int64"),
        "on_school_site": pd.array([pd.NA] * len(rows), dtype="boolean"),
        "provider": "",
        "location_quality": quality,
        "illustrative": False,
        "postcode": rows["postcode"].astype(str).tolist(),
        "kind": rows["kind"].astype(str).tolist(),
        "address": rows["address"].astype(str).tolist(),
        "x": np.asarray(x, float), "y": np.asarray(y, float),
    })
    return out


def _ids(rows: pd.DataFrame) -> list[str]:
    """Stable ids from name and postcode ("sopwell-and-verulam-family-centre-al1-2le"), unique."""
    from lib.data import slug

    seen: dict[str, int] = {}
    out = []
    for name, postcode in zip(rows["centre_name"], rows["postcode"], strict=True):
        base = f"{slug(name)[:48].strip('-')}-{slug(postcode)}".strip("-") or "centre"
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out
