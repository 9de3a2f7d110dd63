"""Offline postcode geocoding from the bundled England gazetteer (``data/england_postcodes.npz``).

Live postcodes (OS Code-Point Open 2025) get their published grid reference;
terminated postcodes (ONS postcode lookup, May 2022) fall back to their LSOA's
population-weighted centroid. The table is built by ``scripts/build_postcodes.py``
and loaded once (about 0.3 s) with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from lib import geo
from lib.errors import DataError, Problems
from lib.immutable import handed_out, read_only
from lib.tables import plain_text

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
POSTCODES_FILE = DATA_DIR / "england_postcodes.npz"
LSOA_FILE = DATA_DIR / "england_lsoa11.csv.gz"
WIDTH = 7
NO_LSOA = 65535
NO_GRID_REFERENCE = 90  # Code-Point Open positional quality: no coordinates

QUALITY_POSTCODE = "postcode"
QUALITY_TERMINATED = "terminated postcode: LSOA centroid"
QUALITY_NOT_FOUND = "not found"
QUALITY_INVALID = "not a postcode"
QUALITY_BLANK = "blank"
QUALITY_NO_GRID = "no grid reference"

POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}$")
# Outward areas wholly outside England (Scotland, Wales, Northern Ireland, Crown dependencies).
NOT_ENGLAND = {"AB", "DD", "DG", "EH", "FK", "G", "HS", "IV", "KA", "KW", "KY", "ML", "PA", "PH", "TD", "ZE",
               "CF", "LD", "LL", "NP", "SA", "BT", "GY", "JE", "IM"}


@dataclass(frozen=True, eq=False)
class PostcodeTable:
    """The gazetteer as arrays, sorted by postcode (upper case, no spaces)."""

    codes: np.ndarray  # S7, sorted
    live: np.ndarray  # bool
    easting: np.ndarray  # int32, -1 when terminated
    northing: np.ndarray  # int32, -1 when terminated
    quality: np.ndarray  # uint8 Code-Point positional quality, 0 when terminated
    lsoa_index: np.ndarray  # uint16 into lsoa_codes, NO_LSOA when none
    lsoa_codes: np.ndarray  # S9
    terminated: np.ndarray  # int32 YYYYMM, 0 when live
    meta: dict

    def __len__(self) -> int:
        return len(self.codes)

    def lookup(self, postcodes: Sequence[object] | np.ndarray) -> np.ndarray:
        """Row index of each postcode (any case/spacing), -1 when not in the table."""
        norm = normalise(postcodes)
        ok = norm.str.len().between(5, WIDTH).to_numpy()
        keys = np.where(ok, norm.to_numpy(dtype=object), "").astype(f"S{WIDTH}")
        pos = np.searchsorted(self.codes, keys).clip(0, len(self.codes) - 1)
        found = ok & (self.codes[pos] == keys)
        return np.where(found, pos, -1)

    def lsoa_of(self, index: np.ndarray) -> np.ndarray:
        """LSOA 2011 code (bytes, b"" when none) of rows ``index``."""
        li = self.lsoa_index[index]
        table = np.append(self.lsoa_codes, np.array([b""], "S9"))
        return table[np.where(li == NO_LSOA, len(self.lsoa_codes), li)]


def _from_planes(planes: np.ndarray, dtype: str) -> np.ndarray:
    return np.ascontiguousarray(planes.T).view(dtype).ravel()


def _from_zigzag(planes: np.ndarray) -> np.ndarray:
    z = _from_planes(planes, "<u4").astype(np.int64)
    return np.cumsum((z >> 1) ^ -(z & 1)).astype(np.int32)


@lru_cache(maxsize=2)
def postcode_table(path: str | Path = POSTCODES_FILE) -> PostcodeTable:
    """Load (once) the compact gazetteer written by ``scripts/build_postcodes.py``."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(arrays["meta_json"].tobytes().decode())
    if meta.get("format_version") != 1:
        raise DataError(Path(path).name, f"unknown gazetteer format {meta.get('format_version')!r}")
    codes = _from_planes(arrays["postcode_planes"], f"S{WIDTH}")
    live = arrays["status"] == 0
    n = len(codes)
    easting = np.full(n, -1, np.int32)
    northing = np.full(n, -1, np.int32)
    quality = np.zeros(n, np.uint8)
    easting[live] = _from_zigzag(arrays["easting_delta"])
    northing[live] = _from_zigzag(arrays["northing_delta"])
    quality[live] = arrays["pos_quality"]
    months = arrays["terminated"].astype(np.int32)
    terminated = np.zeros(n, np.int32)
    terminated[~live] = (1980 + months // 12) * 100 + months % 12 + 1
    return PostcodeTable(**{k: read_only(v) for k, v in dict(
        codes=codes, live=live, easting=easting, northing=northing, quality=quality,
        lsoa_index=arrays["lsoa_index"], lsoa_codes=arrays["lsoa_codes"], terminated=terminated).items()},
        meta=meta)


def lsoa_centroids() -> pd.DataFrame:
    """Population-weighted centroids of the English LSOAs (2011), indexed by code."""
    return handed_out(_lsoa_centroids())


@lru_cache(maxsize=1)
def _lsoa_centroids() -> pd.DataFrame:
    cols = ["lsoa11cd", "pwc_lat", "pwc_lon", "pwc_easting", "pwc_northing"]
    frame = pd.read_csv(LSOA_FILE, usecols=cols, dtype={"lsoa11cd": str}, keep_default_na=False)
    return frame.set_index("lsoa11cd")


@lru_cache(maxsize=1)
def _centroid_arrays() -> np.ndarray:
    """(K + 1, 4) lat, lon, easting, northing per entry of the bundled gazetteer's ``lsoa_codes``; the
    last row (and codes without a centroid) NaN. Read-only."""
    table = postcode_table()
    cents = _lsoa_centroids()
    codes = pd.Index(table.lsoa_codes.astype(str))
    pos = pd.Index(cents.index.astype(str)).get_indexer(codes)
    values = cents[["pwc_lat", "pwc_lon", "pwc_easting", "pwc_northing"]].to_numpy(float)
    out = np.full((len(codes) + 1, 4), np.nan)
    out[:-1][pos >= 0] = values[pos[pos >= 0]]
    return read_only(out)


def normalise(postcodes: Sequence[object] | np.ndarray | pd.Series) -> pd.Series:
    """Upper case, with everything but letters and digits removed ("nr1 1aa " -> "NR11AA")."""
    values = pd.Series(list(postcodes) if not isinstance(postcodes, pd.Series) else postcodes.to_numpy(),
                       dtype=object)
    text = pd.Series([plain_text(v) for v in values], dtype=object)
    return text.str.upper().str.replace(r"[^0-9A-Z]", "", regex=True).astype(object)


def format_postcode(normalised: str) -> str:
    """"NR11AA" -> "NR1 1AA" (the inward code is always the last three characters)."""
    return f"{normalised[:-3]} {normalised[-3:]}" if len(normalised) >= 5 else normalised


def _suggest(norm: str, table: PostcodeTable) -> str | None:
    """A likely intended postcode for common slips (O/0, I/1, S/5, B/8), if it exists."""
    if len(norm) < 5:
        return None
    letters = {"0": "O", "1": "I", "5": "S", "8": "B"}
    digits = {"O": "0", "I": "1", "L": "1", "S": "5", "B": "8"}
    out, inward = norm[:-3], norm[-3:]
    fixed_in = digits.get(inward[0], inward[0]) + "".join(letters.get(c, c) for c in inward[1:])
    fixed_out = letters.get(out[0], out[0]) + out[1:]
    candidates = sorted({fixed_out + fixed_in, out + fixed_in, fixed_out + inward} - {norm})
    for cand in candidates:
        if POSTCODE_RE.match(cand) and table.lookup([cand])[0] >= 0:
            return format_postcode(cand)
    return None


def geocode_postcodes(postcodes: Sequence[object], *, file_name: str = "postcodes", column: str = "postcode",
                      rows: Sequence[int] | None = None, strict: bool = True,
                      problems: Problems | None = None) -> pd.DataFrame:
    """Locate postcodes (vectorised ``np.searchsorted`` on the sorted gazetteer).

    Returns one row per input with columns ``input, postcode`` (formatted "NR1 1AA"),
    ``easting, northing, lat, lon, lsoa11cd, quality, terminated`` ("YYYY-MM" or "")
    and ``found``. ``quality`` is "postcode" for a live postcode and
    "terminated postcode: LSOA centroid" for a terminated one (placed at its
    LSOA's population-weighted centroid).

    ``strict`` (the default) raises one :class:`DataError` listing every postcode
    that is blank, malformed or unknown (up to ``MAX_PROBLEMS``, with a count of the
    rest), each naming ``file_name``, its row (``rows[i]``, else the spreadsheet row
    ``i + 2``) and ``column``; with ``problems`` (a :class:`~lib.errors.Problems`)
    they are added to it instead of raised. With ``strict=False`` such rows come
    back with ``found=False``, NaN coordinates and ``quality`` "blank", "not a
    postcode", "not found" or "no grid reference" (for a preview).
    """
    inputs = list(postcodes)
    n = len(inputs)
    row_no = np.asarray(rows, dtype=np.int64) if rows is not None else np.arange(n) + 2
    if len(row_no) != n:
        raise ValueError("rows must have one entry per postcode")
    table = postcode_table()
    norm = normalise(inputs)
    blank = norm.eq("").to_numpy()
    valid = norm.str.match(POSTCODE_RE.pattern).to_numpy(dtype=bool) & ~blank
    idx = np.where(valid, table.lookup(norm.to_numpy()), -1)
    found = idx >= 0
    safe = np.where(found, idx, 0)
    live = found & table.live[safe]
    no_grid = live & (table.quality[safe] >= NO_GRID_REFERENCE)
    term = found & ~table.live[safe]

    easting = np.where(live & ~no_grid, table.easting[safe], np.nan).astype(float)
    northing = np.where(live & ~no_grid, table.northing[safe], np.nan).astype(float)
    lsoa = np.where(found, table.lsoa_of(safe), b"").astype(str)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    pts = live & ~no_grid
    if pts.any():
        lat[pts], lon[pts] = geo.to_wgs84(easting[pts], northing[pts])
    if term.any():
        li = table.lsoa_index[safe[term]].astype(np.int64)
        cents = _centroid_arrays()[np.where(li == NO_LSOA, len(table.lsoa_codes), li)]
        lat[term], lon[term], easting[term], northing[term] = cents.T
    located = np.isfinite(lat)

    quality = np.full(n, QUALITY_NOT_FOUND, dtype=object)
    quality[blank] = QUALITY_BLANK
    quality[~valid & ~blank] = QUALITY_INVALID
    quality[live] = QUALITY_POSTCODE
    quality[no_grid] = QUALITY_NO_GRID
    quality[term] = QUALITY_TERMINATED
    quality[term & ~located] = QUALITY_NO_GRID
    yyyymm = table.terminated[safe]
    terminated = np.where(term, [f"{v // 100:04d}-{v % 100:02d}" for v in yyyymm], "")
    formatted = [format_postcode(p) if v else p for p, v in zip(norm, valid, strict=True)]
    out = pd.DataFrame({
        "input": [plain_text(v) for v in inputs], "postcode": formatted,
        "easting": easting, "northing": northing, "lat": lat, "lon": lon,
        "lsoa11cd": lsoa, "quality": quality, "terminated": terminated, "found": located,
    })
    if (strict or problems is not None) and not located.all():
        found_problems = Problems(file_name) if problems is None else problems
        texts = out["input"]
        found_problems.add_rows(~located, row_no, column,
                                lambda i: _problem(str(texts.iloc[i]), norm.iloc[i], quality[i], table), file_name)
        if problems is None:
            found_problems.raise_if_any()
    return out


def _problem(text: str, norm: str, quality: str, table: PostcodeTable) -> str:
    if quality == QUALITY_BLANK:
        return "postcode is missing"
    if quality == QUALITY_INVALID:
        hint = _suggest(norm, table)
        return f"{text.strip()!r} is not a UK postcode" + (f" (did you mean {hint}?)" if hint else "")
    pretty = format_postcode(norm)
    if quality == QUALITY_NO_GRID:
        return f"postcode {pretty} has no grid reference in Code-Point Open: give lat/lon or easting/northing"
    area = re.match(r"^[A-Z]+", norm)
    if area and area.group() in NOT_ENGLAND:
        return f"postcode {pretty} is not in England (only English postcodes are bundled)"
    hint = _suggest(norm, table)
    return (f"postcode {pretty} is not in the England postcode gazetteer (OS Code-Point Open 2025 and ONS "
            "terminated postcodes)" + (f"; did you mean {hint}?" if hint else ""))


@lru_cache(maxsize=1)
def _live_tree():
    from scipy.spatial import cKDTree

    table = postcode_table()
    keep = np.flatnonzero(table.live & (table.quality < NO_GRID_REFERENCE))
    return cKDTree(np.c_[table.easting[keep], table.northing[keep]]), keep


def nearest_postcodes(easting: Sequence[float], northing: Sequence[float]) -> pd.DataFrame:
    """The live postcode nearest each point (EPSG:27700): ``postcode, easting, northing, distance_m``."""
    tree, keep = _live_tree()
    dist, k = tree.query(np.c_[np.asarray(easting, float), np.asarray(northing, float)])
    table = postcode_table()
    rows = keep[k]
    return pd.DataFrame({
        "postcode": [format_postcode(c.decode()) for c in table.codes[rows]],
        "easting": table.easting[rows].astype(float), "northing": table.northing[rows].astype(float),
        "distance_m": dist,
    })
