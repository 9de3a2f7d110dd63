"""Every data error at once: a bad upload reports all its row/column problems (up to MAX_PROBLEMS
listed, lowest rows first, with a count of the rest), each naming file, row and column."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from lib import geocode
from lib.boundaries import read_boundaries
from lib.cli import main
from lib.data import (
    apply_mapping,
    check_centres_in_areas,
    load_areas,
    load_assignment,
    load_centres,
    load_default,
    load_grouping,
    validate_areas,
    validate_centres,
)
from lib.errors import MAX_PROBLEMS, DataError, Problems, combine
from lib.published import published_areas, read_published
from lib.tables import duplicate_check, numeric_column

CENTRES_HEAD = "Centre ID,Centre Name,Post Code,Phase,On school site,Budget\n"


def _raises(call) -> DataError:
    with pytest.raises(DataError) as err:
        call()
    return err.value


def _where(err: DataError) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.column) for p in err.problems]


# --- the error type ---------------------------------------------------------------------------

def test_single_problem_is_unchanged():
    err = DataError("c.csv", "duplicate id 'c1'", 3, "Centre ID")
    assert str(err) == "c.csv, row 3, column 'Centre ID': duplicate id 'c1'"
    assert err.problems == (err,) and err.more == 0 and err.count == 1
    assert err.lines() == [str(err)]
    assert (err.file, err.row, err.column, err.message) == ("c.csv", 3, "Centre ID", "duplicate id 'c1'")
    assert isinstance(err, ValueError)
    assert str(DataError("c.csv", "file is empty")) == "c.csv: file is empty"


def test_several_problems_first_describes_the_error():
    parts = [DataError("c.csv", "bad A", 2, "a"), DataError("c.csv", "bad B", 5, "b")]
    err = DataError.of(parts, more=3)
    assert (err.file, err.row, err.column, err.message) == ("c.csv", 2, "a", "bad A")
    assert err.problems == tuple(parts) and err.more == 3 and err.count == 5
    assert str(err) == "c.csv, row 2, column 'a': bad A (and 4 more problems)"
    assert err.lines() == ["c.csv, row 2, column 'a': bad A", "c.csv, row 5, column 'b': bad B", "… and 3 more"]
    assert str(DataError.of(parts)) == "c.csv, row 2, column 'a': bad A (and 1 more problem)"
    assert DataError.of(parts[:1]) is parts[0]


def test_errors_pickle():
    one = DataError("c.csv", "bad", 4, "x")
    many = DataError.of([one, DataError("c.csv", "worse", 9, "y")], more=2)
    for err in (one, many):
        back = pickle.loads(pickle.dumps(err))
        assert str(back) == str(err) and back.lines() == err.lines() and back.more == err.more


def test_renamed_maps_every_problem_to_the_users_headers():
    err = DataError.of([DataError("c.csv", "a", 2, "phase"), DataError("c.csv", "b", 3, "lat")])
    renamed = err.renamed({"phase": "Phase", "lat": "Latitude"})
    assert _where(renamed) == [(2, "Phase"), (3, "Latitude")]


# --- the collector ----------------------------------------------------------------------------

def test_collector_lists_the_lowest_rows_whatever_the_order_found():
    found = Problems("f.csv", cap=3)
    for row in (40, 7, 30, 2, 50, 9):
        found.add(f"bad {row}", row, "c")
    found.add("the whole file", None)
    err = found.error()
    assert [p.row for p in err.problems] == [None, 2, 7]
    assert err.more == 4 and len(found) == 7


def test_add_rows_is_vectorised_and_formats_only_the_listed_rows():
    calls = []
    found = Problems("f.csv")
    bad = np.zeros(100_000, bool)
    bad[::2] = True

    def message(i: int) -> str:
        calls.append(i)
        return f"bad value at position {i}"

    assert found.add_rows(bad, np.arange(100_000) + 2, "v", message) == 50_000
    assert len(calls) == MAX_PROBLEMS
    err = found.error()
    assert [p.row for p in err.problems] == list(range(2, 2 + 2 * MAX_PROBLEMS, 2))
    assert err.more == 50_000 - MAX_PROBLEMS


def test_collect_and_combine():
    found = Problems("f.csv")
    with found.collect():
        raise DataError("f.csv", "first", 3, "a")
    with found.collect():
        raise DataError.of([DataError("g.csv", "second", 2, "b"), DataError("g.csv", "third", 4, "b")], more=1)
    found.add("fourth", 1)
    err = found.error()
    assert [(p.file, p.row) for p in err.problems] == [("f.csv", 1), ("g.csv", 2), ("f.csv", 3), ("g.csv", 4)]
    assert err.more == 1
    assert combine([]) is None
    assert combine([DataError("a", "x"), DataError("b", "y")]).count == 2
    with pytest.raises(DataError):
        found.raise_if_any()
    Problems("empty").raise_if_any()  # nothing to raise


# --- centres ----------------------------------------------------------------------------------

def test_centres_csv_lists_every_problem_with_its_row_and_the_users_column():
    body = ["c1,One,NR1 1AA,1,yes,1000",      # row 2
            "c1,Two,NR2 1SR,2,no,2000",       # row 3: duplicate id
            "c3,Three,NR1 1AA,1,yes,100",     # row 4
            "c4,Four,NR1 1AA,1,yes,-500",     # row 5: negative budget
            "c5,Five,NR1 1AA,1,yes,100",      # row 6
            "c6,Six,NR1 1AA,9,yes,100",       # row 7: bad phase
            "c7,Seven,NR1 1AA,1,yes,100",     # row 8
            "c8,Eight,NR99 9ZZ,1,yes,100"]    # row 9: unknown postcode
    err = _raises(lambda: load_centres((CENTRES_HEAD + "\n".join(body) + "\n").encode(), "centres.csv"))
    assert _where(err) == [(3, "Centre ID"), (5, "Budget"), (7, "Phase"), (9, "Post Code")]
    assert err.more == 0
    assert str(err).startswith("centres.csv, row 3, column 'Centre ID': duplicate id 'c1' (first at row 2)")
    assert str(err).endswith("(and 3 more problems)")
    lines = err.lines()
    assert lines[1] == "centres.csv, row 5, column 'Budget': a negative budget (-500)"
    assert lines[2] == "centres.csv, row 7, column 'Phase': phase must be 1, 2, 3 or blank, not '9'"
    assert lines[3].startswith("centres.csv, row 9, column 'Post Code': postcode NR99 9ZZ is not in the England")
    assert all(p.file == "centres.csv" for p in err.problems)


def test_fifty_bad_rows_list_twenty_and_count_thirty():
    body = "".join(f"c{i},N{i},NR1 1AA,7,yes,1\n" for i in range(50))
    err = _raises(lambda: load_centres((CENTRES_HEAD + body).encode(), "c.csv"))
    assert len(err.problems) == MAX_PROBLEMS == 20 and err.more == 30 and err.count == 50
    assert [p.row for p in err.problems] == list(range(2, 22))
    assert {p.column for p in err.problems} == {"Phase"}
    assert str(err) == "c.csv, row 2, column 'Phase': phase must be 1, 2, 3 or blank, not '7' (and 49 more problems)"
    assert len(err.lines()) == 21 and err.lines()[-1] == "… and 30 more"


def test_centre_locations_problems_are_each_reported_once():
    csv = ("Name,Latitude,Longitude,Easting,Northing,Postcode\n"
           "A,52.6,,,,\n"            # row 2: half a pair
           "B,5x,1.2,,,\n"           # row 3: not a number (not also "no location")
           "C,,,623000,308000,\n"    # row 4: fine
           "D,1.2,52.6,,,\n"         # row 5: swapped
           "E,,,,,\n"                # row 6: no location
           "F,,,,,ZZ9 9ZZ\n"         # row 7: unknown postcode
           "G,,,,,hello\n")          # row 8: not a postcode
    err = _raises(lambda: load_centres(csv.encode(), "c.csv"))
    assert _where(err) == [(2, "Longitude"), (3, "Latitude"), (5, "Latitude"), (6, "Postcode"), (7, "Postcode"),
                           (8, "Postcode")]
    assert "lon is missing (the row gives lat)" in err.lines()[0]
    assert "'5x' is not a number" in err.lines()[1]
    assert "look swapped" in err.lines()[2]


def test_yes_no_and_several_columns_on_one_row():
    csv = "centre_id,name,lat,lon,phase,on_school_site\nc1,A,52.6,1.2,4,maybe\nc2,B,52.7,1.3,x,perhaps\n"
    err = _raises(lambda: load_centres(csv.encode(), "c.csv"))
    assert _where(err) == [(2, "phase"), (2, "on_school_site"), (3, "phase"), (3, "on_school_site")]
    assert "'x' is not a number" in err.lines()[2]


def test_validate_centres_on_a_mapped_frame_names_the_users_columns():
    frame = pd.DataFrame({"Site": ["A", "B", "C"], "Lat": ["52.6", "99", "52.7"], "Lng": ["1.2", "1.2", "x"]})
    err = _raises(lambda: validate_centres(apply_mapping(frame, {"name": "Site", "lat": "Lat", "lon": "Lng"}),
                                           "c.csv"))
    assert _where(err) == [(3, "Lat"), (4, "Lng")]


def test_apply_mapping_lists_every_unknown_column():
    frame = pd.DataFrame({"a": ["1"]})
    err = _raises(lambda: apply_mapping(frame, {"name": "nope", "lat": "nada", "lon": "a"}, "c.csv"))
    assert [p.column for p in err.problems] == ["nope", "nada"]


def test_centres_far_from_the_county_are_all_named():
    ds = load_default()
    csv = "Name,Postcode\nA,NR1 1AA\nB,PO1 1AA\nC,NR2 1SR\nD,AL1 1AA\n"
    centres = load_centres(csv.encode(), "c.csv")
    err = _raises(lambda: check_centres_in_areas(centres, ds.areas, "c.csv"))
    assert _where(err) == [(3, "Postcode"), (5, "Postcode")]


# --- areas ------------------------------------------------------------------------------------

AREAS_HEAD = "LSOA code,Name,Latitude,Longitude,Children 0-4,IMD decile\n"


def test_areas_list_every_problem():
    csv = AREAS_HEAD + ("E01000001,A,52.6,1.2,10,3\n"
                        "E01000001,B,52.7,1.3,-4,7\n"      # row 3: duplicate id, negative count
                        "E01000003,C,48.1,1.3,20,11\n"     # row 4: outside England, decile 11
                        "E01000004,D,52.6,1.2,ten,2.5\n"   # row 5: not a number, decile not whole
                        "E01000005,E,52.6,1.2,,\n")        # row 6: two missing values
    err = _raises(lambda: load_areas(csv.encode(), "areas.csv"))
    assert _where(err) == [(3, "LSOA code"), (3, "Children 0-4"), (4, "Latitude"), (4, "IMD decile"),
                           (5, "Children 0-4"), (5, "IMD decile"), (6, "Children 0-4"), (6, "IMD decile")]
    assert "must be a whole number, not 2.5" in err.lines()[5]
    assert "value is missing" in err.lines()[6]


def test_missing_columns_are_reported_together_and_stop_there():
    err = _raises(lambda: load_areas(b"code,title\nE01000001,A\n", "a.csv"))
    assert [p.column for p in err.problems] == ["name", "lat", "children", "imd_decile"]  # "code" is the id
    assert all(p.row is None for p in err.problems)


def test_validate_areas_frame_and_helpers_raise_all_when_used_alone():
    frame = pd.DataFrame({"v": ["1", "x", "", "y"]})
    err = _raises(lambda: numeric_column(frame, "v", "f.csv"))
    assert _where(err) == [(3, "v"), (4, "v"), (5, "v")]
    err = _raises(lambda: duplicate_check(pd.Series(["a", "a", "", "b", "a"]), "f.csv", "id"))
    assert _where(err) == [(3, "id"), (4, "id"), (6, "id")]
    assert "first at row 2" in err.lines()[2]
    good = pd.DataFrame({"area_id": ["E1", "E2"], "name": ["a", "b"], "lat": ["52.6", "52.7"],
                         "lon": ["1.2", "1.3"], "children": ["1", "2"], "imd_decile": ["0", "12"]})
    assert [p.row for p in _raises(lambda: validate_areas(good, "f.csv")).problems] == [2, 3]


def test_cli_still_prints_one_line(tmp_path, capsys):
    (tmp_path / "c.csv").write_text("centre_id,name,lat,lon,phase\nc1,A,52.6,1.2,7\nc1,B,52.7,1.3,8\n")
    assert main(["evaluate", "--county", "Norfolk", "--centres", str(tmp_path / "c.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "c.csv, row 2, column 'phase'" in err and "(and 2 more problems)" in err


# --- assignment, grouping, geocoder, published files, boundaries -----------------------------

def test_assignment_lists_every_problem():
    ds = load_default()
    a, c = ds.areas.area_id, ds.centres.centre_id
    csv = (f"lsoa11cd,centre_id\nE09999999,{c[0]}\n{a[1]},nowhere\n,{c[0]}\n{a[2]},{c[0]}\n{a[2]},{c[1]}\n"
           f"E09999998,{c[1]}\n")
    err = _raises(lambda: load_assignment(csv.encode(), ds.areas, ds.centres, "r.csv"))
    assert _where(err) == [(2, "lsoa11cd"), (3, "centre_id"), (4, "lsoa11cd"), (6, "centre_id"), (7, "lsoa11cd")]
    assert "already assigned" in err.lines()[3]


def test_grouping_lists_every_problem():
    ds = load_default()
    c = ds.centres.centre_id
    csv = f"Centre,Lot\n{c[0]},G1\nnope,G1\n{c[1]},\n{c[0]},G2\nnada,G3\n"
    err = _raises(lambda: load_grouping(csv.encode(), ds.centres, "g.csv"))
    assert _where(err) == [(3, "Centre"), (4, "Lot"), (5, "Lot"), (6, "Centre")]


def test_geocoder_strict_lists_every_postcode():
    err = _raises(lambda: geocode.geocode_postcodes(["NR1 1AA", "", "x", "ZZ9 9ZZ", "NR2 1SR"], file_name="p.csv",
                                                    column="pc"))
    assert _where(err) == [(3, "pc"), (4, "pc"), (5, "pc")]
    found = Problems("p.csv")
    out = geocode.geocode_postcodes(["NR1 1AA", "nope"], file_name="p.csv", column="pc", problems=found)
    assert out["found"].tolist() == [True, False] and len(found) == 1


def test_published_file_lists_every_problem():
    ds = load_default()
    ids = ds.areas.area_id[:5].tolist()
    head = ("LSOA code (2011),LSOA name (2011),Index of Multiple Deprivation (IMD) Score,"
            "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)\n")
    rows = [f"{ids[0]},A,10,3", f"{ids[1]},B,x,11", f"{ids[2]},C,5,0", f"{ids[0]},D,5,2", f"{ids[4]},E,5,"]
    raw = (head + "\n".join(rows) + "\n").encode()
    err = _raises(lambda: read_published(raw, "file7.csv"))
    decile = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
    assert _where(err) == [(3, "Index of Multiple Deprivation (IMD) Score"), (3, decile), (4, decile),
                           (5, "LSOA code (2011)"), (6, decile)]
    unknown = (head + "E09999999,A,1,3\nE09999998,B,1,3\n").encode()
    err = _raises(lambda: published_areas([(unknown, "file7.csv")]))
    assert _where(err) == [(2, "LSOA code (2011)"), (3, "LSOA code (2011)")]
    # two bad files: both reported
    pop = b"LSOA Code,All Ages,0,1,2,3,4\nE01000001,5,1,1,-1,1,1\n"
    err = _raises(lambda: published_areas([(raw, "file7.csv"), (pop, "pop.csv")]))
    assert {p.file for p in err.problems} == {"file7.csv", "pop.csv"}


def test_boundaries_list_every_bad_feature():
    with open("data/norfolk_lsoa.geojson", "rb") as fh:
        data = json.load(fh)
    feats = data["features"][:4]
    feats[1] = {**feats[1], "geometry": None}
    feats[3] = {**feats[3], "geometry": None}
    raw = json.dumps({"type": "FeatureCollection", "features": feats}).encode()
    err = _raises(lambda: read_boundaries(raw, "b.geojson"))
    assert err.lines() == ["b.geojson: feature 2 has no geometry", "b.geojson: feature 4 has no geometry"]
    feats = data["features"][:3]
    feats[0] = {**feats[0], "geometry": {"type": "Point", "coordinates": [1.2, 52.6]}}
    feats[2] = {**feats[2], "geometry": {"type": "LineString", "coordinates": [[1.2, 52.6], [1.3, 52.7]]}}
    raw = json.dumps({"type": "FeatureCollection", "features": feats}).encode()
    err = _raises(lambda: read_boundaries(raw, "b.geojson"))
    assert len(err.problems) == 2 and "is a Point" in err.lines()[0] and "is a LineString" in err.lines()[1]
