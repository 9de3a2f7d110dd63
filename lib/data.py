"""Datasets: areas (LSOAs) and centres, validated into canonical columns.

Canonical columns
-----------------
areas:   area_id, name, lat, lon, children, imd_decile
         (+ imd_score, idaci_decile, urban_rural, district) and x, y (EPSG:27700 metres)
centres: centre_id, name, lat, lon, phase, on_school_site
         (+ provider, current_budget, location_quality, district, illustrative, postcode) and x, y

Column headers are matched forgivingly (case, spaces and punctuation ignored,
common synonyms such as "Post Code", "Latitude", "Eastings", "LSOA code (2011)"
accepted): :func:`propose_mapping` shows the match with a confidence so a UI
can ask when unsure, and :func:`apply_mapping` applies a (corrected) mapping.
Centres may be located by lat/lon, by easting/northing (EPSG:27700) or by a
postcode (geocoded offline, :mod:`lib.geocode`), row by row.

Every problem is a :class:`~lib.errors.DataError` naming the file, the
spreadsheet row and the column as it is headed in the user's file. A file is
checked through: the error lists every problem found (up to
:data:`~lib.errors.MAX_PROBLEMS`, lowest rows first, with a count of the rest),
except when a problem makes further checks meaningless (no such column).

Uploads are capped while they are read (:data:`MAX_CENTRE_ROWS` rows of data for
centres and groupings, :data:`MAX_AREA_ROWS` for areas and assignments), so a
huge file is refused quickly instead of being parsed.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from lib import geo
from lib.errors import DataError, Problems
from lib.immutable import handed_out
from lib.tables import (
    MAX_AREA_ROWS,
    MAX_CENTRE_ROWS,
    blank_cells,
    column_key,
    duplicate_check,
    numeric_column,
    plain_text,
    read_source,
    read_table,
    row_cap_message,
    row_numbers,
    sheet_row,
    text_column,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_COUNTY = "Norfolk"

AREA_REQUIRED = ("area_id", "name", "lat", "lon", "children", "imd_decile")
AREA_OPTIONAL = ("imd_score", "idaci_decile", "urban_rural", "district")
CENTRE_REQUIRED = ("centre_id", "name", "lat", "lon", "phase", "on_school_site")
CENTRE_OPTIONAL = ("provider", "current_budget", "location_quality", "district", "illustrative", "postcode")
MAX_CHILDREN_PER_AREA = 1_000_000

YES = {"yes", "y", "true", "1", "t"}
NO = {"no", "n", "false", "0", "f"}


# --- column schemas -------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """One canonical column: its name, plain-words label, synonyms (normalised with
    :func:`~lib.tables.column_key`) and a looser regular expression on the normalised header."""

    name: str
    label: str
    synonyms: tuple[str, ...] = ()
    pattern: str | None = None
    required: bool = False


_LAT = Field("lat", "latitude (WGS84)", ("latitude", "lat_wgs84", "latitude_wgs84", "wgs84_lat", "pwc_lat",
                                          "centroid_lat", "lat_dd", "y_lat"), r"^lat(itude)?(_|$)")
_LON = Field("lon", "longitude (WGS84)", ("longitude", "long", "lng", "lon_wgs84", "longitude_wgs84", "wgs84_lon",
                                           "pwc_lon", "pwc_long", "centroid_lon", "lon_dd", "x_lon"),
             r"^(lon|lng)(gitude)?(_|$)")
_EASTING = Field("easting", "easting (British National Grid)",
                 ("eastings", "east", "x", "x_coordinate", "xcoord", "x_coord", "coord_x", "grid_easting",
                  "os_easting", "bng_easting", "easting_m", "pwc_easting", "os_grid_easting"), r"east")
_NORTHING = Field("northing", "northing (British National Grid)",
                  ("northings", "north", "y", "y_coordinate", "ycoord", "y_coord", "coord_y", "grid_northing",
                   "os_northing", "bng_northing", "northing_m", "pwc_northing", "os_grid_northing"), r"north")
AMBIGUOUS_XY = {"x", "y", "x_coordinate", "y_coordinate", "xcoord", "ycoord", "x_coord", "y_coord", "coord_x",
                "coord_y"}
_DISTRICT = Field("district", "district", ("lad19nm", "local_authority_district_name_2019", "lad_name", "lad",
                                           "la_name", "local_authority", "district_name", "lad22nm", "lad21nm",
                                           "lad20nm", "borough", "local_authority_district"),
                  r"district|^lad\d*nm$")
_AREA_ID = Field("area_id", "LSOA / area code",
                 ("lsoa11cd", "lsoa_code", "lsoa_code_2011", "lsoa11_code", "lsoa_cd", "lsoa", "lsoa_id", "lsoa21cd",
                  "area_code", "code", "geography_code", "geo_code", "lsoa11", "lsoa_2011_code", "lsoacd"),
                 r"lsoa.*(cd|code)|area_?(id|code)", True)
_CENTRE_ID = Field("centre_id", "centre id",
                   ("id", "centre_code", "centre_ref", "centre_reference", "centre_number", "centre_no", "urn",
                    "ofsted_urn", "code", "ref", "reference", "site_id", "site_code", "setting_id", "unique_id",
                    "cc_id", "cc_code", "center_id", "center_code"),
                   r"^(centre|center|site|cc|setting)_?(id|code|ref|reference|no|number)$|(^|_)urn($|_)")

SCHEMAS: dict[str, tuple[Field, ...]] = {
    "areas": (
        _AREA_ID,
        Field("name", "area name", ("lsoa11nm", "lsoa_name", "lsoa_name_2011", "area_name", "lsoa11_name",
                                    "geography_name", "lsoa_2011_name", "lsoanm"), r"lsoa.*(nm|name)|area_?name",
              True),
        _LAT, _LON, _EASTING, _NORTHING,
        Field("children", "children aged 0-4",
              ("pop_0_4_mid2020", "children_0_4", "pop_0_4", "aged_0_4", "under_5s", "children_aged_0_4",
               "under_fives", "under_5", "population_0_4", "age_0_4", "ages_0_4", "children_under_5", "under5s",
               "pop_under_5", "0_4", "aged_0_to_4", "children_under_five"),
              r"(^|_)0_(to_)?4($|_)|under_?5|under_?fives?", True),
        Field("imd_decile", "IMD 2019 decile",
              ("index_of_multiple_deprivation_imd_decile_where_1_is_most_deprived_10_of_lsoas",
               "imd_decile_where_1_is_most_deprived_10_of_lsoas", "index_of_multiple_deprivation_imd_decile",
               "imd19_decile", "imd_2019_decile", "imd_decile_2019", "imd19_dec", "imddecile"),
              r"(^|_)(imd|index_of_multiple_deprivation)(_|\d).*decile|^imd_?decile", True),
        Field("imd_score", "IMD 2019 score",
              ("index_of_multiple_deprivation_imd_score", "imd19_score", "imd_2019_score", "imdscore"),
              r"(^|_)(imd|index_of_multiple_deprivation)(_|\d).*score|^imd_?score"),
        Field("idaci_decile", "IDACI 2019 decile",
              ("income_deprivation_affecting_children_index_idaci_decile_where_1_is_most_deprived_10_of_lsoas",
               "idaci19_decile", "idaci_2019_decile", "idacidecile"), r"idaci.*decile"),
        Field("urban_rural", "urban / rural", ("rural_urban", "urban_or_rural", "rural_or_urban", "urbanrural")),
        _DISTRICT,
    ),
    "centres": (
        _CENTRE_ID,
        Field("name", "centre name",
              ("centre_name", "centre", "centre_title", "establishment_name", "site_name", "site", "setting_name",
               "childrens_centre", "children_s_centre", "children_s_centre_name", "childrens_centre_name",
               "name_of_centre", "cc_name", "center_name", "center"),
              r"(centre|center|site|setting).*name|name_of_(centre|center|site)", True),
        _LAT, _LON, _EASTING, _NORTHING,
        Field("postcode", "postcode",
              ("post_code", "postal_code", "pcd", "pcds", "pcd7", "pcd8", "postcode_of_site", "site_postcode",
               "centre_postcode", "address_postcode", "zip", "zip_code", "post_code_of_site"),
              r"post_?code|postal"),
        Field("phase", "phase (1, 2 or 3)", ("centre_phase", "phase_number", "designation_phase", "phase_no",
                                              "sure_start_phase", "wave"), r"phase"),
        Field("on_school_site", "on a school site (yes/no)",
              ("school_site", "on_school", "on_a_school_site", "school", "co_located", "co_located_with_school",
               "located_on_school_site", "school_based", "on_school_site_y_n"), r"school"),
        Field("provider", "provider / lead agency",
              ("lead_agency", "lead", "provider_name", "organisation", "organization", "operator", "run_by",
               "managed_by", "delivered_by", "lead_organisation", "agency"), r"provider|agency|operator"),
        Field("current_budget", "current budget (GBP a year)",
              ("budget", "annual_budget", "budget_gbp", "funding", "allocation", "annual_cost", "cost",
               "current_funding", "grant"), r"budget|funding|allocation"),
        Field("location_quality", "location quality", ("location_note", "geocode_quality", "accuracy")),
        _DISTRICT,
        Field("illustrative", "illustrative (yes/no)", ("is_illustrative", "placeholder")),
    ),
    "assignment": (
        _AREA_ID,
        Field("centre_id", "centre (id or name)",
              (*_CENTRE_ID.synonyms, "centre", "centre_name", "children_s_centre", "childrens_centre",
               "reach_centre", "assigned_centre", "serving_centre", "center", "name"),
              r"centre|center", True),
    ),
    "grouping": (
        Field("centre_id", "centre (id or name)",
              (*_CENTRE_ID.synonyms, "centre", "centre_name", "children_s_centre", "childrens_centre", "center",
               "name"), r"centre|center", True),
        Field("group", "group (lot)", ("lot", "cluster", "group_name", "lot_name", "lot_number", "lot_no",
                                       "cluster_name", "group_id", "lot_id", "locality", "hub", "partnership",
                                       "group_lot"), r"group|(^|_)lot($|_)|cluster", True),
    ),
}
KINDS = tuple(SCHEMAS)


class MappingProposal(dict):
    """A proposed column mapping: ``{canonical: source column or None}`` (a plain dict),
    with ``confidence`` (0-1 per canonical column), ``how`` ("exact", "synonym",
    "pattern", "similar", "values" or "missing"), ``unused`` source columns,
    ``problems`` in plain words and ``needs_review`` (show the user the mapping first).
    """

    def __init__(self, kind: str, mapping: dict, confidence: dict, how: dict, unused: list, problems: list):
        super().__init__(mapping)
        self.kind = kind
        self.confidence = confidence
        self.how = how
        self.unused = unused
        self.problems = problems

    @property
    def needs_review(self) -> bool:
        mapped = [c for c, s in self.items() if s is not None]
        return bool(self.problems) or any(self.confidence[c] < 0.9 for c in mapped)

    def table(self) -> pd.DataFrame:
        """One row per canonical column, for a preview: column, label, required, source, confidence, how."""
        return pd.DataFrame([{"column": f.name, "label": f.label, "required": f.required, "source": self.get(f.name),
                              "confidence": self.confidence.get(f.name, 0.0), "how": self.how.get(f.name, "missing")}
                             for f in SCHEMAS[self.kind]])


def _score(key: str, fld: Field, fuzzy: bool) -> tuple[float, str]:
    if not key:
        return 0.0, ""
    if key == fld.name:
        return 1.0, "exact"
    if key in fld.synonyms:
        return 0.95, "synonym"
    if fld.pattern and re.search(fld.pattern, key):
        return 0.8, "pattern"
    if fuzzy and len(key) >= 3:
        ratio = _similarity(key, (fld.name, *fld.synonyms))
        if ratio >= 0.8:
            return round(0.7 * ratio, 2), "similar"
    return 0.0, ""


def _similarity(key: str, candidates: tuple[str, ...]) -> float:
    """Best difflib ratio of ``key`` against ``candidates``, skipping hopeless ones cheaply."""
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(key)
    best = 0.0
    for cand in candidates:
        matcher.set_seq1(cand)
        if matcher.real_quick_ratio() >= 0.8 and matcher.quick_ratio() >= 0.8:
            best = max(best, matcher.ratio())
    return best


def _text(values: pd.Series) -> pd.Series:
    return pd.Series([plain_text(v) for v in values], index=values.index, dtype=object)


def _numbers(values: pd.Series) -> np.ndarray:
    text = values.astype(str).str.strip().str.replace(",", "", regex=False)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)


POSTCODE_LIKE = r"^\s*[A-Za-z]{1,2}[0-9][0-9A-Za-z]?\s*[0-9][A-Za-z]{2}\s*$"


def propose_mapping(frame: pd.DataFrame, kind: str, *, fuzzy: bool = True) -> MappingProposal:
    """Which column of ``frame`` holds each canonical column of ``kind``
    ("areas", "centres", "assignment", "grouping"), and how sure the match is.

    Headers are compared after normalising case, spaces and punctuation: the
    canonical name scores 1.0, a known synonym 0.95, a looser pattern 0.8, a
    similar spelling (``fuzzy``) at most 0.7. Ambiguous "X"/"Y" columns are
    read as longitude/latitude when their values say so; a column of postcodes
    is found by its values when no header names one.
    """
    if kind not in SCHEMAS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    fields = SCHEMAS[kind]
    columns = [str(c) for c in frame.columns]
    keys = [column_key(c) for c in columns]
    candidates = []
    for fi, fld in enumerate(fields):
        for ci, key in enumerate(keys):
            score, how = _score(key, fld, fuzzy)
            if score > 0:
                candidates.append((-score, fi, ci, how))
    candidates.sort()
    mapping: dict[str, str | None] = {f.name: None for f in fields}
    confidence = {f.name: 0.0 for f in fields}
    how_of = {f.name: "missing" for f in fields}
    used: set[int] = set()
    problems: list[str] = []
    runner_up: dict[str, list[str]] = {}
    for neg, fi, ci, how in candidates:
        name = fields[fi].name
        if mapping[name] is None and ci not in used:
            mapping[name], confidence[name], how_of[name] = columns[ci], -neg, how
            used.add(ci)
        elif mapping[name] is not None and ci not in used and -neg >= 0.8 and -neg >= confidence[name] - 0.05:
            runner_up.setdefault(name, []).append(columns[ci])
    for name, others in runner_up.items():
        if confidence[name] < 1.0:
            confidence[name] = min(confidence[name], 0.85)
            problems.append(f"several columns could be the {_label(kind, name)}: "
                            f"{', '.join(repr(c) for c in [mapping[name], *others])}")

    if {"lat", "lon", "easting", "northing"} <= set(mapping):
        _resolve_xy(frame, mapping, confidence, how_of, keys, columns)
    if kind == "centres" and not _located(mapping):
        for ci, col in enumerate(columns[:200]):
            if ci in used:
                continue
            values = _text(frame.iloc[:200, ci])
            filled = values[values.ne("")]
            if len(filled) and filled.str.match(POSTCODE_LIKE).mean() >= 0.8:
                mapping["postcode"], confidence["postcode"], how_of["postcode"] = col, 0.7, "values"
                used.add(ci)
                break

    problems += _missing_problems(kind, mapping)
    unused = [c for ci, c in enumerate(columns) if ci not in {columns.index(s) for s in mapping.values() if s}]
    return MappingProposal(kind, mapping, confidence, how_of, unused, problems)


def _resolve_xy(frame: pd.DataFrame, mapping: dict, confidence: dict, how_of: dict, keys: list[str],
                columns: list[str]) -> None:
    """"X"/"Y" columns holding longitude/latitude become lon/lat (and say so)."""
    e, n = mapping["easting"], mapping["northing"]
    if e is None or n is None or mapping["lat"] or mapping["lon"]:
        return
    if keys[columns.index(e)] not in AMBIGUOUS_XY or keys[columns.index(n)] not in AMBIGUOUS_XY:
        return
    x = _numbers(frame.iloc[:, columns.index(e)])
    y = _numbers(frame.iloc[:, columns.index(n)])
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.any() and geo.looks_like_lat_lon(y[ok], x[ok]).mean() >= 0.9:
        mapping["lon"], mapping["lat"] = e, n
        mapping["easting"] = mapping["northing"] = None
        for a, b in (("lon", "easting"), ("lat", "northing")):
            confidence[a], how_of[a] = 0.9, "values"
            confidence[b], how_of[b] = 0.0, "missing"


def _located(mapping: Mapping[str, str | None]) -> bool:
    return bool((mapping.get("lat") and mapping.get("lon")) or (mapping.get("easting") and mapping.get("northing"))
                or mapping.get("postcode"))


def _label(kind: str, name: str) -> str:
    return next(f.label for f in SCHEMAS[kind] if f.name == name)


def _missing_problems(kind: str, mapping: Mapping[str, str | None]) -> list[str]:
    out = []
    for fld in SCHEMAS[kind]:
        if not fld.required or mapping.get(fld.name):
            continue
        if kind == "centres" and fld.name == "name" and mapping.get("centre_id"):
            continue
        out.append(f"no column for the {fld.label}")
    if kind in ("areas", "centres") and not _located(mapping):
        out.append("no location columns: give latitude and longitude, or easting and northing"
                   + (", or a postcode" if kind == "centres" else ""))
    for a, b in (("lat", "lon"), ("easting", "northing")):
        if bool(mapping.get(a)) != bool(mapping.get(b)):
            have, lack = (a, b) if mapping.get(a) else (b, a)
            out.append(f"a {_label(kind, have)} column but no {_label(kind, lack)} column")
    return out


def apply_mapping(frame: pd.DataFrame, mapping: Mapping[str, str | None], file_name: str = "upload") -> pd.DataFrame:
    """The canonical columns of ``frame`` under ``mapping`` (canonical -> source column or None).

    Unmapped columns are dropped; the index (row numbers) is kept and the
    source header of each canonical column is kept in ``attrs["source_columns"]``
    so that errors name the column as the user's file heads it.
    """
    positions: dict[str, int] = {}
    for pos, col in enumerate(frame.columns):
        positions.setdefault(str(col), pos)
    out = pd.DataFrame(index=frame.index)
    sources: dict[str, str] = {}
    problems = Problems(file_name)
    for canonical, source in mapping.items():
        if source is None or source == "":
            continue
        if str(source) not in positions:
            problems.add(f"there is no column {source!r} to use as {canonical}", column=str(source))
            continue
        out[canonical] = frame.iloc[:, positions[str(source)]].to_numpy()
        sources[canonical] = str(source)
    problems.raise_if_any()
    out.attrs["source_columns"] = sources
    return out


def _canonical_frame(frame: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, dict[str, str]]:
    if "source_columns" in frame.attrs:
        return frame, dict(frame.attrs["source_columns"])
    mapped = apply_mapping(frame, propose_mapping(frame, kind, fuzzy=False))
    return mapped, dict(mapped.attrs["source_columns"])


def _located_error(sources: dict[str, str]):
    def rename(err: DataError) -> DataError:
        return err.renamed(sources)
    return rename


def _missing(kind: str, name: str, frame: pd.DataFrame, file_name: str, original: list[str]) -> DataError:
    fld = next(f for f in SCHEMAS[kind] if f.name == name)
    examples = ", ".join(repr(s) for s in (fld.name, *fld.synonyms[:2]))
    found = ", ".join(repr(c) for c in original[:12]) + (", ..." if len(original) > 12 else "")
    return DataError(file_name, f"no column for the {fld.label} (a header such as {examples}); "
                     f"the file has: {found or 'no columns'}", column=name)


# --- validation -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Dataset:
    """Areas and centres of one county, validated, with projected coordinates."""

    name: str
    areas: pd.DataFrame
    centres: pd.DataFrame
    reach_assignment: pd.Series | None = None  # area_id -> centre_id, when the data gives one
    boundaries: Path | dict | None = None  # a GeoJSON file, or a FeatureCollection (lib.boundaries)
    notes: tuple[str, ...] = field(default_factory=tuple)
    source_report: tuple[dict, ...] = ()  # what the source itself reported (lib.register: postcodes not found, ...)

    @property
    def children(self) -> int:
        return int(self.areas["children"].sum())


def _check_cap(n: int, max_rows: int | None, file_name: str) -> None:
    if max_rows is not None and n > max_rows:
        raise DataError(file_name, row_cap_message(max_rows))


def validate_areas(frame: pd.DataFrame, file_name: str, *, max_rows: int | None = MAX_AREA_ROWS) -> pd.DataFrame:
    """Canonical, checked areas table (raises :class:`DataError` listing every problem).

    Checks: required columns, unique ids, children >= 0 whole numbers,
    IMD decile in 1..10, coordinates in England (lat/lon or BNG); at most
    ``max_rows`` rows.
    """
    _check_cap(len(frame), max_rows, file_name)
    rows = row_numbers(frame)
    original = [str(c) for c in frame.columns]
    frame, sources = _canonical_frame(frame, "areas")
    try:
        return _validate_areas(frame.reset_index(drop=True), file_name, rows, original, sources)
    except DataError as err:
        raise _located_error(sources)(err) from None


def _validate_areas(frame: pd.DataFrame, file_name: str, rows: np.ndarray, original: list[str],
                    sources: dict[str, str]) -> pd.DataFrame:
    if len(frame) == 0:
        raise DataError(file_name, "has a header but no rows of data")
    missing = Problems(file_name)
    for col in ("area_id", "name"):
        if col not in frame:
            missing.add_error(_missing("areas", col, frame, file_name, original))
    if not ({"lat", "lon"} <= set(frame.columns) or {"easting", "northing"} <= set(frame.columns)):
        missing.add("no coordinates: give lat and lon, or easting and northing (EPSG:27700)", column="lat")
    for col in ("children", "imd_decile"):
        if col not in frame:
            missing.add_error(_missing("areas", col, frame, file_name, original))
    missing.raise_if_any()  # without these columns the values cannot be checked

    problems = Problems(file_name)
    frame = _coordinates(frame, file_name, rows, problems)
    duplicate_check(frame["area_id"], file_name, "area_id", rows, problems=problems)
    children = numeric_column(frame, "children", file_name, rows=rows, problems=problems)
    _check_range(children, 0, None, file_name, "children", "a negative count", rows, problems)
    _check_range(children, None, MAX_CHILDREN_PER_AREA, file_name, "children", "an implausibly large count", rows,
                 problems)
    decile = numeric_column(frame, "imd_decile", file_name, rows=rows, problems=problems)
    in_range = ~_check_range(decile, 1, 10, file_name, "imd_decile", "an IMD decile outside 1-10", rows, problems)
    _check_whole(np.where(in_range, decile, np.nan), file_name, "imd_decile", "an IMD decile", rows, problems)
    score = idaci = None
    if "imd_score" in frame:
        score = numeric_column(frame, "imd_score", file_name, required=False, rows=rows, problems=problems)
    if "idaci_decile" in frame:
        idaci = numeric_column(frame, "idaci_decile", file_name, required=False, rows=rows, problems=problems)
        _check_range(idaci, 1, 10, file_name, "idaci_decile", "an IDACI decile outside 1-10", rows, problems)
    problems.raise_if_any()

    out = pd.DataFrame({
        "area_id": text_column(frame, "area_id"),
        "name": text_column(frame, "name"),
        "lat": frame["lat"].astype(float), "lon": frame["lon"].astype(float),
        "children": children.round().astype(np.int64),
        "imd_decile": decile.astype(np.int64),
    })
    if score is not None:
        out["imd_score"] = score
    if idaci is not None:
        out["idaci_decile"] = idaci
    for col in ("urban_rural", "district"):
        if col in frame:
            out[col] = text_column(frame, col)
    out["x"], out["y"] = geo.to_bng(out["lat"].to_numpy(), out["lon"].to_numpy())
    _remember_rows(out, rows, file_name, sources)
    return out


def _remember_rows(out: pd.DataFrame, rows: np.ndarray, file_name: str, sources: dict[str, str]) -> None:
    """Keep the spreadsheet row of each output row and the user's headers (for later messages),
    cheaply: rows only when they are not simply 2, 3, 4..., as bytes (immutable, so pandas copies
    them for free)."""
    out.attrs["file_name"] = file_name
    out.attrs["source_headers"] = tuple(sorted(sources.items()))
    if not np.array_equal(rows, np.arange(len(rows)) + 2):
        out.attrs["source_rows"] = np.asarray(rows, np.int64).tobytes()


def validate_centres(frame: pd.DataFrame, file_name: str, *, max_rows: int | None = MAX_CENTRE_ROWS
                     ) -> pd.DataFrame:
    """Canonical, checked centres table (raises :class:`DataError` listing every problem).

    Each row is located by lat/lon, else easting/northing (EPSG:27700), else its
    postcode (offline gazetteer; a terminated postcode falls back to its LSOA's
    population-weighted centroid, noted in ``location_quality``).
    ``phase`` is 1, 2, 3 or blank (unknown); ``on_school_site`` is yes/no/blank.
    At most ``max_rows`` centres.
    """
    _check_cap(len(frame), max_rows, file_name)
    rows = row_numbers(frame)
    original = [str(c) for c in frame.columns]
    frame, sources = _canonical_frame(frame, "centres")
    try:
        return _validate_centres(frame.reset_index(drop=True), file_name, rows, original, sources)
    except DataError as err:
        raise _located_error(sources)(err) from None


def _validate_centres(frame: pd.DataFrame, file_name: str, rows: np.ndarray, original: list[str],
                      sources: dict[str, str]) -> pd.DataFrame:
    if len(frame) == 0:
        raise DataError(file_name, "has a header but no rows of data")
    frame = frame.copy()
    if "name" not in frame and "centre_id" in frame:
        frame["name"] = frame["centre_id"]
    if "name" not in frame:
        raise _missing("centres", "name", frame, file_name, original)
    if "centre_id" not in frame:
        frame["centre_id"] = _unique_slugs(text_column(frame, "name"))
    for col in ("phase", "on_school_site"):
        if col not in frame:
            frame[col] = ""
    problems = Problems(file_name)
    lat, lon, quality, postcode = _centre_locations(frame, file_name, rows, sources, problems)
    duplicate_check(frame["centre_id"], file_name, "centre_id", rows, problems=problems)
    phase = numeric_column(frame, "phase", file_name, required=False, rows=rows, problems=problems)
    raw_phase = frame["phase"]
    problems.add_rows(~np.isnan(phase) & ~np.isin(phase, [1, 2, 3]), rows, "phase",
                      lambda i: f"phase must be 1, 2, 3 or blank, not {raw_phase.iloc[i]!r}")
    on_school = _yes_no(frame["on_school_site"], file_name, "on_school_site", rows, problems)
    budget = None
    if "current_budget" in frame:
        budget = numeric_column(frame, "current_budget", file_name, required=False, rows=rows, money=True,
                                problems=problems)
        _check_range(budget, 0, None, file_name, "current_budget", "a negative budget", rows, problems)
    illustrative = _yes_no(frame["illustrative"], file_name, "illustrative", rows, problems) \
        if "illustrative" in frame else None
    problems.raise_if_any()

    out = pd.DataFrame({
        "centre_id": text_column(frame, "centre_id"),
        "name": text_column(frame, "name"),
        "lat": lat, "lon": lon,
        "phase": pd.array(np.where(np.isnan(phase), pd.NA, phase), dtype="Int64"),
        "on_school_site": on_school,
    })
    out["provider"] = text_column(frame, "provider") if "provider" in frame else ""
    if budget is not None:
        out["current_budget"] = budget
    supplied = text_column(frame, "location_quality") if "location_quality" in frame else \
        pd.Series("as supplied", index=out.index, dtype=object)
    supplied = supplied.where(supplied.ne(""), "as supplied")
    out["location_quality"] = np.where(pd.isna(quality), supplied.to_numpy(), quality)
    if "district" in frame:
        out["district"] = text_column(frame, "district")
    out["illustrative"] = illustrative.fillna(False).astype(bool) if illustrative is not None else False
    if postcode is not None:
        out["postcode"] = postcode
    out["x"], out["y"] = geo.to_bng(out["lat"].to_numpy(), out["lon"].to_numpy())
    _remember_rows(out, rows, file_name, sources)
    return out


def _unique_slugs(names: pd.Series) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        base = slug(name) if name else "centre"
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out


def _own(problems: Problems | None, file_name: str) -> tuple[Problems, bool]:
    """The collector to add to, and whether the caller must raise it (it made its own)."""
    return (Problems(file_name), True) if problems is None else (problems, False)


def _yes_no(values: pd.Series, file_name: str, column: str, rows: np.ndarray | None = None,
            problems: Problems | None = None) -> pd.Series:
    found, own = _own(problems, file_name)
    row_no = rows if rows is not None else np.arange(len(values)) + 2
    text = values.map(lambda v: "" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                      else str(v)).str.strip().str.lower()
    known = text.isin(YES | NO) | text.isin(["", "nan", "unknown", "<na>", "-", "n/a", "not known"])
    found.add_rows(~known.to_numpy(), row_no, column, lambda i: f"expected yes/no, not {values.iloc[i]!r}")
    if own:
        found.raise_if_any()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(YES)] = True
    out[text.isin(NO)] = False
    return out


def _check_range(values: np.ndarray, low: float | None, high: float | None, file_name: str,
                 column: str, what: str, rows: np.ndarray | None = None,
                 problems: Problems | None = None) -> np.ndarray:
    """Every value below ``low`` or above ``high`` (NaN passes); returns the mask of bad values."""
    found, own = _own(problems, file_name)
    bad = np.zeros(len(values), bool)
    with np.errstate(invalid="ignore"):
        if low is not None:
            bad |= values < low
        if high is not None:
            bad |= values > high
    row_no = np.asarray(rows, np.int64) if rows is not None else np.array([sheet_row(i) for i in range(len(values))])
    found.add_rows(bad, row_no, column, lambda i: f"{what} ({values[i]:g})")
    if own:
        found.raise_if_any()
    return bad


def _check_whole(values: np.ndarray, file_name: str, column: str, what: str, rows: np.ndarray,
                 problems: Problems | None = None) -> None:
    found, own = _own(problems, file_name)
    bad = np.isfinite(values) & (values != np.round(values))
    found.add_rows(bad, rows, column, lambda i: f"{what} must be a whole number, not {values[i]:g}")
    if own:
        found.raise_if_any()


def _lat_lon_problem(lat: float, lon: float) -> tuple[str, str]:
    """(column, message) for coordinates outside England given as latitude/longitude."""
    col = "lat" if not (geo.ENGLAND_LAT[0] <= lat <= geo.ENGLAND_LAT[1]) else "lon"
    swapped_bng = geo.looks_like_bng(lat, lon) | geo.looks_like_bng(lon, lat)
    if swapped_bng and abs(lat) > 90:
        return col, (f"{lat:g}, {lon:g} look like easting/northing (British National Grid), "
                     "not latitude/longitude: name the columns easting and northing")
    if geo.looks_like_lat_lon(lon, lat):
        return col, f"latitude and longitude look swapped ({lat:g}, {lon:g})"
    return col, f"coordinates {lat:g}, {lon:g} are outside England"


def _check_lat_lon(lat: np.ndarray, lon: np.ndarray, file_name: str, rows: np.ndarray,
                   problems: Problems | None = None) -> None:
    found, own = _own(problems, file_name)
    outside = ~geo.looks_like_lat_lon(lat, lon) & np.isfinite(lat) & np.isfinite(lon)
    found.add_rows(outside, rows, lambda i: _lat_lon_problem(lat[i], lon[i])[0],
                   lambda i: _lat_lon_problem(lat[i], lon[i])[1])
    if own:
        found.raise_if_any()


def _check_bng(e: np.ndarray, n: np.ndarray, file_name: str, rows: np.ndarray,
               problems: Problems | None = None) -> None:
    found, own = _own(problems, file_name)
    outside = ~geo.looks_like_bng(e, n) & np.isfinite(e) & np.isfinite(n)

    def message(i: int) -> str:
        if geo.looks_like_lat_lon(e[i], n[i]) or geo.looks_like_lat_lon(n[i], e[i]):
            return f"{e[i]:g}, {n[i]:g} look like latitude/longitude, not easting/northing"
        return f"easting/northing {e[i]:g}, {n[i]:g} are outside England"

    found.add_rows(outside, rows, "easting", message)
    if own:
        found.raise_if_any()


def _coordinates(frame: pd.DataFrame, file_name: str, rows: np.ndarray | None = None,
                 problems: Problems | None = None) -> pd.DataFrame:
    """Fill lat/lon from lat/lon or easting/northing, and check they are in England.

    Easting/northing typed into lat/lon columns (values in the thousands) are
    caught and named as such.
    """
    found, own = _own(problems, file_name)
    rows = rows if rows is not None else np.arange(len(frame)) + 2
    frame = frame.copy()
    if "lat" in frame and "lon" in frame:
        lat = numeric_column(frame, "lat", file_name, rows=rows, problems=found)
        lon = numeric_column(frame, "lon", file_name, rows=rows, problems=found)
        _check_lat_lon(lat, lon, file_name, rows, found)
        frame["lat"], frame["lon"] = lat, lon
    elif "easting" in frame and "northing" in frame:
        e = numeric_column(frame, "easting", file_name, rows=rows, problems=found)
        n = numeric_column(frame, "northing", file_name, rows=rows, problems=found)
        _check_bng(e, n, file_name, rows, found)
        frame["lat"], frame["lon"] = geo.to_wgs84(e, n)
    else:
        raise DataError(file_name, "no coordinates: give lat and lon, or easting and northing (EPSG:27700)",
                        column="lat")
    if own:
        found.raise_if_any()
    return frame


def _centre_locations(frame: pd.DataFrame, file_name: str, rows: np.ndarray, sources: dict[str, str],
                      problems: Problems | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Row by row: lat/lon, else easting/northing, else postcode. Returns lat, lon,
    the geocoder's quality (NaN where the row gave coordinates) and formatted postcodes.
    A row with a problem (a bad number, half a pair, an unknown postcode) is reported
    once and left NaN."""
    found, own = _own(problems, file_name)
    n = len(frame)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    quality = np.full(n, np.nan, dtype=object)
    has = {c: c in frame for c in ("lat", "lon", "easting", "northing", "postcode")}
    if not ((has["lat"] and has["lon"]) or (has["easting"] and has["northing"]) or has["postcode"]):
        for a, b in (("lat", "lon"), ("lon", "lat"), ("easting", "northing"), ("northing", "easting")):
            if has[a] and not has[b]:
                raise DataError(file_name, f"there is a {a} column but no {b} column", column=b)
        raise DataError(file_name, "no location: give lat and lon, easting and northing (EPSG:27700), or a postcode",
                        column="lat")
    todo = np.ones(n, bool)
    for a, b in (("lat", "lon"), ("easting", "northing")):
        if not (has[a] and has[b]):
            continue
        u = numeric_column(frame, a, file_name, required=False, rows=rows, problems=found)
        v = numeric_column(frame, b, file_name, required=False, rows=rows, problems=found)
        given_u, given_v = ~blank_cells(frame, a), ~blank_cells(frame, b)
        unreadable = todo & ((given_u & np.isnan(u)) | (given_v & np.isnan(v)))  # reported as "not a number"
        half = todo & ~unreadable & (given_u ^ given_v)
        found.add_rows(half, rows, lambda i, a=a, b=b, gv=given_v: b if not gv[i] else a,
                       lambda i, a=a, b=b, gv=given_v: (f"{b} is missing (the row gives {a})" if not gv[i]
                                                        else f"{a} is missing (the row gives {b})"))
        use = todo & np.isfinite(u) & np.isfinite(v)
        if a == "lat":
            _check_lat_lon(np.where(use, u, np.nan), np.where(use, v, np.nan), file_name, rows, found)
            lat[use], lon[use] = u[use], v[use]
        elif use.any():
            _check_bng(np.where(use, u, np.nan), np.where(use, v, np.nan), file_name, rows, found)
            lat[use], lon[use] = geo.to_wgs84(u[use], v[use])
        todo &= ~(use | unreadable | half)
    postcode = None
    if has["postcode"]:
        from lib import geocode

        codes = text_column(frame, "postcode")
        given = codes.ne("").to_numpy()
        need = todo & given
        if need.any():
            located = geocode.geocode_postcodes(codes[need].tolist(), file_name=file_name, column="postcode",
                                                rows=rows[need], problems=found)
            lat[need], lon[need] = located["lat"].to_numpy(), located["lon"].to_numpy()
            quality[need] = located["quality"].to_numpy()
            todo &= ~need
        postcode = np.array([geocode.format_postcode(p) for p in geocode.normalise(codes)], dtype=object)
    col = "postcode" if has["postcode"] else "lat" if has["lat"] else "easting"
    found.add_rows(todo, rows, col, "no location: give lat and lon, easting and northing, or a postcode")
    if own:
        found.raise_if_any()
    return lat, lon, quality, postcode


