"""Loaders: the real Norfolk default, counties by name, and bad input named by file, row and column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lib.cli import main
from lib.data import load_areas, load_centres, load_county_areas, load_default
from lib.errors import DataError

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
    # 11 spread from shared town points + 3 with no location + 8 completing the network to 54
    assert ds.centres["illustrative"].sum() == 22
    assert ds.centres["location_quality"].str.startswith(("approximate", "illustrative")).all()


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
