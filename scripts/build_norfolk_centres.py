"""Build ``data/norfolk_centres.csv``: the embedded Norfolk centre network (54 centres).

Reproducible rule (see data/PROVENANCE.md, "Centre network"):

1. The 46 researched centres keep their real names. The 43 located ones stand
   at their town/village point (approximate, never exact) where that point is
   theirs alone.
2. Centres that share one town point (Norwich x3, King's Lynn x2, Dereham x2,
   Thetford x2, Gorleston x2) are spread over the areas whose centroid lies
   within ``SPREAD_KM`` of that point, in the same district, by the
   population-weighted p-median rule (``lib.network.p_median``): labelled
   illustrative.
3. The 3 researched centres with no location are placed by the same rule
   within their district: illustrative.
4. The network is completed to 54 centres (the 2011 count) by the same rule
   over the whole county: illustrative, named "Illustrative centre N (LSOA)".
5. The 15 centres still open in 2025 (the 2019 bases: two per district, three in
   Norwich) are matched to their records in the DfE register
   (``data/england_centres_hubs.csv.gz``, see ``lib.register``) by ``OPEN_2025`` below
   and placed at their postcode (a unit-postcode point, not the building), with
   location quality "postcode", status_2019 "base", and the record's kind, address,
   postcode and name (``register_name``). The placements of steps 1-4 are computed
   first and kept for every other centre.

Run: ``python scripts/build_norfolk_centres.py`` (writes the CSV; deterministic).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib import geo
from lib.data import DATA_DIR, load_areas, slug
from lib.network import p_median

TOTAL_CENTRES = 54
# centre id in the 54 -> postcode of its record in the 2025 register (one record per postcode in Norfolk).
# Matched by name and place; nfk-west-earlham (recorded "de-designated" in the researched list) is matched
# to "Earlham Early Years Centre", Motum Road, West Earlham: the register's third Norwich children's centre.
OPEN_2025 = {
    "nfk-downham-market": "PE38 9JE", "nfk-nar": "PE30 5BN",
    "nfk-swaffham": "PE37 7RF", "nfk-thetford-kingsway": "IP24 3DY",
    "nfk-drayton-and-taverham": "NR8 6EP", "nfk-acle-marshes": "NR13 3RA",
    "nfk-seagulls": "NR31 7BP", "nfk-priory": "NR30 1NW",
    "nfk-fakenham-gateway": "NR21 8HN", "nfk-north-walsham-poppyland": "NR28 9HG",
    "nfk-diss": "IP22 4PU", "nfk-long-stratton": "NR15 2XR",
    "nfk-city-and-eaton": "NR2 2SA", "nfk-catton-fiddlewood-and-mile-cross": "NR3 3PY", "nfk-west-earlham": "NR5 8EG",
}
SPREAD_KM = 5.0
ID_WORDS_DROPPED = ("children's centre", "children s centre", "sure start", "(children's centre area/lot)")


def centre_id(name: str) -> str:
    text = name.lower().split("(")[0]
    for words in ID_WORDS_DROPPED:
        text = text.replace(words, " ")
    return "nfk-" + slug(text)[:32].strip("-")


def build() -> pd.DataFrame:
    areas = load_areas(DATA_DIR / "norfolk_lsoa.csv")
    research = pd.read_csv(DATA_DIR / "norfolk_centres_researched.csv", dtype=str, keep_default_na=False)
    lat = pd.to_numeric(research["lat"], errors="coerce").to_numpy()
    lon = pd.to_numeric(research["lon"], errors="coerce").to_numpy()
    located = ~np.isnan(lat)
    point = pd.Series([f"{a:.5f},{b:.5f}" if ok else "" for a, b, ok in zip(lat, lon, located, strict=True)])
    shared = located & point.duplicated(keep=False).to_numpy()
    fixed = located & ~shared

    x, y = geo.to_bng(np.nan_to_num(lat), np.nan_to_num(lon))
    in_district = {d: (areas["district"] == d).to_numpy() for d in research["district"].unique() if d}
    sets: list[np.ndarray] = []
    placed_rows: list[int] = []
    how: list[str] = []
    for i in np.flatnonzero(shared):
        near = np.hypot(areas["x"] - x[i], areas["y"] - y[i]).to_numpy() / 1000 <= SPREAD_KM
        sets.append(near & in_district[research["district"][i]])
        placed_rows.append(int(i))
        place = research["location_quality"][i].removeprefix("place: ")
        how.append(f"illustrative: spread within {SPREAD_KM:g} km of {place} by the p-median rule "
                   "(several centres shared one town point)")
    for i in np.flatnonzero(~located):
        sets.append(in_district[research["district"][i]])
        placed_rows.append(int(i))
        how.append(f"illustrative: placed within {research['district'][i]} by the p-median rule "
                   "(no location published)")
    extra = TOTAL_CENTRES - len(research)
    sets.extend([np.ones(len(areas), bool)] * extra)
    how.extend(["illustrative: network completed to 54 centres by the p-median rule"] * extra)

    sites = p_median(areas["x"].to_numpy(), areas["y"].to_numpy(), areas["children"].to_numpy(), sets,
                     fixed_xy=np.c_[x[fixed], y[fixed]])

    rows = []
    for i in range(len(research)):
        r = research.iloc[i]
        rows.append({
            "centre_id": centre_id(r["centre_name"]), "name": r["centre_name"], "lat": lat[i], "lon": lon[i],
            "phase": r["phase"], "on_school_site": r["on_school_site"], "provider": "",
            "district": r["district"], "status_2019": r["status_2019"], "illustrative": "no",
            "location_quality": "approximate: town/village point, " + r["location_quality"],
        })
    for k, (site, text) in enumerate(zip(sites, how, strict=True)):
        area = areas.iloc[int(site)]
        if k < len(placed_rows):
            row = rows[placed_rows[k]]
        else:
            n = k - len(placed_rows) + 1
            row = {"centre_id": f"nfk-illustrative-{n}", "name": f"Illustrative centre {n} ({area['name']})",
                   "phase": "", "on_school_site": "", "provider": "", "district": area["district"],
                   "status_2019": ""}
            rows.append(row)
        row.update(lat=round(float(area["lat"]), 6), lon=round(float(area["lon"]), 6), illustrative="yes",
                   location_quality=text + f" at the centroid of {area['name']}")
    out = pd.DataFrame(rows)
    out = open_in_2025(out)
    assert out["centre_id"].is_unique, out["centre_id"][out["centre_id"].duplicated()]
    assert not out[["lat", "lon"]].duplicated().any(), "two centres share a point"
    return out


def open_in_2025(out: pd.DataFrame) -> pd.DataFrame:
    """Step 5: the 15 centres open in 2025 at their register record's postcode."""
    from lib.register import register

    reg = register()
    reg = reg[reg["council"] == "Norfolk"].set_index("postcode")
    assert reg.index.is_unique and set(OPEN_2025) <= set(out["centre_id"])
    out = out.assign(postcode="", kind="", address="", register_name="")
    for cid, postcode in OPEN_2025.items():
        rec = reg.loc[postcode]
        i = out.index[out["centre_id"] == cid][0]
        out.loc[i, ["lat", "lon"]] = [round(float(rec["lat"]), 6), round(float(rec["lon"]), 6)]
        out.loc[i, ["illustrative", "location_quality", "status_2019", "postcode", "kind", "address",
                    "register_name"]] = ["no", "postcode", "base", postcode, rec["kind"], rec["address"],
                                         rec["centre_name"]]
    return out


if __name__ == "__main__":
    table = build()
    table.to_csv(DATA_DIR / "norfolk_centres.csv", index=False)
    print(f"wrote {len(table)} centres ({(table['illustrative'] == 'yes').sum()} illustrative)")
