"""Fuzzing the loaders: whatever comes in, the only exception is a DataError naming the file
(and, for a problem in a row, the row and column).

``FUZZ_EXAMPLES`` sets the examples per test: 200 by default (CI), 10,000 or more for a
nightly run, e.g. ``FUZZ_EXAMPLES=10000 python -m pytest tests/test_fuzz_loaders.py``.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib import geocode
from lib.boundaries import read_boundaries
from lib.data import (
    load_areas,
    load_assignment,
    load_centres,
    load_default,
    load_grouping,
    propose_mapping,
    validate_areas,
    validate_centres,
)
from lib.errors import DataError
from lib.published import read_published
from lib.tables import read_table, sheet_names

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 200,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
NAMES = ("upload.csv", "centres.xlsx", "areas.CSV", "bounds.zip", "bounds.geojson", "layer.gpkg", "x")

HEADERS = ("centre_id", "Centre Name", "name", "lat", "Latitude", "lon", "Long", "easting", "Eastings", "northing",
           "X", "Y", "Post Code", "postcode", "phase", "On school site", "provider", "Budget", "illustrative",
           "area_id", "LSOA code (2011)", "lsoa11nm", "children", "pop_0_4_mid2020", "imd_decile",
           "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)", "idaci_decile",
           "district", "group", "Lot", "LSOA Code", "All Ages", "0", "1", "2", "3", "4", "", "junk", "=cmd|' /C x'!A0")
CELLS = st.one_of(
    st.sampled_from(["", " ", "1", "2", "3", "0", "-4", "10", "11", "1e400", "nan", "inf", "-inf", "1,234", "£5,000",
                     "yes", "no", "maybe", "TRUE", "52.6", "1.2", "623000", "308000", "NR1 1AA", "nr11aa", "AL1 1AA",
                     "ZZ9 9ZZ", "E01026419", "E01000001", "c1", "c2", "=1+1", "@SUM(A1)", "+1", '"', "'", ";", "\t",
                     "\n", "\r\n", ",", "é", "\u2028", "\x00"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**20, max_value=10**20).map(str),
    st.text(max_size=12),
)


def _check(err: DataError, name: str) -> None:
    text = str(err)
    assert err.file == name or err.file.startswith(name), text
    assert text.startswith(name), text
    assert err.message.strip(), text
    if err.row is not None:
        assert err.row >= 1 and f"row {err.row}" in text, text
    if err.column is not None:
        assert f"column '{err.column}'" in text, text


def _only_data_errors(call, name: str) -> DataError | None:
    try:
        call()
    except DataError as err:
        _check(err, name)
        return err
    return None


@lru_cache(maxsize=1)
def _default():
    return load_default()


@lru_cache(maxsize=1)
def _samples() -> dict[str, bytes]:
    """Valid files of every kind, to be mutated."""
    ds = _default()
    areas = ds.areas.head(8).drop(columns=["x", "y"])
    centres = ds.centres.head(6).drop(columns=["x", "y"])
    out = {"areas.csv": areas.to_csv(index=False).encode(), "centres.csv": centres.to_csv(index=False).encode()}
    buf = io.BytesIO()
    centres.to_excel(buf, index=False)
    out["centres.xlsx"] = buf.getvalue()
    with open("data/norfolk_lsoa.geojson", "rb") as fh:
        data = json.load(fh)
    data["features"] = data["features"][:3]
    out["bounds.geojson"] = json.dumps(data).encode()
    import geopandas as gpd  # tests only

    frame = gpd.GeoDataFrame.from_features(data["features"], crs=4326).to_crs(27700)
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        frame.to_file(Path(tmp) / "a.shp")
        zbuf = io.BytesIO()
        with zipfile.ZipFile(zbuf, "w") as zf:
            for ext in (".shp", ".shx", ".dbf", ".prj"):
                zf.write(Path(tmp) / f"a{ext}", f"a{ext}")
        out["bounds.zip"] = zbuf.getvalue()
        frame.to_file(Path(tmp) / "a.gpkg", driver="GPKG")
        out["layer.gpkg"] = (Path(tmp) / "a.gpkg").read_bytes()
    return out


def _all_loaders(raw: bytes, name: str) -> None:
    ds = _default()
    for call in (lambda: read_table(raw, name), lambda: sheet_names(raw, name), lambda: load_centres(raw, name),
                 lambda: load_areas(raw, name), lambda: read_boundaries(raw, name),
                 lambda: read_published(raw, name), lambda: load_assignment(raw, ds.areas, ds.centres, name),
                 lambda: load_grouping(raw, ds.centres, name)):
        _only_data_errors(call, name)


@FUZZ
@given(raw=st.binary(max_size=3000), name=st.sampled_from(NAMES),
       magic=st.sampled_from([b"", b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"SQLite format 3\x00",
                              b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xff\xfe", b"\xef\xbb\xbf", b"{", b"["]))
def test_random_bytes(raw, name, magic):
    _all_loaders(magic + raw, name)


@FUZZ
@given(headers=st.lists(st.one_of(st.sampled_from(HEADERS), st.text(max_size=10)), min_size=1, max_size=8),
       rows=st.lists(st.lists(CELLS, max_size=9), max_size=6),
       sep=st.sampled_from([",", ";", "\t", "|"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252",
                                                                             "utf-16", "latin-1"]),
       name=st.sampled_from(("c.csv", "a.csv", "t.txt", "fake.xlsx")))
def test_csv_ish_text(headers, rows, sep, encoding, name):
    lines = [sep.join(headers)] + [sep.join(r) for r in rows]
    raw = "\n".join(lines).encode(encoding, errors="replace")
    _all_loaders(raw, name)


@FUZZ
@given(kind=st.sampled_from(["areas.csv", "centres.csv", "centres.xlsx", "bounds.geojson", "bounds.zip",
                             "layer.gpkg"]),
       edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=6),
       cut=st.one_of(st.none(), st.floats(0, 1)))
def test_mutated_valid_files(kind, edits, cut):
    raw = bytearray(_samples()[kind])
    for where, value in edits:
        raw[int(where * len(raw))] = value
    if cut is not None:
        raw = raw[: int(cut * len(raw))]
    _all_loaders(bytes(raw), kind)


CANONICAL = {
    "centres": ["centre_id", "name", "lat", "lon", "easting", "northing", "postcode", "phase", "on_school_site",
                "provider", "current_budget", "illustrative", "location_quality"],
    "areas": ["area_id", "name", "lat", "lon", "easting", "northing", "children", "imd_decile", "imd_score",
              "idaci_decile", "urban_rural", "district"],
}


@FUZZ
@given(kind=st.sampled_from(["centres", "areas"]), data=st.data())
def test_random_cell_values_in_a_good_table(kind, data):
    ds = _default()
    good = (ds.centres if kind == "centres" else ds.areas).head(5).reset_index(drop=True)
    cols = data.draw(st.lists(st.sampled_from(CANONICAL[kind]), min_size=1, max_size=6, unique=True))
    frame = good.drop(columns=["x", "y"]).astype(object)
    for col in cols:
        frame[col] = data.draw(st.lists(st.one_of(CELLS, st.none(), st.floats()), min_size=5, max_size=5))
    validate = validate_centres if kind == "centres" else validate_areas
    err = _only_data_errors(lambda: validate(frame, f"{kind}.csv"), f"{kind}.csv")
    if err is not None and err.row is not None:
        assert 2 <= err.row <= 6 and err.column is not None, str(err)
    proposal = propose_mapping(frame, kind)  # never raises
    assert set(proposal) >= {"name", "lat", "lon"}


@FUZZ
@given(values=st.lists(st.one_of(CELLS, st.none(), st.from_regex(r"[A-Z]{1,2}[0-9]{1,2} ?[0-9][A-Z]{2}",
                                                                   fullmatch=True)), max_size=12))
def test_geocoder_inputs(values):
    err = _only_data_errors(lambda: geocode.geocode_postcodes(values, file_name="p.csv", column="pc"), "p.csv")
    if err is not None:
        assert err.row is not None and 2 <= err.row <= len(values) + 1 and err.column == "pc"
    out = geocode.geocode_postcodes(values, strict=False)
    assert len(out) == len(values) and out["found"].dtype == bool
    assert np.isfinite(out.loc[out["found"], ["lat", "lon"]].to_numpy(float)).all()


@pytest.mark.parametrize("name", ["c.csv", "c.xlsx"])
def test_known_nasty_inputs(name):
    for raw in (b"\xff\xfe" + "a,b\n1,2\n".encode("utf-16-le") + b"\x00", b"\xff\xfe\x00", b'"' * 5000,
                b"a\n" + b"x" * 200_000, b"sep=;\na;b\n1;2\n", b"a,a,a\n1,2,3\n", b",,,\n,,,\n1,2,3,4,5\n"):
        _all_loaders(raw, name)
