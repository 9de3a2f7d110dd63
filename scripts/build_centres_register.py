"""Build data/england_centres_hubs.csv.gz from ../shared/data/england_centres_hubs.csv.

The register of children's centres, linked sites and family hubs open in England in 2025
(DfE Get Information about Schools "open children's centres" + DfE "List of family hub
sites", OGL v3.0), located by postcode through OS Code-Point Open 2025.2 (see
data/PROVENANCE.md). Kept: the official fields and the postcode lookup's; dropped: the
transcriber's own labels (``*_json``, ``json_record_index``, ``dist_source_vs_ours_m``,
``retired_postcode_in_source``) and ``town_derived`` (not an official field).

One column is added, ``council``: the county or unitary authority (ONS CTYUA 2021 name, as the
app names councils) of the record's ``local_authority``. It is the CTYUA of the majority of that
authority's own records (by their postcode's LSOA), so every record of an authority gets its
authority's council, also the few whose postcode lies across the border; Cumberland and
Westmorland and Furness both map to Cumbria (CTYUA 2021). The script fails if an authority has
no located record or if two authorities other than those two map to one council.

Run: ``python scripts/build_centres_register.py`` (deterministic: same input, same bytes).
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "england_centres_hubs.csv"
TARGET = ROOT / "data" / "england_centres_hubs.csv.gz"
KEEP = ["record_type", "record_kind", "local_authority", "council", "centre_name", "address", "postcode",
        "postcode_status", "easting", "northing", "lat", "lon", "pos_quality", "lsoa11cd"]
SHARED_COUNCILS = {"Cumbria": {"Cumberland Council", "Westmorland and Furness Council"}}


def councils(frame: pd.DataFrame) -> dict[str, str]:
    """local_authority -> CTYUA 2021 name (the majority CTYUA of its records' postcodes)."""
    located = frame[frame["lsoa_county_ua_name"] != ""]
    majority = (located.groupby("local_authority")["lsoa_county_ua_name"]
                .agg(lambda s: s.value_counts().sort_index().idxmax()))
    missing = sorted(set(frame["local_authority"]) - set(majority.index))
    if missing:
        raise SystemExit(f"no located record for {missing}")
    by_council = majority.groupby(majority).groups
    for council, las in by_council.items():
        if len(las) > 1 and set(las) != SHARED_COUNCILS.get(council):
            raise SystemExit(f"{sorted(las)} all map to {council}")
    return majority.to_dict()


def main() -> None:
    frame = pd.read_csv(SOURCE, dtype=str, keep_default_na=False)
    frame["council"] = frame["local_authority"].map(councils(frame))
    out = frame[KEEP]
    text = out.to_csv(index=False, lineterminator="\n")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    TARGET.write_bytes(buf.getvalue())
    print(f"{TARGET.relative_to(ROOT)}: {len(out):,} records, {out['local_authority'].nunique()} authorities, "
          f"{out['council'].nunique()} councils, {len(buf.getvalue()) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
