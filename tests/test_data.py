"""Loaders: the real Norfolk default, counties by name, and bad input named by file, row and column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lib.cli import main
from lib.data import (
    Dataset,
    apply_mapping,
    load_areas,
    load_assignment,
    load_centres,
    load_county_areas,
    load_default,
    load_grouping,
    propose_mapping,
    quality_report,
    validate_centres,
)
from lib.errors import DataError
from lib.tables import MAX_UPLOAD_BYTES, read_table, sheet_names

ROOT = Path(__file__).resolve().parent.parent
AREAS_CSV = "area_id,name,lat,lon,children,imd_decile\nE01000001,A,52.6,1.2,10,3\nE01000002,B,52.7,1.3,20,7\n"
CENTRES_CSV = "centre_id,name,lat,lon,phase,on_school_site\nc1,One,52.6,1.2,1,yes\nc2,Two,52.7,1.3,,\n"


def test_default_is_real_norfolk():
    ds = load_default()
    assert len(ds.areas) == 538
    assert ds.children == 44_201  # ONS mid-2020, as in PROVENANCE.md
    assert len(ds.centres) == 54
    assert ds.centres["centre_id"].is_unique
    assert not ds.centres[["lat", "lon"]].duplicated().any()
    # 11 spread from shared town points + 3 with no location + 8 completing the network to 54, less the
    # 5 of them still open in 2025, which now stand at their postcode
    assert ds.centres["illustrative"].sum() == 17
    assert (ds.centres["location_quality"] == "postcode").sum() == 15
    assert ds.centres["location_quality"].str.startswith(("approximate", "illustrative", "postcode")).all()


def test_no_default_centre_has_zero_reach():
    from lib.catchment import prepare
    from lib.metrics import evaluate
    from lib.scenario import Scenario

    net = prepare(load_default())
    ev = evaluate(net, Scenario.baseline(net.centre_ids))
    assert (ev.centre["reach"] > 0).all()


def test_budget_default_is_realistic_for_norfolk():
    from lib.catchment import prepare
    from lib.metrics import evaluate
    from lib.scenario import Scenario

    net = prepare(load_default())
    total = evaluate(net, Scenario.baseline(net.centre_ids)).totals()["budget_total"]
    assert 9.5e6 < total < 10.8e6  # Norfolk spent about GBP 10m a year on 53 centres (2016-18)


def test_county_by_name_with_published_aliases():
    herts = load_county_areas("hertfordshire")
    assert len(herts) == 690
    assert herts["children"].sum() == 72_864
    with pytest.raises(DataError, match="did you mean Norfolk"):
        load_county_areas("Norfok")


def test_aliases_from_published_columns():
    csv = "LSOA11CD,lsoa11nm,pwc_lat,pwc_lon,pop_0_4_mid2020,IMD Decile\nE01000001,A,52.6,1.2,10,3\n"
    areas = load_areas(csv.encode(), "pub.csv")
    assert areas.loc[0, "children"] == 10 and areas.loc[0, "imd_decile"] == 3


def test_centres_from_easting_northing_and_excel_encoding():
    csv = "Centre ID,Centre Name,Easting,Northing,Phase,On school site\nc1,Caf\xe9 Centre,623000,308000,2,no\n"
    centres = load_centres(csv.encode("cp1252"), "centres.csv")
    assert centres.loc[0, "name"] == "Café Centre"
    assert 52.5 < centres.loc[0, "lat"] < 52.7 and 1.2 < centres.loc[0, "lon"] < 1.4


def test_xlsx_centres(tmp_path):
    path = tmp_path / "centres.xlsx"
    pd.read_csv(pd.io.common.StringIO(CENTRES_CSV)).to_excel(path, index=False)
    assert load_centres(path)["centre_id"].tolist() == ["c1", "c2"]


@pytest.mark.parametrize(("text", "kind", "where"), [
    (AREAS_CSV.replace("children", "kids"), "areas", "column 'children'"),
    (AREAS_CSV.replace("E01000002", "E01000001"), "areas", "row 3, column 'area_id'"),
    (AREAS_CSV.replace(",20,", ",-4,"), "areas", "row 3, column 'children'"),
    (AREAS_CSV.replace(",7\n", ",11\n"), "areas", "row 3, column 'imd_decile'"),
    (AREAS_CSV.replace(",10,", ",ten,"), "areas", "row 2, column 'children'"),
    (AREAS_CSV.replace("52.7,1.3", "48.1,1.3"), "areas", "row 3, column 'lat'"),
    (AREAS_CSV.replace("52.7,1.3", "623000,308000"), "areas", "row 3, column 'lat'"),
    (CENTRES_CSV.replace("c2,", "c1,"), "centres", "row 3, column 'centre_id'"),
    (CENTRES_CSV.replace(",1,yes", ",4,yes"), "centres", "row 2, column 'phase'"),
    (CENTRES_CSV.replace(",yes", ",maybe"), "centres", "row 2, column 'on_school_site'"),
    (CENTRES_CSV.replace("52.6,1.2", "1.2,52.6"), "centres", "row 2, column 'lat'"),
])
def test_bad_input_names_file_row_and_column(text, kind, where):
    loader = load_areas if kind == "areas" else load_centres
    with pytest.raises(DataError) as err:
        loader(text.encode(), f"my_{kind}.csv")
    assert str(err.value).startswith(f"my_{kind}.csv, {where}")


def test_easting_northing_in_lat_lon_columns_is_named():
    with pytest.raises(DataError, match="look like easting/northing"):
        load_areas(AREAS_CSV.replace("52.7,1.3", "623000,308000").encode(), "a.csv")


def test_cli_default_json(capsys):
    assert main(["evaluate"]) == 0
    out = capsys.readouterr().out
    import json

    data = json.loads(out)
    assert data["totals"]["children"] == 44_201
    assert {"centre_id", "group", "reach", "deprived_reach", "weighted_reach"} <= set(data["centres"][0])
    assert len(data["groups"]) == 54


def test_cli_json_says_who_travels_further(tmp_path, capsys):
    import json

    from lib import travel
    from lib.catchment import prepare
    from lib.metrics import evaluate
    from lib.scenario import Scenario

    net = prepare(load_default())
    sc = Scenario.baseline(net.centre_ids).close(net.centre_ids[5])
    (tmp_path / "s.json").write_text(sc.to_json())
    assert main(["evaluate", "--scenario", str(tmp_path / "s.json")]) == 0
    got = json.loads(capsys.readouterr().out)["travel"]
    want = travel.summary(evaluate(net, sc))
    assert got["children_further"] == want.children_further > 0
    assert got["extra_child_km"] == pytest.approx(want.extra_child_km, abs=1e-3)
    assert len(got["areas"]) == want.areas_further and got["areas"][0]["Baseline centre"] == net.dataset.centres[
        "name"].iloc[5]


def test_cli_scenario_and_csv(tmp_path, capsys):
    from lib.scenario import Scenario

    ids = load_default().centres["centre_id"].tolist()
    sc = Scenario.baseline(ids).move(ids[:3], "G1").close(ids[5])
    (tmp_path / "s.json").write_text(sc.to_json())
    assert main(["evaluate", "--scenario", str(tmp_path / "s.json"), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# totals\n") and "# groups" in out and "# centres" in out
    assert "\n52,53,1,44201," in out  # 54 - 2 emptied groups, 53 open, 1 closed


@pytest.mark.parametrize(("files", "expect"), [
    ({"areas.csv": AREAS_CSV.replace(",20,", ",-4,"), "centres.csv": CENTRES_CSV},
     "areas.csv, row 3, column 'children'"),
    ({"areas.csv": AREAS_CSV, "centres.csv": CENTRES_CSV.replace("c2,", "c1,")},
     "centres.csv, row 3, column 'centre_id'"),
])
def test_cli_bad_files_exit_2_with_one_line(tmp_path, capsys, files, expect):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    code = main(["evaluate", "--areas", str(tmp_path / "areas.csv"), "--centres", str(tmp_path / "centres.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == err.strip().splitlines()[0]
    assert expect in err


def test_cli_bad_scenario(tmp_path, capsys):
    (tmp_path / "s.json").write_text('{"group_of": {"nope": "G1"}}')
    assert main(["evaluate", "--scenario", str(tmp_path / "s.json")]) == 2
    assert "s.json" in capsys.readouterr().err


def test_cli_as_module_never_prints_traceback(tmp_path):
    bad = tmp_path / "c.csv"
    bad.write_text("centre_id,name,lat,lon\nc1,X,52.6,1.2\nc1,Y,52.7,1.3\n")
    run = subprocess.run([sys.executable, "-m", "lib", "evaluate", "--county", "Norfolk", "--centres", str(bad)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "c.csv, row 3, column 'centre_id'" in run.stderr


# --- forgiving columns: proposal, mapping, preview ---------------------------------------------


@pytest.mark.parametrize(("headers", "expect"), [
    (["Centre Name", "Post Code"], {"name": "Centre Name", "postcode": "Post Code"}),
    (["name", "postcode"], {"name": "name", "postcode": "postcode"}),
    (["Children's centre", "Postcode of site"], {"name": "Children's centre", "postcode": "Postcode of site"}),
    (["Centre", "Lat", "Long"], {"name": "Centre", "lat": "Lat", "lon": "Long"}),
    (["Site name", "Latitude", "Longitude"], {"name": "Site name", "lat": "Latitude", "lon": "Longitude"}),
    (["Name", "Eastings", "Northings"], {"name": "Name", "easting": "Eastings", "northing": "Northings"}),
    (["NAME", "X", "Y"], {"name": "NAME", "easting": "X", "northing": "Y"}),
    (["Centre ID", "Name", "LAT ", " lon"], {"centre_id": "Centre ID", "lat": "LAT ", "lon": " lon"}),
])
def test_propose_mapping_synonyms(headers, expect):
    rows = {"Post Code": "NR1 1AA", "postcode": "NR1 1AA", "Postcode of site": "NR1 1AA", "X": "623000",
            "Y": "308000", "Eastings": "623000", "Northings": "308000"}
    frame = pd.DataFrame([[rows.get(h, "52.6" if "at" in h.lower() else "1.2") for h in headers]], columns=headers)
    proposal = propose_mapping(frame, "centres")
    for key, source in expect.items():
        assert proposal[key] == source and proposal.confidence[key] >= 0.8
    assert not proposal.needs_review


def test_x_y_holding_lon_lat_are_read_as_such():
    frame = pd.DataFrame({"Name": ["A"], "X": ["1.2"], "Y": ["52.6"]})
    proposal = propose_mapping(frame, "centres")
    assert (proposal["lon"], proposal["lat"], proposal["easting"]) == ("X", "Y", None)
    assert proposal.how["lat"] == "values"
    assert load_centres(b"Name,X,Y\nA,1.2,52.6\n", "c.csv").loc[0, "lat"] == 52.6


def test_unsure_mapping_asks_for_review_and_applies_the_users_choice():
    frame = pd.DataFrame({"Centre nme": ["A", "B"], "Where": ["NR1 1AA", "nr2 1sr"], "Kids": ["1", "2"]})
    proposal = propose_mapping(frame, "centres")
    assert proposal["name"] == "Centre nme" and proposal.how["name"] in ("pattern", "similar")
    assert proposal["postcode"] == "Where" and proposal.how["postcode"] == "values"
    assert proposal.needs_review and "Kids" in proposal.unused
    fixed = dict(proposal, phase=None)
    centres = validate_centres(apply_mapping(frame, fixed), "c.csv")
    assert centres["postcode"].tolist() == ["NR1 1AA", "NR2 1SR"]
    missing = propose_mapping(pd.DataFrame({"foo": ["1"]}), "areas")
    assert missing.needs_review and any("children" in p for p in missing.problems)
    with pytest.raises(DataError, match="there is no column 'nope'"):
        apply_mapping(frame, {"name": "nope"}, "c.csv")


def test_errors_name_the_users_own_column():
    csv = "Site,Latitude,Longitude,Phase\nA,52.6,1.2,1\nB,52.7,1.3,7\n"
    with pytest.raises(DataError) as err:
        load_centres(csv.encode(), "c.csv")
    assert str(err.value).startswith("c.csv, row 3, column 'Phase': phase must be 1, 2, 3")
    with pytest.raises(DataError) as err:
        load_centres(csv.replace("52.7", "5x").encode(), "c.csv")
    assert str(err.value).startswith("c.csv, row 3, column 'Latitude': '5x' is not a number")


# --- centres by postcode -----------------------------------------------------------------------

def test_centres_by_postcode_live_terminated_and_mixed():
    csv = ("Centre Name,Post Code,Latitude,Longitude,Eastings,Northings\n"
           "Live,nr1 1aa,,,,\nOld,AL1 1AA,,,,\nByLatLon,NR99 9ZZ,52.6,1.2,,\nByGrid,,,,623000,308000\n")
    centres = load_centres(csv.encode(), "c.csv")
    assert centres["location_quality"].tolist() == ["postcode", "terminated postcode: LSOA centroid",
                                                    "as supplied", "as supplied"]
    assert centres["postcode"].tolist() == ["NR1 1AA", "AL1 1AA", "NR99 9ZZ", ""]
    assert abs(centres.loc[0, "x"] - 624073) < 0.01 and abs(centres.loc[0, "y"] - 308352) < 0.01
    report = quality_report(Dataset("t", load_default().areas, centres))
    kinds = {r["kind"]: r["rows"] for r in report}
    assert kinds["terminated postcode"] == ["old"]
    assert "old" in kinds["centre outside the county"]  # St Albans is not in Norfolk


@pytest.mark.parametrize(("body", "where"), [
    ("A,NR1 1AA\nB,NR99 9ZZ\n", "row 3, column 'Postcode': postcode NR99 9ZZ is not in the England postcode"),
    ("A,NR1 1AA\nB,\n", "row 3, column 'Postcode': no location"),
    ("A,NR1 1AA\n\n\nB,12345\n", "row 5, column 'Postcode': '12345' is not a UK postcode"),
])
def test_bad_postcodes_are_named(body, where):
    with pytest.raises(DataError) as err:
        load_centres(("Name,Postcode\n" + body).encode(), "c.csv")
    assert str(err.value).startswith(f"c.csv, {where}")


# --- reading files: encodings, caps, formats, formulas -------------------------------------------

@pytest.mark.parametrize(("encoding", "name"), [
    ("utf-8", "Café Centre"), ("utf-8-sig", "Café Centre"), ("cp1252", "Café – Centre"),
    ("latin-1", "Caf\x81 Centre"), ("utf-16", "Café Centre"),
])
def test_encodings(encoding, name):
    csv = f"Centre ID,Centre Name,Easting,Northing\nc1,{name},623000,308000\n"
    assert load_centres(csv.encode(encoding), "c.csv").loc[0, "name"] == name


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated(sep):
    csv = CENTRES_CSV.replace(",", sep).replace("52.6", "52.6").encode()
    assert load_centres(csv, "c.csv")["centre_id"].tolist() == ["c1", "c2"]


def test_title_rows_and_blank_rows_keep_row_numbers():
    csv = "Children's centres, March 2024\n\n" + AREAS_CSV.replace("\nE01000002", "\n,,,,,\n\nE01000002")
    csv = csv.replace(",20,", ",-4,")
    with pytest.raises(DataError) as err:
        load_areas(csv.encode(), "a.csv")
    assert str(err.value).startswith("a.csv, row 7, column 'children': a negative count")


def test_file_over_the_cap_is_refused_before_parsing(tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "wb") as fh:
        fh.truncate(MAX_UPLOAD_BYTES + 1)
    with pytest.raises(DataError, match=r"big\.csv: file is larger than 50 MB"):
        load_centres(big)
    with pytest.raises(DataError, match=r"upload\.csv: file is larger than 50 MB"):
        read_table(b"a" * (MAX_UPLOAD_BYTES + 1), "upload.csv")


@pytest.mark.parametrize(("data", "name", "expect"), [
    (b"centre_id,name\nc1,One\n", "centres.xlsx", "is named .xlsx but is not an Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "centres.xls", "old Excel 97-2003"),
    (b"PK\x03\x04garbage", "centres.xlsx", "is not a readable zip archive"),
    (b"SQLite format 3\x00" + bytes(100), "centres.gpkg", "is a database"),
    (b"a,b\n\x00\x01\x02,3\n", "centres.csv", "NUL bytes"),
    (b"   \n\n", "centres.csv", "file is empty"),
    (b"centre_id,name,lat,lon\n", "centres.csv", "has a header but no rows"),
])
def test_files_that_are_not_tables(data, name, expect):
    with pytest.raises(DataError) as err:
        load_centres(data, name)
    assert str(err.value).startswith(name) and expect in str(err.value)


def test_xlsx_with_a_dtd_is_refused(tmp_path):
    import io
    import zipfile

    path = tmp_path / "c.xlsx"
    pd.read_csv(io.StringIO(CENTRES_CSV)).to_excel(path, index=False)
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>', 1)
            dst.writestr(info, data)
    with pytest.raises(DataError, match="declares a DTD: refused"):
        load_centres(out.getvalue(), "c.xlsx")


def test_formulas_load_as_plain_text(tmp_path):
    evil = "=cmd|' /C calc'!A0"
    csv = f'centre_id,name,lat,lon\nc1,"{evil}",52.6,1.2\nc2,"@SUM(1+1)*cmd|\' /C calc\'!A0",52.7,1.3\n'
    centres = load_centres(csv.encode(), "c.csv")
    assert centres.loc[0, "name"] == evil and centres.loc[1, "name"].startswith("@SUM")
    path = tmp_path / "f.xlsx"
    pd.DataFrame({"centre_id": ["c1"], "name": ["=1+1"], "lat": [52.6], "lon": [1.2]}).to_excel(path, index=False)
    # openpyxl wrote a formula with no saved value: we read what is saved, never compute it (that would be "2")
    assert load_centres(path).loc[0, "name"] in ("=1+1", "", "0")


def test_sheet_names_and_chosen_sheet(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["read me"]}).to_excel(writer, sheet_name="Notes", index=False)
        pd.read_csv(pd.io.common.StringIO(CENTRES_CSV)).to_excel(writer, sheet_name="Centres", index=False)
    assert sheet_names(path.read_bytes()) == ["Notes", "Centres"]
    assert sheet_names(CENTRES_CSV.encode(), "c.csv") == []
    assert load_centres(path, sheet="centres")["centre_id"].tolist() == ["c1", "c2"]
    assert load_centres(path, sheet=1)["centre_id"].tolist() == ["c1", "c2"]
    with pytest.raises(DataError, match="no sheet named 'Lots' \\(sheets: Notes, Centres\\)"):
        load_centres(path, sheet="Lots")


# --- reach-area assignment and existing grouping ------------------------------------------------

def test_assignment_and_grouping_parsers():
    ds = load_default()
    a, c = ds.areas, ds.centres
    csv = (f"LSOA code,Children's centre\n{a.area_id[0]},{c.centre_id[0]}\n{a.area_id[1].lower()},"
           f"{c.name[1].upper()}\n{a.area_id[2]},\n")
    given = load_assignment(csv.encode(), a, c, "reach.csv")
    assert given.to_dict() == {a.area_id[0]: c.centre_id[0], a.area_id[1]: c.centre_id[1]}
    groups = load_grouping(f"Centre,Lot\n{c.centre_id[0]},North\n{c.name[1]},North\n".encode(), c, "lots.csv")
    assert groups == {c.centre_id[0]: "North", c.centre_id[1]: "North"}
    ds2 = Dataset("d", a, c, reach_assignment=given)
    kinds = {r["kind"] for r in quality_report(ds2)}
    assert {"assignment gap", "centre with no reach area"} <= kinds


@pytest.mark.parametrize(("kind", "text", "expect"), [
    ("assign", "lsoa11cd,centre_id\nE09999999,{c0}\n", "r.csv, row 2, column 'lsoa11cd': area 'E09999999' is not"),
    ("assign", "lsoa11cd,centre_id\n{a0},nowhere\n", "r.csv, row 2, column 'centre_id': centre 'nowhere' is not"),
    ("assign", "lsoa11cd,centre_id\n{a0},{c0}\n{a0},{c1}\n",
     "r.csv, row 3, column 'centre_id': area '{a0}' is already assigned to '{c0}' at row 2"),
    ("assign", "area,where\n{a0},{c0}\n", "r.csv, column 'area_id': no column for the LSOA / area code"),
    ("group", "centre_id,group\n{c0},G1\n{c0},G2\n", "r.csv, row 3, column 'group': centre '{c0}' is already in"),
    ("group", "centre_id,group\n{c0},\n", "r.csv, row 2, column 'group': group is blank"),
    ("group", "Centre,Cluster\nnope,G1\n", "r.csv, row 2, column 'Centre': centre 'nope' is not in the centres"),
])
def test_assignment_and_grouping_problems_are_named(kind, text, expect):
    ds = load_default()
    fill = {"a0": ds.areas.area_id[0], "c0": ds.centres.centre_id[0], "c1": ds.centres.centre_id[1]}
    with pytest.raises(DataError) as err:
        if kind == "assign":
            load_assignment(text.format(**fill).encode(), ds.areas, ds.centres, "r.csv")
        else:
            load_grouping(text.format(**fill).encode(), ds.centres, "r.csv")
    assert str(err.value).startswith(expect.format(**fill))


# --- data quality ------------------------------------------------------------------------------

def test_quality_report_on_the_default_and_on_a_made_up_dataset(grid):
    report = {r["kind"]: r for r in quality_report(load_default())}
    assert len(report["illustrative centre"]["rows"]) == 17
    assert "shared site" not in report and "centre outside the county" not in report
    areas = grid.areas.copy()
    areas.loc[0, "children"] = 0
    centres = pd.concat([grid.centres, grid.centres.iloc[[0]].assign(centre_id="A2")], ignore_index=True)
    far = centres.iloc[[1]].assign(centre_id="FAR", x=centres["x"][1] + 30_000)
    centres = pd.concat([centres, far], ignore_index=True)
    report = {r["kind"]: r for r in quality_report(Dataset("g", areas, centres))}
    assert report["area with no children"]["rows"] == ["E01000000"]
    assert report["shared site"]["rows"] == ["A", "A2"]
    assert report["centre outside the county"]["rows"] == ["FAR"]
    assert report["duplicate centre name"]["rows"] == ["A", "B", "A2", "FAR"]
    assert report["illustrative centre"]["rows"] == ["B", "FAR"]
    assert all(set(r) == {"kind", "table", "message", "rows"} for r in report.values())
    dup = Dataset("g", pd.concat([areas, areas.iloc[[1]]]), grid.centres)
    assert quality_report(dup)[0]["kind"] == "duplicate id"


# --- round trips: same figures -----------------------------------------------------------------

def _totals(ds: Dataset) -> dict:
    from lib.catchment import prepare
    from lib.metrics import evaluate
    from lib.scenario import Scenario

    net = prepare(ds)
    return evaluate(net, Scenario.baseline(net.centre_ids)).totals()


def test_round_trip_csv_and_xlsx_give_the_same_figures(tmp_path):
    ds = load_default()
    expected = _totals(ds)
    ds.areas.to_csv(tmp_path / "areas.csv", index=False)
    ds.centres.to_csv(tmp_path / "centres.csv", index=False)
    ds.areas.to_excel(tmp_path / "areas.xlsx", index=False)
    ds.centres.to_excel(tmp_path / "centres.xlsx", index=False)
    for ext in ("csv", "xlsx"):
        areas = load_areas(tmp_path / f"areas.{ext}")
        centres = load_centres(tmp_path / f"centres.{ext}")
        assert (areas["children"] == ds.areas["children"]).all()
        assert _totals(Dataset("rt", areas, centres)) == expected, ext


def test_round_trip_with_postcodes_gives_the_same_figures(tmp_path):
    from lib import geo, geocode

    ds = load_default()
    near = geocode.nearest_postcodes(ds.centres["x"], ds.centres["y"])
    assert (near["distance_m"] < 1500).all()
    # the expected positions, from the independent county gazetteer when present
    county = ROOT.parent / "shared" / "data" / "norfolk_postcodes.csv.gz"
    if county.exists():
        ref = pd.read_csv(county, dtype={"postcode": str}).set_index("postcode")
        assert np.allclose(ref.loc[near["postcode"], ["easting", "northing"]].to_numpy(float),
                           near[["easting", "northing"]].to_numpy())
    moved = ds.centres.copy()
    moved["x"], moved["y"] = near["easting"].to_numpy(), near["northing"].to_numpy()
    moved["lat"], moved["lon"] = geo.to_wgs84(moved["x"].to_numpy(float), moved["y"].to_numpy(float))
    expected = _totals(Dataset("moved", ds.areas, moved))
    upload = ds.centres.drop(columns=["lat", "lon", "x", "y", "postcode"]).assign(
        **{"Post Code": near["postcode"].str.lower()})
    upload.to_csv(tmp_path / "centres.csv", index=False)
    centres = load_centres(tmp_path / "centres.csv")
    assert (centres["location_quality"] == "postcode").all()
    assert _totals(Dataset("pc", ds.areas, centres)) == expected
    assert _totals(Dataset("pc", ds.areas, centres))["children"] == ds.children


def test_centre_far_from_the_county_is_named_at_its_own_row(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Name,Postcode\nA,NR1 1AA\n\n\nB,PO1 1AA\n")
    from lib.datasets import load_dataset

    with pytest.raises(DataError) as err:
        load_dataset(county="Norfolk", centres_file=path)
    assert str(err.value).startswith("c.csv, row 5, column 'Postcode': centre 'B' is")
