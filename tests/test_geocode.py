"""Offline postcode geocoding: the compact gazetteer, live and terminated postcodes, errors by row."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lib import geocode
from lib.data import england_areas
from lib.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def test_gazetteer_is_compact_plain_numpy():
    path = geocode.POSTCODES_FILE
    assert path.stat().st_size < 8 * 2**20
    with np.load(path, allow_pickle=False) as npz:  # nothing pickled: object arrays would refuse to load
        assert all(npz[k].dtype != object for k in npz.files)
    geocode.postcode_table.cache_clear()  # its load time is measured in bench/, never asserted here
    table = geocode.postcode_table()
    assert len(table) == 2_234_912
    assert int(table.live.sum()) == 1_489_907
    assert geocode.postcode_table() is table  # cached


def test_normalising_and_formatting():
    assert geocode.normalise([" nr1 1aa", "NR11AA", "n r 1-1 a a", None, 12]).tolist() == \
        ["NR11AA", "NR11AA", "NR11AA", "", "12"]
    assert geocode.format_postcode("NR11AA") == "NR1 1AA"
    assert geocode.format_postcode("SW1A1AA") == "SW1A 1AA"


def test_live_and_terminated_postcodes():
    out = geocode.geocode_postcodes(["po1 1aa", "AL1 1AA", " nr1  1aa "])
    assert out["postcode"].tolist() == ["PO1 1AA", "AL1 1AA", "NR1 1AA"]
    live = out.iloc[0]
    assert (live["easting"], live["northing"], live["lsoa11cd"]) == (464340, 100350, "E01017032")
    assert live["quality"] == "postcode" and live["terminated"] == ""
    assert 50.7 < live["lat"] < 50.9 and -1.2 < live["lon"] < -1.0
    term = out.iloc[1]
    assert term["quality"] == "terminated postcode: LSOA centroid" and term["terminated"] == "1994-05"
    centroid = england_areas().set_index("area_id").loc["E01023743"]
    assert (term["lat"], term["lon"]) == (centroid["lat"], centroid["lon"])
    assert out["found"].all()


@pytest.mark.skipif(not (SHARED / "england_postcodes.csv.gz").exists(), reason="source gazetteer not present")
def test_sample_of_source_rows_round_trips():
    with gzip.open(SHARED / "england_postcodes.csv.gz", "rt") as fh:
        raw = pd.read_csv(fh, dtype=str, keep_default_na=False, nrows=60_000)
    raw = raw.iloc[::7]
    table = geocode.postcode_table()
    idx = table.lookup(raw["postcode"].to_numpy())
    assert (idx >= 0).all()
    live = raw["terminated"].eq("").to_numpy()
    assert (table.easting[idx][live] == raw["easting"][live].astype(int).to_numpy()).all()
    assert (table.northing[idx][live] == raw["northing"][live].astype(int).to_numpy()).all()
    assert (table.lsoa_of(idx) == raw["lsoa11cd"].to_numpy().astype("S9")).all()
    term = ~live
    assert (table.terminated[idx][term] == raw["terminated"][term].astype(int).to_numpy()).all()


@pytest.mark.parametrize(("values", "expect"), [
    (["NR1 1AA", "NR99 9ZZ"], "f.csv, row 3, column 'Post Code': postcode NR99 9ZZ is not in the England postcode"),
    (["NR1 1AA", "", "x"], "f.csv, row 3, column 'Post Code': postcode is missing"),
    (["NR1 IAA"], "f.csv, row 2, column 'Post Code': 'NR1 IAA' is not a UK postcode (did you mean NR1 1AA?)"),
    (["EH1 1YZ"], "f.csv, row 2, column 'Post Code': postcode EH1 1YZ is not in England"),
    (["PO24 1AA"], "f.csv, row 2, column 'Post Code': postcode PO24 1AA has no grid reference"),
])
def test_problems_name_file_row_and_column(values, expect):
    with pytest.raises(DataError) as err:
        geocode.geocode_postcodes(values, file_name="f.csv", column="Post Code")
    assert str(err.value).startswith(expect)


def test_rows_given_and_lenient_mode():
    with pytest.raises(DataError, match=r"^f.csv, row 17, column 'postcode'"):
        geocode.geocode_postcodes(["NR1 1AA", "ZZ1 1ZZ"], file_name="f.csv", rows=[9, 17])
    out = geocode.geocode_postcodes(["NR1 1AA", "ZZ1 1ZZ", "", "hello"], strict=False)
    assert out["quality"].tolist() == ["postcode", "not found", "blank", "not a postcode"]
    assert out["found"].tolist() == [True, False, False, False]
    assert out["lat"].isna().tolist() == [False, True, True, True]


def test_vectorised_lookup_of_20000_postcodes():
    table = geocode.postcode_table()
    rng = np.random.default_rng(1)
    sample = [c.decode() for c in table.codes[rng.integers(0, len(table), 20_000)]]
    out = geocode.geocode_postcodes(sample, strict=False)
    assert out["found"].mean() > 0.99  # all but the few live postcodes without a grid reference


def test_nearest_postcodes():
    near = geocode.nearest_postcodes([464340.0], [100350.0])
    assert near["distance_m"].iloc[0] == 0
    assert geocode.geocode_postcodes(near["postcode"].tolist())["easting"].iloc[0] == 464340


def test_build_script_is_deterministic(tmp_path):
    spec = importlib.util.spec_from_file_location("build_postcodes", ROOT / "scripts" / "build_postcodes.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    src = tmp_path / "pc.csv.gz"
    rows = ["postcode,easting,northing,pos_quality,lsoa11cd,terminated",
            "NR1 1AA,624073,308352,10,E01033439,", "AL1 1AA,,,,E01023743,199405", "B1 1AA,406000,286000,10,,",
            "PO24 1AA,0,0,90,,", "SW1A 1AA,529090,179645,10,E01004736,"]
    with gzip.open(src, "wt") as fh:
        fh.write("\n".join(rows) + "\n")
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    build.write_npz(build.build(src), a)
    build.write_npz(build.build(src), b)
    assert a.read_bytes() == b.read_bytes()
    geocode.postcode_table.cache_clear()
    try:
        table = geocode.postcode_table(a)
        idx = table.lookup(["sw1a1aa", "AL1 1AA", "b11aa"])
        assert table.easting[idx].tolist() == [529090, -1, 406000]
        assert table.terminated[idx].tolist() == [0, 199405, 0]
        assert table.lsoa_of(idx).tolist() == [b"E01004736", b"E01023743", b""]
    finally:
        geocode.postcode_table.cache_clear()
