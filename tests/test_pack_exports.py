"""The board pack's files: the workbook, the CSVs, the GeoJSON, write_pack and ``python -m lib export``.

The pack is the Norfolk default under its district clusters, with two lots set, one centre renamed
to a spreadsheet formula, a lead agency and notes that a spreadsheet would run: every one must come
out as text with a leading apostrophe, in every xlsx cell and every CSV field.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import shapely
from openpyxl.utils import get_column_letter

from lib import examples, pack
from lib.catchment import prepare
from lib.cli import load_notes
from lib.data import load_default
from lib.errors import DataError
from lib.export import FORMULA_START, neutralise
from lib.lotgeo import area_polygons
from lib.metrics import evaluate
from lib.packfiles import CSV_NAMES, csv_files, csv_zip, geojson_files, write_pack
from lib.scenario import Scenario
from lib.workbook import COUNT, DECIMAL, MONEY, board_workbook

ROOT = Path(__file__).resolve().parent.parent
HYPERLINK = '=HYPERLINK("http://x","y")'
CMD = "+cmd|' /C calc'!A0"
NOTES = [{"kind": "challenge", "group": "NOR", "text": "@SUM(1)", "author": "=A1", "when": "2025-03-01"},
         {"kind": "comment", "group": "", "text": "-2+3", "author": "Officer", "when": "2025-03-02"}]
HOSTILE = (HYPERLINK, CMD, "@SUM(1)", "-2+3", "=A1")


@pytest.fixture(scope="module")
def ev():
    ds = load_default()
    centres = ds.centres.copy()
    centres.loc[0, "name"] = HYPERLINK
    net = prepare(dataclasses.replace(ds, centres=centres))
    ev0 = evaluate(net, Scenario.baseline(net.centre_ids))
    sc = examples.starting_points(net, ev0.centre["reach"])[1]
    sc = sc.with_lots(["BRE", "NOR"], route="application", lead_type="voluntary", lead_agency="Action for Children")
    sc = sc.with_lots(["GY"], route="tender", lead_agency=CMD)
    return evaluate(net, sc)


@pytest.fixture(scope="module")
def board(ev):
    return pack.build_pack(ev, notes=NOTES, attribution="Contains OS data © Crown copyright 2025")


@pytest.fixture(scope="module")
def book(board):
    return openpyxl.load_workbook(io.BytesIO(board_workbook(board)))


def header_row(ws) -> int:
    """The 1-based row of a sheet's table header: the row just above the frozen panes."""
    return int("".join(ch for ch in ws.freeze_panes if ch.isdigit())) - 1


