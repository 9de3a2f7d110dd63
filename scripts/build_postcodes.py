"""Build ``data/england_postcodes.npz``: the England postcode gazetteer in a compact, offline form.

Usage::

    python scripts/build_postcodes.py [SOURCE_CSV_GZ] [OUTPUT_NPZ]

SOURCE defaults to ``../shared/data/england_postcodes.csv.gz`` (see data/PROVENANCE.md):
2,234,912 rows of ``postcode, easting, northing, pos_quality, lsoa11cd, terminated``.

The output is a plain NumPy ``.npz`` (a zip of ``.npy`` arrays, loaded with
``allow_pickle=False``; nothing is pickled). The build is deterministic: the
same source gives byte-identical output (fixed zip timestamps, sorted rows).

Arrays (N = all postcodes, L = live postcodes, T = terminated postcodes):

- ``postcode_planes`` uint8 (7, N): the postcodes, upper case without spaces,
  left-aligned and NUL-padded to 7 bytes, sorted; stored as 7 byte planes
  (byte k of every postcode together), which deflate compresses ~40x.
- ``status`` uint8 (N): 0 = live (in Code-Point Open), 1 = terminated.
- ``easting_delta``, ``northing_delta`` uint8 (4, L): the live postcodes'
  grid references (EPSG:27700, metres, as published), in postcode order,
  delta-encoded, zig-zag mapped to uint32 and stored as 4 byte planes.
  Code-Point Open rows without a grid reference (quality 90) are 0, 0.
- ``pos_quality`` uint8 (L): Code-Point Open positional quality (10 best ... 90 none).
- ``lsoa_index`` uint16 (N): index into ``lsoa_codes``; 65535 = none (live postcodes newer than May 2022).
- ``lsoa_codes`` S9 (K): the LSOA 2011 codes used, sorted.
- ``terminated`` uint16 (T): month of termination of the terminated postcodes,
  as months since January 1980 (``(year - 1980) * 12 + month - 1``).
- ``meta_json`` uint8: UTF-8 JSON with the format version, source checksum and counts.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "england_postcodes.csv.gz"
OUTPUT = ROOT / "data" / "england_postcodes.npz"
FORMAT_VERSION = 1
NO_LSOA = 65535
WIDTH = 7


def planes(values: np.ndarray) -> np.ndarray:
    """(N,) fixed-width values -> (itemsize, N) uint8 byte planes (little-endian)."""
    itemsize = values.dtype.itemsize
    return np.ascontiguousarray(values.view(np.uint8).reshape(-1, itemsize).T)


def zigzag_deltas(values: np.ndarray) -> np.ndarray:
    """int32 values -> zig-zag mapped first differences as uint32."""
    d = np.diff(values.astype(np.int64), prepend=0)
    return ((d << 1) ^ (d >> 63)).astype(np.uint32)


def build(source: Path) -> dict[str, np.ndarray]:
    raw = pd.read_csv(source, dtype=str, keep_default_na=False)
    expected = ["postcode", "easting", "northing", "pos_quality", "lsoa11cd", "terminated"]
    if list(raw.columns) != expected:
        raise SystemExit(f"{source.name}: expected columns {expected}, found {list(raw.columns)}")
    code = raw["postcode"].str.replace(r"\s+", "", regex=True).str.upper()
    if code.str.len().max() > WIDTH or code.duplicated().any():
        raise SystemExit(f"{source.name}: postcodes longer than {WIDTH} characters or repeated")
    codes = code.to_numpy().astype(f"S{WIDTH}")
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    raw = raw.iloc[order].reset_index(drop=True)

    live = raw["terminated"].eq("").to_numpy()
    if (raw["easting"].eq("").to_numpy() & live).any():
        raise SystemExit(f"{source.name}: a live postcode without a grid reference")
    easting = pd.to_numeric(raw.loc[live, "easting"]).to_numpy().astype(np.int32)
    northing = pd.to_numeric(raw.loc[live, "northing"]).to_numpy().astype(np.int32)
    quality = pd.to_numeric(raw.loc[live, "pos_quality"]).to_numpy().astype(np.uint8)

    lsoa = raw["lsoa11cd"].to_numpy().astype("S9")
    lsoa_codes = np.unique(lsoa[lsoa != b""])
    lsoa_index = np.full(len(lsoa), NO_LSOA, np.uint16)
    has = lsoa != b""
    lsoa_index[has] = np.searchsorted(lsoa_codes, lsoa[has])

    term = pd.to_numeric(raw.loc[~live, "terminated"]).to_numpy().astype(np.int64)
    months = ((term // 100 - 1980) * 12 + term % 100 - 1).astype(np.uint16)

    meta = {
        "format_version": FORMAT_VERSION,
        "source": source.name,
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "postcodes": len(codes), "live": int(live.sum()), "terminated": int((~live).sum()),
        "lsoa_codes": len(lsoa_codes),
        "attribution": ("Contains OS data © Crown copyright and database right 2025. Contains Royal Mail data "
                        "© Royal Mail copyright and database right 2025. Contains National Statistics data "
                        "© Crown copyright and database right 2025."),
    }
    return {
        "postcode_planes": planes(codes),
        "status": (~live).astype(np.uint8),
        "easting_delta": planes(zigzag_deltas(easting)),
        "northing_delta": planes(zigzag_deltas(northing)),
        "pos_quality": quality,
        "lsoa_index": lsoa_index,
        "lsoa_codes": lsoa_codes,
        "terminated": months,
        "meta_json": np.frombuffer(json.dumps(meta, sort_keys=True).encode(), np.uint8),
    }


def write_npz(arrays: dict[str, np.ndarray], path: Path) -> None:
    """Like ``np.savez_compressed`` but byte-reproducible (fixed timestamps and order)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compresslevel=9)
    path.write_bytes(buf.getvalue())


def check(source: Path, path: Path) -> None:
    """Every source row geocodes back to its own values through lib.geocode."""
    sys.path.insert(0, str(ROOT))
    from lib import geocode

    geocode.postcode_table.cache_clear()
    table = geocode.postcode_table(path)
    raw = pd.read_csv(source, dtype=str, keep_default_na=False)
    idx = table.lookup(raw["postcode"].to_numpy())
    if (idx < 0).any():
        raise SystemExit(f"check failed: {int((idx < 0).sum())} source postcodes not found")
    live = raw["terminated"].eq("").to_numpy()
    e = pd.to_numeric(raw["easting"], errors="coerce").fillna(-1).to_numpy()
    n = pd.to_numeric(raw["northing"], errors="coerce").fillna(-1).to_numpy()
    ok = (table.easting[idx] == e) & (table.northing[idx] == n)
    ok &= table.lsoa_of(idx) == raw["lsoa11cd"].to_numpy().astype("S9")
    ok &= np.where(live, table.terminated[idx] == 0,
                   table.terminated[idx] == pd.to_numeric(raw["terminated"], errors="coerce").fillna(0).to_numpy())
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise SystemExit(f"check failed at source row {bad + 2}: {raw.iloc[bad].to_dict()}")
    print(f"checked {len(raw):,} postcodes: all round-trip")


def main(argv: list[str]) -> None:
    source = Path(argv[0]) if argv else SOURCE
    output = Path(argv[1]) if len(argv) > 1 else OUTPUT
    arrays = build(source)
    write_npz(arrays, output)
    print(f"wrote {output} ({output.stat().st_size / 2**20:.2f} MiB, {len(arrays['status']):,} postcodes)")
    check(source, output)


if __name__ == "__main__":
    main(sys.argv[1:])