def slug(text: object) -> str:
    """A stable id from a name: lower case words joined by '-'."""
    return column_key(text).replace("_", "-")[:60] or "centre"


# --- reach-area assignment and existing grouping --------------------------------------------

def _match_ids(values: pd.Series, ids: pd.Series, names: pd.Series | None, file_name: str, column: str,
               rows: np.ndarray, what: str, problems: Problems | None = None) -> list[str | None]:
    """Each value as a known id: exact, then ignoring case/spaces, then (if ``names``) by unique name.
    A value that matches nothing is a problem (every one is reported) and None in the result."""
    found, own = _own(problems, file_name)
    exact = set(ids)
    folded = {str(i).strip().lower(): i for i in ids}
    by_name: dict[str, str | None] = {}
    if names is not None:
        for i, nm in zip(ids, names, strict=True):
            key = str(nm).strip().lower()
            by_name[key] = i if key not in by_name else None  # None: two centres share the name
    choices: list[str] | None = None
    out: list[str | None] = []
    for pos, value in enumerate(values):
        v = str(value).strip()
        hit = v if v in exact else folded.get(v.lower()) or by_name.get(v.lower())
        if hit is None:
            row = int(rows[pos])
            if not found.accepts(row):
                found.more += 1
            elif v.lower() in by_name:
                found.add(f"{v!r} is the name of more than one {what}: use the {what} id", row, column)
            else:
                choices = [str(i) for i in ids] if choices is None else choices
                close = difflib.get_close_matches(v, choices, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                found.add(f"{what} {v!r} is not in the {what}s data{hint}", row, column)
        out.append(hit)
    if own:
        found.raise_if_any()
    return out


def validate_assignment(frame: pd.DataFrame, areas: pd.DataFrame, centres: pd.DataFrame,
                        file_name: str, *, max_rows: int | None = MAX_AREA_ROWS) -> pd.Series:
    """A reach-area assignment (area_id -> centre_id) checked against the areas and centres.

    Centres may be given by id or by (unique) name. Areas the file omits, or whose
    centre is blank, go to their nearest centre; an area listed twice with two
    different centres is an error. Every problem is reported (one :class:`DataError`).
    """
    _check_cap(len(frame), max_rows, file_name)
    rows = row_numbers(frame)
    original = [str(c) for c in frame.columns]
    frame, sources = _canonical_frame(frame, "assignment")
    try:
        frame = frame.reset_index(drop=True)
        missing = Problems(file_name)
        for col in ("area_id", "centre_id"):
            if col not in frame:
                missing.add_error(_missing("assignment", col, frame, file_name, original))
        missing.raise_if_any()
        problems = Problems(file_name)
        area = text_column(frame, "area_id")
        centre = text_column(frame, "centre_id")
        keep = (area.ne("") & centre.ne("")).to_numpy()
        problems.add_rows((area.eq("") & centre.ne("")).to_numpy(), rows, "area_id", "area id is blank")
        area_ids = _match_ids(area[keep], areas["area_id"], None, file_name, "area_id", rows[keep], "area", problems)
        centre_ids = _match_ids(centre[keep], centres["centre_id"], centres["name"], file_name, "centre_id",
                                rows[keep], "centre", problems)
        seen: dict[str, tuple[str, int]] = {}
        for a, c, r in zip(area_ids, centre_ids, rows[keep].tolist(), strict=True):
            if a is None or c is None:
                continue
            if a in seen and seen[a][0] != c:
                if problems.accepts(r):
                    problems.add(f"area {a!r} is already assigned to {seen[a][0]!r} at row {seen[a][1]}", r,
                                 "centre_id")
                else:
                    problems.more += 1
            seen.setdefault(a, (c, int(r)))
        problems.raise_if_any()
        if not seen:
            raise DataError(file_name, "no area is assigned to a centre")
        return pd.Series({a: c for a, (c, _) in seen.items()}, name="centre_id", dtype=object)
    except DataError as err:
        raise _located_error(sources)(err) from None


def validate_grouping(frame: pd.DataFrame, centres: pd.DataFrame, file_name: str, *,
                      max_rows: int | None = MAX_CENTRE_ROWS) -> dict[str, str]:
    """An existing grouping (centre_id -> group / lot), checked against the centres.

    Centres may be given by id or (unique) name. A centre listed twice in two
    groups, or with a blank group, is an error; centres the file omits are absent
    from the result (the caller decides, e.g. a group of one each). Every problem
    is reported (one :class:`DataError`).
    """
    _check_cap(len(frame), max_rows, file_name)
    rows = row_numbers(frame)
    original = [str(c) for c in frame.columns]
    frame, sources = _canonical_frame(frame, "grouping")
    try:
        frame = frame.reset_index(drop=True)
        missing = Problems(file_name)
        for col in ("centre_id", "group"):
            if col not in frame:
                missing.add_error(_missing("grouping", col, frame, file_name, original))
        missing.raise_if_any()
        centre = text_column(frame, "centre_id")
        group = text_column(frame, "group")
        keep = centre.ne("").to_numpy()
        if not keep.any():
            raise DataError(file_name, "no centre is listed", column="centre_id")
        problems = Problems(file_name)
        problems.add_rows(keep & group.eq("").to_numpy(), rows, "group",
                          "group is blank: give every centre a group (a group of one is fine)")
        ids = _match_ids(centre[keep], centres["centre_id"], centres["name"], file_name, "centre_id", rows[keep],
                         "centre", problems)
        out: dict[str, str] = {}
        first: dict[str, int] = {}
        for cid, g, r in zip(ids, group[keep], rows[keep].tolist(), strict=True):
            if cid is None or g == "":
                continue
            if cid in out and out[cid] != g:
                if problems.accepts(r):
                    problems.add(f"centre {cid!r} is already in group {out[cid]!r} (row {first[cid]}); a centre is "
                                 "in exactly one group", r, "group")
                else:
                    problems.more += 1
            out.setdefault(cid, g)
            first.setdefault(cid, int(r))
        problems.raise_if_any()
        return out
    except DataError as err:
        raise _located_error(sources)(err) from None


# --- loaders -----------------------------------------------------------------------------

def _name(source: object, file_name: str | None) -> str:
    if file_name:
        return file_name
    if isinstance(source, (str, Path)):
        return Path(str(source)).name
    return str(getattr(source, "name", "") or "upload")


def load_areas(path: object, file_name: str | None = None, sheet: str | int = 0, *,
               max_rows: int | None = MAX_AREA_ROWS) -> pd.DataFrame:
    """Read and validate an areas file (CSV/XLSX; path, bytes or upload).

    A published file as it is (MHCLG IoD2019 File 7, ONS LSOA population
    estimates) is recognised and completed from the bundled England data
    (see :mod:`lib.published`). More than ``max_rows`` rows of data are refused
    while the file is read.
    """
    name = _name(path, file_name)
    raw, name = read_source(path, name)
    table = read_table(raw, name, sheet, max_rows=max_rows)
    try:
        return validate_areas(table, name, max_rows=max_rows)
    except DataError as err:
        if any(p.row is not None for p in err.problems):
            raise
        from lib import published

        try:
            found = published.read_published(raw, name, None if sheet == 0 else sheet, max_rows=max_rows)
        except DataError:
            raise err from None
        return published.published_areas([found]).areas


def read_centres_table(source: object, file_name: str | None = None, sheet: str | int = 0, *,
                       max_rows: int | None = MAX_CENTRE_ROWS) -> pd.DataFrame:
    """The raw table of a centres file (for a column-mapping preview), refused while it is
    read when it has more than ``max_rows`` rows of data: ``read_table`` with the centres cap."""
    return read_table(source, _name(source, file_name), sheet, max_rows=max_rows)


def load_centres(path: object, file_name: str | None = None, sheet: str | int = 0, *,
                 max_rows: int | None = MAX_CENTRE_ROWS) -> pd.DataFrame:
    """Read and validate a centres file (CSV/XLSX; path, bytes or upload); more than
    ``max_rows`` rows of data are refused while the file is read."""
    name = _name(path, file_name)
    return validate_centres(read_table(path, name, sheet, max_rows=max_rows), name, max_rows=max_rows)


def load_assignment(source: object, areas: pd.DataFrame, centres: pd.DataFrame, file_name: str | None = None,
                    sheet: str | int = 0, *, max_rows: int | None = MAX_AREA_ROWS) -> pd.Series:
    """Read and validate a reach-area assignment file (area -> centre)."""
    name = _name(source, file_name)
    return validate_assignment(read_table(source, name, sheet, max_rows=max_rows), areas, centres, name,
                               max_rows=max_rows)


def load_grouping(source: object, centres: pd.DataFrame, file_name: str | None = None,
                  sheet: str | int = 0, *, max_rows: int | None = MAX_CENTRE_ROWS) -> dict[str, str]:
    """Read and validate an existing grouping file (centre -> group)."""
    name = _name(source, file_name)
    return validate_grouping(read_table(source, name, sheet, max_rows=max_rows), centres, name, max_rows=max_rows)


def _source_rows(table: pd.DataFrame) -> np.ndarray:
    raw = table.attrs.get("source_rows")
    rows = np.frombuffer(raw, np.int64) if isinstance(raw, bytes) else None
    if rows is not None and len(rows) == len(table):
        return rows
    return np.arange(len(table), dtype=np.int64) + 2


def check_centres_in_areas(centres: pd.DataFrame, areas: pd.DataFrame, file_name: str,
                           max_km: float = 20.0) -> None:
    """A centre more than ``max_km`` from every area centroid is in the wrong county (every one is named)."""
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(np.c_[areas["x"], areas["y"]]).query(np.c_[centres["x"], centres["y"]])
    far = dist / 1000 > max_km
    if not far.any():
        return
    headers = dict(centres.attrs.get("source_headers", ()))
    has_postcode = "postcode" in centres

    def column(i: int) -> str:
        col = "postcode" if has_postcode and centres["postcode"].iloc[i] else "lat"
        return headers.get(col, col)

    problems = Problems(file_name)
    problems.add_rows(far, _source_rows(centres), column,
                      lambda i: f"centre {centres['name'].iloc[i]!r} is {dist[i] / 1000:.0f} km from the nearest "
                      "area: is it in this county?")
    problems.raise_if_any()


ENGLAND_NUMBERS = ("pwc_lat", "pwc_lon", "pop_0_4_mid2020", "imd_score", "imd_decile", "idaci_decile")
ENGLAND_COLUMNS = ("lsoa11cd", "lsoa11nm", "lad19nm", "county_ua_name", *ENGLAND_NUMBERS, "urban_rural")


def england_areas() -> pd.DataFrame:
    """All 32,844 English LSOAs (2011) with canonical columns and ``county``."""
    return handed_out(_england_areas())


@lru_cache(maxsize=1)
def _england_areas() -> pd.DataFrame:
    # only the columns the app uses, numbers read as numbers: the same checks, a third of the time
    raw = pd.read_csv(DATA_DIR / "england_lsoa11.csv.gz", usecols=ENGLAND_COLUMNS, keep_default_na=False,
                      dtype={c: (float if c in ENGLAND_NUMBERS else str) for c in ENGLAND_COLUMNS})
    areas = validate_areas(raw, "england_lsoa11.csv.gz")
    areas["county"] = raw["county_ua_name"].to_numpy()
    areas.attrs.clear()
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
    """The embedded Norfolk default: 538 real LSOAs and the 54-centre network of 2011.

    The 15 centres open in 2025 stand at their register postcode; the others at approximate
    town points or illustrative placements (the documented p-median rule, see
    ``scripts/build_norfolk_centres.py``).
    """
    ds = _load_default()
    return replace(ds, areas=handed_out(ds.areas), centres=handed_out(ds.centres))


@lru_cache(maxsize=1)
def _load_default() -> Dataset:
    areas = load_areas(DATA_DIR / "norfolk_lsoa.csv")
    centres = load_centres(DATA_DIR / "norfolk_centres.csv")
    extra = pd.read_csv(DATA_DIR / "norfolk_centres.csv", dtype=str, keep_default_na=False)
    for col in ("status_2019", "kind", "address", "register_name"):
        centres[col] = extra[col].to_numpy()
    return Dataset(
        name=DEFAULT_COUNTY, areas=areas, centres=centres,
        boundaries=DATA_DIR / "norfolk_lsoa.geojson",
        notes=("The 2011 network of 54 centres that the 2019 decisions were about. Names are real (researched "
               "list). The 15 still open in 2025 (the 2019 bases) stand at their postcode from the DfE register "
               "(a unit-postcode point, not the building); the others at approximate town points or illustrative "
               "placements, never exact addresses.",),
    )


def boundaries_geojson(dataset: Dataset) -> dict:
    """LSOA polygons (WGS84 GeoJSON FeatureCollection) for the dataset's areas.

    The dataset's own boundaries when it has them (a file or a FeatureCollection),
    otherwise the bundled England LSOA 2011 polygons (invalid ones repaired).
    """
    if isinstance(dataset.boundaries, dict):
        return dataset.boundaries
    if dataset.boundaries is not None:
        return json.loads(Path(dataset.boundaries).read_text())
    from lib.boundaries import england_boundaries

    return england_boundaries(dataset.areas["area_id"])


# --- data quality ---------------------------------------------------------------------------

def quality_report(dataset: Dataset, outside_km: float = 10.0) -> list[dict]:
    """Things an officer should check, in plain words: a list of
    ``{"kind", "table", "message", "rows"}`` where ``rows`` are the ids concerned.

    Kinds: "centre outside the county" (farther than ``outside_km`` from every
    area centroid), "area with no children", "duplicate id", "duplicate centre
    name", "shared site" (centres at the same point), "terminated postcode"
    (placed at an LSOA centroid), "illustrative centre", "approximate location",
    "assignment gap" (areas the given reach assignment omits), "centre with no
    reach area" and "area without boundary"; first, what the source reported itself
    (``Dataset.source_report``).
    """
    from scipy.spatial import cKDTree

    areas, centres = dataset.areas, dataset.centres
    out: list[dict] = [dict(r) for r in dataset.source_report]  # e.g. the register's postcodes not found

    def add(kind: str, table: str, ids: list, message: str) -> None:
        ids = [str(i) for i in ids]
        if ids:
            shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            out.append({"kind": kind, "table": table, "rows": ids, "message": message.format(n=len(ids),
                                                                                             ids=shown)})

    for table, frame, col in (("areas", areas, "area_id"), ("centres", centres, "centre_id")):
        ids = _text(frame[col])
        dup = ids[ids.duplicated(keep=False)]
        add("duplicate id", table, sorted(set(dup)), "{n} " + table[:-1] + " id(s) used more than once: {ids}")
    names = _text(centres["name"]).str.lower()
    dup_names = centres.loc[names.duplicated(keep=False), "centre_id"].tolist()
    add("duplicate centre name", "centres", dup_names, "{n} centres share a name with another centre: {ids}")
    if len(areas) and len(centres):
        dist, _ = cKDTree(np.c_[areas["x"], areas["y"]]).query(np.c_[centres["x"], centres["y"]])
        far = centres.loc[dist / 1000 > outside_km, "centre_id"].tolist()
        add("centre outside the county", "centres", far,
            "{n} centre(s) more than " + f"{outside_km:g}" + " km from every area: {ids}. Are they in this county?")
    add("area with no children", "areas", areas.loc[areas["children"] <= 0, "area_id"].tolist(),
        "{n} area(s) with no children aged 0-4: {ids}")
    site = pd.Series(list(zip(centres["x"].round(0), centres["y"].round(0), strict=True)), index=centres.index)
    shared = centres.loc[site.duplicated(keep=False), "centre_id"].tolist()
    add("shared site", "centres", shared, "{n} centres share a site (the same coordinates) with another: {ids}")
    quality = _text(centres.get("location_quality", pd.Series("", index=centres.index)))
    add("terminated postcode", "centres", centres.loc[quality.str.startswith("terminated postcode"),
                                                      "centre_id"].tolist(),
        "{n} centre(s) have a postcode that no longer exists and were placed at the centre of its "
        "LSOA: {ids}")
    add("illustrative centre", "centres",
        centres.loc[centres.get("illustrative", pd.Series(False, index=centres.index)).astype(bool),
                    "centre_id"].tolist(),
        "{n} centre(s) are illustrative placements, not real sites: {ids}")
    add("approximate location", "centres", centres.loc[quality.str.startswith("approximate"), "centre_id"].tolist(),
        "{n} centre(s) stand at an approximate point (a town or village), not their building: {ids}")
    if dataset.reach_assignment is not None:
        given = dataset.reach_assignment
        add("assignment gap", "areas", areas.loc[~areas["area_id"].isin(given.index), "area_id"].tolist(),
            "{n} area(s) are not in the reach-area assignment and go to their nearest centre: {ids}")
        add("centre with no reach area", "centres",
            centres.loc[~centres["centre_id"].isin(set(given.to_numpy())), "centre_id"].tolist(),
            "{n} centre(s) have no area in the reach-area assignment: {ids}")
    if isinstance(dataset.boundaries, dict):
        have = {str(f.get("properties", {}).get("lsoa11cd")) for f in dataset.boundaries.get("features", [])}
        add("area without boundary", "areas", areas.loc[~areas["area_id"].isin(have), "area_id"].tolist(),
            "{n} area(s) have no polygon in the boundaries file: {ids}")
    return out