def expected(value: object) -> object:
    """What the workbook cell holds for a pack value."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return neutralise(str(value))


# ------------------------------------------------------------------------------------------- workbook


def test_sheets_in_order_with_frozen_header_filter_and_widths(book, board):
    assert book.sheetnames == ["Summary", "Lots", "Centres", "Areas", "Travel", "Rules", "Parameters", "Notes"]
    for name, table in board.tables().items():
        ws = book[name]
        top = header_row(ws)
        assert ws.freeze_panes == f"A{top + 1}"
        assert [c.value for c in ws[top]][:len(table.columns)] == list(table.columns)
        assert all(c.font.bold and c.alignment.wrap_text for c in ws[top][:len(table.columns)])
        last = get_column_letter(len(table.columns))
        assert ws.auto_filter.ref == f"A{top}:{last}{top + len(table)}"
        widths = {}
        for dim in ws.column_dimensions.values():
            widths.update({col: dim.width for col in range(dim.min, dim.max + 1)})
        assert sorted(widths) == list(range(1, len(table.columns) + 1)), name
        assert all(4 < w <= 61 for w in widths.values()), (name, widths)
    assert header_row(book["Lots"]) == 1 and header_row(book["Summary"]) > 5


def test_every_cell_equals_the_pack_table(book, board):
    for name, table in board.tables().items():
        ws = book[name]
        top = header_row(ws)
        for r, row in enumerate(table.itertuples(index=False), start=top + 1):
            got = [ws.cell(r, c).value for c in range(1, len(table.columns) + 1)]
            want = [expected(v) for v in row]
            same = [g == w if isinstance(w, bool) or not isinstance(w, float) else g == pytest.approx(w, rel=1e-15)
                    for g, w in zip(got, want, strict=True)]  # xlsxwriter keeps 16 significant digits
            assert all(same) and [type(g) is bool for g in got] == [type(w) is bool for w in want], (name, r, got)
        assert ws.cell(top + len(table) + 1, 1).value is None or name == "Summary"


def test_lots_and_centres_numbers_and_summary_total(book, board, ev):
    for name in ("Lots", "Centres"):
        table = getattr(board, name.lower())
        numeric = [c for c in table.columns if table[c].dtype.kind in "if"]
        assert len(numeric) >= 8
        for col in numeric:
            j = list(table.columns).index(col) + 1
            cells = [book[name].cell(r, j).value for r in range(2, len(table) + 2)]
            values = table[col].tolist()
            assert all(c is None if math.isnan(v) else c == v for c, v in zip(cells, values, strict=True)), col
    ws = book["Summary"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=header_row(ws) + 1) if r[0].value}
    assert rows["Budget total"][3].value == round(ev.totals()["budget_total"], 2)  # to the penny
    assert rows["Budget total"][2].value == round(board.baseline_totals["budget_total"], 2)
    assert rows["Lots (groups with an open centre)"][3].value == 7


def test_number_formats_follow_the_units(book, board):
    lots = book["Lots"]
    for j, col in enumerate(board.lots.columns, start=1):
        fmt = lots.cell(2, j).number_format
        if "£" in col:
            assert "£" in fmt and fmt == MONEY
        elif col.endswith(("(%)", "(km)")):
            assert fmt == DECIMAL
        elif col.endswith("(children)"):
            assert fmt == COUNT
    centres = book["Centres"]
    assert "£" in centres.cell(2, list(board.centres.columns).index("Centre cost (£ a year)") + 1).number_format
    ws = book["Summary"]
    by_unit = {}
    for row in ws.iter_rows(min_row=header_row(ws) + 1, max_row=header_row(ws) + len(board.summary)):
        assert len({c.number_format for c in row[2:5]}) == 1
        by_unit.setdefault(row[1].value, set()).add(row[2].number_format)
    assert by_unit["£ a year"] == {MONEY} and by_unit["%"] == {DECIMAL} and by_unit["children"] == {COUNT}
    params = {r[1].value: r[2] for r in book["Parameters"].iter_rows(min_row=2)}
    assert params["management per lot"].number_format == MONEY
    assert params["cut percent"].number_format == DECIMAL
    assert params["weight of IMD decile 1"].number_format == "General"


def test_title_block_attribution_and_dataset_notes(book, board):
    ws = book["Summary"]
    column_a = [c.value for c in ws["A"]]
    assert column_a[0] == board.title
    labels = {r[0].value: r[1].value for r in ws.iter_rows(max_row=header_row(ws) - 1) if r[0].value}
    assert labels["Scenario"] == board.scenario and labels["Dataset"] == board.dataset
    assert labels["Date"] == board.created
    assert labels["Procurement routes"] == board.route_text and labels["Budget"] == board.gap_text
    assert board.attribution in column_a
    assert all(note in column_a for note in board.dataset_notes) and board.dataset_notes


def test_formulas_never_reach_a_cell(book):
    found = set()
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_START), (ws.title, cell.coordinate, cell.value)
                    found.update(h for h in HOSTILE if cell.value == "'" + h)
    assert found == set(HOSTILE)
    centres = book["Centres"]
    assert centres["B2"].value == "'" + HYPERLINK and centres["B2"].data_type == "s"


# ----------------------------------------------------------------------------------------------- CSV


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_csv_files_every_table_neutralised(board):
    files = csv_files(board)
    assert list(files) == [f"{stem}.csv" for stem in CSV_NAMES]
    assert list(files) == ["summary.csv", "lots.csv", "centres.csv", "areas.csv", "travel.csv", "rules.csv",
                           "parameters.csv", "notes.csv", "breaches.csv", "by_route.csv"]
    found = set()
    for name, data in files.items():
        rows = read_csv(data)
        for field in (f for row in rows for f in row):
            assert not field.startswith(FORMULA_START) or is_number(field), (name, field)
            found.update(h for h in HOSTILE if field == "'" + h)
    assert found == set(HOSTILE)
    lots = read_csv(files["lots.csv"])
    assert lots[0] == list(board.lots.columns) and len(lots) == 1 + len(board.lots)
    value = lots[0].index("Lot value (£ a year)")
    assert [float(r[value]) for r in lots[1:]] == board.lots["Lot value (£ a year)"].tolist()
    assert len(read_csv(files["breaches.csv"])) == 1 + len(board.breaches) and len(board.breaches)
    assert b"\r\n" in files["summary.csv"]


def test_csv_zip_holds_the_same_files(board):
    with zipfile.ZipFile(io.BytesIO(csv_zip(board))) as zf:
        assert {i.filename: zf.read(i) for i in zf.infolist()} == csv_files(board)
    assert csv_zip(board) == csv_zip(board)


def test_notes_csv_reads_back_as_written(board, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_bytes(csv_files(board)["notes.csv"])
    assert load_notes(path) == NOTES
    path = tmp_path / "notes.json"
    path.write_text(json.dumps(NOTES))
    assert load_notes(path) == NOTES


@pytest.mark.parametrize("name, text, message", [
    ("n.csv", "kind,author\nx,y\n", "missing column(s) text"),
    ("n.csv", "kind,text\nx,\n", "row 2, column 'text': the note has no text"),
    ("n.json", '{"text": "x"}', "give a list of notes"),
    ("n.json", '[{"text": ""}]', "note 1 has no text"),
    ("n.json", "[{", "not valid JSON"),
])
def test_bad_notes_are_named(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DataError, match=r"^n\.(csv|json)") as err:
        load_notes(path)
    assert message in str(err.value)


# ------------------------------------------------------------------------------------------- GeoJSON


def test_geojson_points_and_lot_areas(ev, board):
    files = geojson_files(ev)
    assert list(files) == ["centres.geojson", "lots.geojson"]
    centres, lots = (json.loads(files[n].decode("utf-8")) for n in files)
    for collection in (centres, lots):
        assert collection["type"] == "FeatureCollection"
        coords = np.array([xy for f in collection["features"] for xy in _coordinates(f["geometry"]["coordinates"])])
        assert (coords[:, 0] > -6).all() and (coords[:, 0] < 2).all()  # longitude first (RFC 7946)
        assert (coords[:, 1] > 49).all() and (coords[:, 1] < 56).all()
    assert len(centres["features"]) == len(board.centres)
    for f, row in zip(centres["features"], board.centres.itertuples(index=False), strict=True):
        p = f["properties"]
        assert (p["centre_id"], p["group"], p["status"]) == (row[0], row[2], row[3])
        assert p["route"] in ("application", "tender", "undecided")
    lot_rows = board.lots[board.lots["Open centres"] > 0]
    assert [f["properties"]["group"] for f in lots["features"]] == list(lot_rows["Group"])
    routes = {f["properties"]["group"]: f["properties"]["route"] for f in lots["features"]}
    assert routes["BRE"] == routes["NOR"] == "application" and routes["GY"] == "tender"
    assert lots["missing_areas"] == 0
    polygons = area_polygons(ev)
    group = board.areas["Group"].to_numpy()
    for f in lots["features"]:
        union = shapely.from_geojson(json.dumps(f["geometry"]))
        members = polygons[group == f["properties"]["group"]]
        assert len(members) and union.area == pytest.approx(sum(p.area for p in members), rel=0.01)
        assert union.covers(shapely.union_all(list(members)).buffer(-1e-5))


def _coordinates(nested) -> list:
    if isinstance(nested[0], int | float):
        return [nested]
    return [xy for part in nested for xy in _coordinates(part)]


# ---------------------------------------------------------------------------------------- write_pack


def test_write_pack_files_zips_and_folders(board, tmp_path):
    assert write_pack(board, "xlsx", tmp_path / "p.xlsx") == [tmp_path / "p.xlsx"]
    assert openpyxl.load_workbook(tmp_path / "p.xlsx").sheetnames[0] == "Summary"
    write_pack(board, "csv", tmp_path / "t.zip")
    assert zipfile.ZipFile(tmp_path / "t.zip").namelist() == list(csv_files(board))
    written = write_pack(board, "geojson", tmp_path / "geo")
    assert [p.name for p in written] == ["centres.geojson", "lots.geojson"]
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "mine.txt").write_text("kept")
    write_pack(board, "csv", tmp_path / "tables")
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == sorted([*csv_files(board), "mine.txt"])
    write_pack(board, "xlsx", tmp_path / "p.xlsx")  # an existing file is replaced
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("fmt, name, message", [
    ("xlsx", "folder", "is a folder"),
    ("csv", "file.txt", "is a file"),
    ("geojson", "file.txt", "is a file"),
    ("xlsx", "missing/p.xlsx", "does not exist"),
    ("docx", "p.docx", "format must be one of"),
])
def test_write_pack_refuses(board, tmp_path, fmt, name, message):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("mine")
    with pytest.raises(DataError, match=message):
        write_pack(board, fmt, tmp_path / name)
    assert (tmp_path / "file.txt").read_text() == "mine" and (tmp_path / "folder").is_dir()


# ----------------------------------------------------------------------------------------------- CLI


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lib", "export", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def inputs(ev, tmp_path_factory) -> list[str]:
    """A scenario file (the Norfolk default's district clusters, a lead agency that is a formula) and notes."""
    net = prepare(load_default())
    sc = examples.district_clusters(net).with_lots(["GY"], route="tender", lead_agency=CMD)
    folder = tmp_path_factory.mktemp("inputs")
    (folder / "scenario.json").write_text(sc.to_json())
    (folder / "notes.csv").write_text("kind,group,text,author,when\nchallenge,NOR,@SUM(1),A,2025\n")
    return ["--scenario", str(folder / "scenario.json"), "--notes", str(folder / "notes.csv")]


@pytest.mark.parametrize("fmt, name", [("xlsx", "pack.xlsx"), ("csv", "tables.zip"), ("csv", "tables"),
                                       ("geojson", "geo"), ("html", "report.html"), ("pdf", "report.pdf")])
def test_cli_writes_each_format(inputs, tmp_path, fmt, name):
    out = tmp_path / name
    done = cli("--format", fmt, *inputs, "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout.startswith(f"wrote {out}") and done.stdout.count("\n") == 1
    if fmt == "xlsx":
        book = openpyxl.load_workbook(out)
        assert book["Lots"]["A1"].value == "Group" and book["Notes"]["C2"].value == "'@SUM(1)"
        assert "'" + CMD in [c.value for c in book["Lots"]["D"]]
    elif fmt == "csv" and name.endswith(".zip"):
        assert zipfile.ZipFile(out).namelist() == [f"{stem}.csv" for stem in CSV_NAMES]
    elif fmt == "csv":
        assert sorted(p.name for p in out.iterdir()) == sorted(f"{stem}.csv" for stem in CSV_NAMES)
        assert f"{len(CSV_NAMES)} files" in done.stdout
    elif fmt == "geojson":
        assert sorted(p.name for p in out.iterdir()) == ["centres.geojson", "lots.geojson"]
        assert len(json.loads((out / "lots.geojson").read_text())["features"]) == 7
    elif fmt == "html":
        assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    else:
        assert out.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("args, message", [
    (["--format", "xlsx"], "--output"),
    (["--format", "docx", "--output", "{tmp}/p.docx"], "invalid choice"),
    (["--output", "{tmp}/p.xlsx"], "--format"),
    (["--format", "xlsx", "--scenario", "{tmp}/none.json", "--output", "{tmp}/p.xlsx"], "none.json: cannot read"),
    (["--format", "xlsx", "--scenario", "{tmp}/bad.json", "--output", "{tmp}/p.xlsx"], "bad.json: not valid JSON"),
    (["--format", "xlsx", "--output", "{tmp}/missing/p.xlsx"], "does not exist"),
    (["--format", "csv", "--output", "{tmp}/bad.json"], "is a file"),
    (["--format", "pdf", "--output", "{tmp}"], "is a folder"),
    (["--format", "xlsx", "--notes", "{tmp}/bad.json", "--output", "{tmp}/p.xlsx"], "bad.json: not valid JSON"),
    (["--format", "xlsx", "--county", "Atlantis", "--output", "{tmp}/p.xlsx"], "Atlantis"),
])
def test_cli_bad_arguments_one_line_exit_2(tmp_path, args, message):
    (tmp_path / "bad.json").write_text("{not json")
    done = cli(*[a.format(tmp=tmp_path) for a in args])
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.startswith("error:") and done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr
    assert not (tmp_path / "p.xlsx").exists()
