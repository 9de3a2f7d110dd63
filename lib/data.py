"""Datasets: areas (LSOAs) and centres, validated into canonical columns.

Canonical columns
-----------------
areas:   area_id, name, lat, lon, children, imd_decile
         (+ imd_score, idaci_decile, urban_rural, district) and x, y (EPSG:27700 metres)
centres: centre_id, name, lat, lon, phase, on_school_site
         (+ provider, current_budget, location_quality, district, illustrative) and x, y

The published ONS/MHCLG names (``lsoa11cd``, ``pwc_lat``, ``pop_0_4_mid2020``...)
are accepted as aliases.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from lib import geo
from lib.errors import DataError
from lib.tables import (
    column_key,
    duplicate_check,
    numeric_column,
    read_table,
    rename_columns,
    require_columns,
    sheet_row,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_COUNTY = "Norfolk"

AREA_REQUIRED = ("area_id", "name", "lat", "lon", "children", "imd_decile")
AREA_OPTIONAL = ("imd_score", "idaci_decile", "urban_rural", "district")
CENTRE_REQUIRED = ("centre_id", "name", "lat", "lon", "phase", "on_school_site")
CENTRE_OPTIONAL = ("provider", "current_budget", "location_quality", "district", "illustrative")

AREA_ALIASES = {
    "lsoa11cd": "area_id", "lsoa_code": "area_id", "lsoa21cd": "area_id", "area_code": "area_id",
    "lsoa_code_2011": "area_id", "code": "area_id",
    "lsoa11nm": "name", "lsoa_name": "name", "lsoa_name_2011": "name", "area_name": "name",
    "pwc_lat": "lat", "latitude": "lat", "pwc_lon": "lon", "longitude": "lon", "lng": "lon", "long": "lon",
    "pwc_easting": "easting", "pwc_northing": "northing", "x": "easting", "y": "northing",
    "pop_0_4_mid2020": "children", "children_0_4": "children", "pop_0_4": "children",
    "aged_0_4": "children", "under_5s": "children", "children_aged_0_4": "children",
    "index_of_multiple_deprivation_imd_decile_where_1_is_most_deprived_10_of_lsoas": "imd_decile",
    "imd_decile_where_1_is_most_deprived_10_of_lsoas": "imd_decile", "imd19_decile": "imd_decile",
    "index_of_multiple_deprivation_imd_score": "imd_score",
    "lad19nm": "district", "local_authority_district_name_2019": "district", "lad_name": "district",
}
CENTRE_ALIASES = {
    "id": "centre_id", "centre_code": "centre_id", "urn": "centre_id", "code": "centre_id",
    "centre_name": "name", "centre": "name", "establishment_name": "name",
    "latitude": "lat", "longitude": "lon", "lng": "lon", "long": "lon",
    "x": "easting", "y": "northing", "east": "easting", "north": "northing",
    "school_site": "on_school_site", "on_school": "on_school_site",
    "lead_agency": "provider", "budget": "current_budget",
}

YES = {"yes", "y", "true", "1", "t"}
NO = {"no", "n", "false", "0", "f"}


@dataclass(frozen=True)
class Dataset:
    """Areas and centres of one county, validated, with projected coordinates."""

    name: str
    areas: pd.DataFrame
    centres: pd.DataFrame
    reach_assignment: pd.Series | None = None  # area_id -> centre_id, when the data gives one
    boundaries: Path | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def children(self) -> int:
        return int(self.areas["children"].sum())


def validate_areas(frame: pd.DataFrame, file_name: str) -> pd.DataFrame:
    """Canonical, checked areas table (raises :class:`DataError`).

    Checks: required columns, unique ids, children >= 0 whole numbers,
    IMD decile in 1..10, coordinates in England (lat/lon or BNG).
    """
    frame = rename_columns(frame.reset_index(drop=True), AREA_ALIASES)
    frame = _coordinates(frame, file_name)
    require_columns(frame, AREA_REQUIRED, file_name)
    duplicate_check(frame["area_id"], file_name, "area_id")
    children = numeric_column(frame, "children", file_name)
    _check_range(children, 0, None, file_name, "children", "a negative count")
    decile = numeric_column(frame, "imd_decile", file_name)
    _check_range(decile, 1, 10, file_name, "imd_decile", "an IMD decile outside 1-10")
    out = pd.DataFrame({
        "area_id": frame["area_id"].astype(str).str.strip(),
        "name": frame["name"].astype(str).str.strip(),
        "lat": frame["lat"].astype(float), "lon": frame["lon"].astype(float),
        "children": children.round().astype(np.int64),
        "imd_decile": decile.astype(np.int64),
    })
    for col in ("imd_score", "idaci_decile"):
        if col in frame:
            out[col] = numeric_column(frame, col, file_name, required=False)
    for col in ("urban_rural", "district"):
        if col in frame:
            out[col] = frame[col].astype(str).str.strip()
    out["x"], out["y"] = geo.to_bng(out["lat"].to_numpy(), out["lon"].to_numpy())
    return out


def validate_centres(frame: pd.DataFrame, file_name: str) -> pd.DataFrame:
    """Canonical, checked centres table (raises :class:`DataError`).

    ``phase`` is 1, 2, 3 or blank (unknown); ``on_school_site`` is yes/no/blank.
    """
    frame = rename_columns(frame.reset_index(drop=True), CENTRE_ALIASES)
    if "centre_id" not in frame and "name" in frame:
        frame["centre_id"] = [slug(n) for n in frame["name"]]
    for col, default in (("phase", ""), ("on_school_site", "")):
        if col not in frame:
            frame[col] = default
    frame = _coordinates(frame, file_name)
    require_columns(frame, CENTRE_REQUIRED, file_name)
    duplicate_check(frame["centre_id"], file_name, "centre_id")
    phase = numeric_column(frame, "phase", file_name, required=False)
    bad = ~np.isnan(phase) & ~np.isin(phase, [1, 2, 3])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(file_name, f"phase must be 1, 2, 3 or blank, not {frame['phase'].iloc[i]!r}",
                        sheet_row(i), "phase")
    out = pd.DataFrame({
        "centre_id": frame["centre_id"].astype(str).str.strip(),
        "name": frame["name"].astype(str).str.strip(),
        "lat": frame["lat"].astype(float), "lon": frame["lon"].astype(float),
        "phase": pd.array(np.where(np.isnan(phase), pd.NA, phase), dtype="Int64"),
        "on_school_site": _yes_no(frame["on_school_site"], file_name, "on_school_site"),
    })
    out["provider"] = frame["provider"].astype(str).str.strip() if "provider" in frame else ""
    if "current_budget" in frame:
        budget = numeric_column(frame, "current_budget", file_name, required=False)
        _check_range(np.nan_to_num(budget), 0, None, file_name, "current_budget", "a negative budget")
        out["current_budget"] = budget
    out["location_quality"] = (frame["location_quality"].astype(str).str.strip()
                               if "location_quality" in frame else "as supplied")
    if "district" in frame:
        out["district"] = frame["district"].astype(str).str.strip()
    out["illustrative"] = (_yes_no(frame["illustrative"], file_name, "illustrative").fillna(False)
                           .astype(bool) if "illustrative" in frame else False)
    out["x"], out["y"] = geo.to_bng(out["lat"].to_numpy(), out["lon"].to_numpy())
    return out


def _yes_no(values: pd.Series, file_name: str, column: str) -> pd.Series:
    text = values.astype(str).str.strip().str.lower()
    known = text.isin(YES | NO) | text.isin(["", "nan", "unknown"])
    if not known.all():
        i = int(np.flatnonzero(~known.to_numpy())[0])
        raise DataError(file_name, f"expected yes/no, not {values.iloc[i]!r}", sheet_row(i), column)
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(YES)] = True
    out[text.isin(NO)] = False
    return out


def _check_range(values: np.ndarray, low: float | None, high: float | None, file_name: str,
                 column: str, what: str) -> None:
    bad = np.zeros(len(values), bool)
    if low is not None:
        bad |= values < low
    if high is not None:
        bad |= values > high
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(file_name, f"{what} ({values[i]:g})", sheet_row(i), column)


def _coordinates(frame: pd.DataFrame, file_name: str) -> pd.DataFrame:
    """Fill lat/lon from lat/lon or easting/northing, and check they are in England.

    Easting/northing typed into lat/lon columns (values in the thousands) are
    caught and named as such.
    """
    frame = frame.copy()
    if "lat" in frame and "lon" in frame:
        lat = numeric_column(frame, "lat", file_name)
        lon = numeric_column(frame, "lon", file_name)
        swapped_bng = geo.looks_like_bng(lat, lon) | geo.looks_like_bng(lon, lat)
        outside = ~geo.looks_like_lat_lon(lat, lon)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            col = "lat" if not (geo.ENGLAND_LAT[0] <= lat[i] <= geo.ENGLAND_LAT[1]) else "lon"
            if swapped_bng[i] and abs(lat[i]) > 90:
                msg = (f"{lat[i]:g}, {lon[i]:g} look like easting/northing (British National Grid), "
                       "not latitude/longitude: name the columns easting and northing")
            elif geo.looks_like_lat_lon(lon[i], lat[i]):
                msg = f"latitude and longitude look swapped ({lat[i]:g}, {lon[i]:g})"
            else:
                msg = f"coordinates {lat[i]:g}, {lon[i]:g} are outside England"
            raise DataError(file_name, msg, sheet_row(i), col)
        frame["lat"], frame["lon"] = lat, lon
        return frame
    if "easting" in frame and "northing" in frame:
        e = numeric_column(frame, "easting", file_name)
        n = numeric_column(frame, "northing", file_name)
        outside = ~geo.looks_like_bng(e, n)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            msg = (f"{e[i]:g}, {n[i]:g} look like latitude/longitude, not easting/northing"
                   if geo.looks_like_lat_lon(e[i], n[i]) or geo.looks_like_lat_lon(n[i], e[i])
                   else f"easting/northing {e[i]:g}, {n[i]:g} are outside England")
            raise DataError(file_name, msg, sheet_row(i), "easting")
        frame["lat"], frame["lon"] = geo.to_wgs84(e, n)
        return frame
    raise DataError(file_name, "no coordinates: give lat and lon, or easting and northing (EPSG:27700)",
                    column="lat")


def slug(text: object) -> str:
    """A stable id from a name: lower case words joined by '-'."""
    return column_key(text).replace("_", "-")[:60] or "centre"


# --- loaders -----------------------------------------------------------------------------

def load_areas(path: str | Path | bytes, file_name: str | None = None) -> pd.DataFrame:
    """Read and validate an areas file (CSV/XLSX)."""
    name = file_name or Path(str(path)).name
    return validate_areas(read_table(path, name), name)


def load_centres(path: str | Path | bytes, file_name: str | None = None) -> pd.DataFrame:
    """Read and validate a centres file (CSV/XLSX)."""
    name = file_name or Path(str(path)).name
    return validate_centres(read_table(path, name), name)


def check_centres_in_areas(centres: pd.DataFrame, areas: pd.DataFrame, file_name: str,
                           max_km: float = 20.0) -> None:
    """A centre more than ``max_km`` from every area centroid is in the wrong county."""
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(np.c_[areas["x"], areas["y"]]).query(np.c_[centres["x"], centres["y"]])
    far = dist / 1000 > max_km
    if far.any():
        i = int(np.flatnonzero(far)[0])
        raise DataError(file_name, f"centre {centres['name'].iloc[i]!r} is {dist[i] / 1000:.0f} km from "
                        "the nearest area: is it in this county?", sheet_row(i), "lat")


@lru_cache(maxsize=1)
def england_areas() -> pd.DataFrame:
    """All 32,844 English LSOAs (2011) with canonical columns and ``county``."""
    raw = pd.read_csv(DATA_DIR / "england_lsoa11.csv.gz", dtype=str, keep_default_na=False)
    areas = validate_areas(raw, "england_lsoa11.csv.gz")
    areas["county"] = raw["county_ua_name"].to_numpy()
    return areas


def county_names() -> list[str]:
    """English county / unitary authority names (CTYUA 2021) in the bundled data."""
    return sorted(england_areas()["county"].unique())


def load_county_areas(county: str) -> pd.DataFrame:
    """Areas of one county / UA by name (case-insensitive)."""
    areas = england_areas()
    names = {n.lower(): n for n in areas["county"].unique()}
    key = county.strip().lower()
    if key not in names:
        close = difflib.get_close_matches(key, list(names), n=3)
        hint = f"; did you mean {', '.join(names[c] for c in close)}?" if close else ""
        raise DataError("--county", f"no English county or unitary authority named {county!r}{hint}")
    return areas[areas["county"] == names[key]].drop(columns="county").reset_index(drop=True)


def load_default() -> Dataset:
    """The embedded Norfolk default: 538 real LSOAs and the 54-centre network.

    Centre locations are approximate (town points) or illustrative (placed by
    the documented p-median rule, see ``scripts/build_norfolk_centres.py``).
    """
    return _load_default()


@lru_cache(maxsize=1)
def _load_default() -> Dataset:
    areas = load_areas(DATA_DIR / "norfolk_lsoa.csv")
    centres = load_centres(DATA_DIR / "norfolk_centres.csv")
    extra = pd.read_csv(DATA_DIR / "norfolk_centres.csv", dtype=str, keep_default_na=False)
    centres["status_2019"] = extra["status_2019"].to_numpy()
    return Dataset(
        name=DEFAULT_COUNTY, areas=areas, centres=centres,
        boundaries=DATA_DIR / "norfolk_lsoa.geojson",
        notes=("Centre names are real (researched list); locations are approximate town points "
               "or illustrative placements, never exact addresses.",),
    )


def load_dataset(county: str | None = None, areas_file: str | Path | None = None,
                 centres_file: str | Path | None = None) -> Dataset:
    """The dataset the CLI and app use: the default, a county, or user files.

    With areas but no centres file, an illustrative centre network is placed
    by the p-median rule (one centre per ``CHILDREN_PER_ILLUSTRATIVE_CENTRE``).
    """
    if county is None and areas_file is None and centres_file is None:
        return load_default()
    if county is not None and county.strip().lower() == DEFAULT_COUNTY.lower() and centres_file is None:
        return load_default()
    if areas_file is not None:
        areas = load_areas(areas_file)
        name = Path(str(areas_file)).stem
    else:
        county = county or DEFAULT_COUNTY
        areas = load_county_areas(county)
        name = county
    notes: tuple[str, ...] = ()
    if centres_file is not None:
        centres = load_centres(centres_file)
        check_centres_in_areas(centres, areas, Path(str(centres_file)).name)
    else:
        from lib.network import illustrative_network

        centres = illustrative_network(areas)
        notes = ("No centres given: the centre network is illustrative, placed by the p-median rule.",)
    return Dataset(name=name, areas=areas, centres=centres, notes=notes)


def boundaries_geojson(dataset: Dataset) -> dict:
    """LSOA polygons (WGS84 GeoJSON) for the dataset's areas."""
    if dataset.boundaries is not None:
        return json.loads(Path(dataset.boundaries).read_text())
    wanted = set(dataset.areas["area_id"])
    feats = [f for f in _england_boundaries()["features"] if f["properties"]["lsoa11cd"] in wanted]
    return {"type": "FeatureCollection", "features": feats}


@lru_cache(maxsize=1)
def _england_boundaries() -> dict:
    import gzip

    with gzip.open(DATA_DIR / "england_lsoa11_bsc.geojson.gz", "rt") as fh:
        return json.load(fh)
