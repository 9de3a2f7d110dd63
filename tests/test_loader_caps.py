"""Row caps, checked while the file is read: a centres file with more than MAX_CENTRE_ROWS rows of
data, or an areas-like file with more than MAX_AREA_ROWS, is refused before it is parsed in full."""

from __future__ import annotations

import io
import re
import tracemalloc

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lib.tables as tables
from lib.data import (
    MAX_AREA_ROWS,
    MAX_CENTRE_ROWS,
    load_areas,
    load_assignment,
    load_centres,
    load_default,
    load_grouping,
    read_centres_table,
    validate_centres,
)
from lib.errors import DataError
from lib.published import published_areas, read_published
from lib.tables import guess_header, read_table

CENTRE_REFUSED = "has more than 5,000 rows of data (a council has tens to hundreds of centres): refused"
AREA_REFUSED = "has more than 40,000 rows of data (England has 32,844 LSOAs): refused"
HEAD = b"centre_id,name,lat,lon,phase,on_school_site\n"


def _centres_csv(n: int) -> bytes:
    return HEAD + b"".join(b"c%d,Centre %d,52.6,1.2,1,yes\n" % (i, i) for i in range(n))


def _areas_csv(n: int) -> bytes:
    head = b"area_id,name,lat,lon,children,imd_decile\n"
    return head + b"".join(b"E%08d,Area %d,52.6,1.2,10,3\n" % (i, i) for i in range(n))


def test_the_caps():
    assert (MAX_CENTRE_ROWS, MAX_AREA_ROWS) == (5_000, 40_000)


def test_5000_centres_accepted_5001_refused_quickly():
    assert len(load_centres(_centres_csv(5000), "c.csv")) == 5000
    with pytest.raises(DataError) as err:
        load_centres(_centres_csv(5001), "c.csv")
    assert str(err.value) == f"c.csv: {CENTRE_REFUSED}"
    with pytest.raises(DataError, match=re.escape(CENTRE_REFUSED)):
        read_centres_table(_centres_csv(5001), "c.csv")


def test_a_million_rows_are_refused_in_a_moment():
    raw = HEAD + b"c1,Sure Start centre,52.61234,1.21234,1,yes\n" * 1_000_000
    assert tables.MAX_UPLOAD_BYTES > len(raw) > 40 * 2**20
    for call, expect in ((lambda: load_centres(raw, "big.csv"), CENTRE_REFUSED),
                         (lambda: read_table(raw, "big.csv"), AREA_REFUSED),
                         (lambda: load_areas(raw, "big.csv"), AREA_REFUSED)):
        tracemalloc.start()
        with pytest.raises(DataError) as err:
            call()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        # refused while streaming: a few MB, where parsing the whole file took ~1 GB (and 37 s; timed in bench/)
        assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MB"
        assert str(err.value) == f"big.csv: {expect}"


def test_title_rows_blank_rows_and_the_header_do_not_count():
    body = _centres_csv(5000).split(b"\n", 1)[1]
    lines = body.split(b"\n")
    spaced = b"\n\n".join(lines[:100]) + b"\n" + b"\n".join(lines[100:]) + b",,,,,\n" * 50
    raw = b"Children's centres, March 2025\n\n" + HEAD + spaced
    centres = load_centres(raw, "c.csv")
    assert len(centres) == 5000
    with pytest.raises(DataError, match=re.escape(CENTRE_REFUSED)):
        load_centres(raw + b"c9999,Extra,52.6,1.2,1,yes\n", "c.csv")


def test_quoted_newlines_and_old_mac_line_ends():
    rows = b"".join(b'c%d,"Centre\n%d",52.6,1.2,1,yes\r' % (i, i) for i in range(60))
    raw = HEAD.replace(b"\n", b"\r") + rows
    assert len(read_table(raw, "c.csv", max_rows=60)) == 60
    with pytest.raises(DataError, match="has more than 59 rows of data: refused"):
        read_table(raw, "c.csv", max_rows=59)


def test_areas_40000_accepted_40001_refused():
    assert len(load_areas(_areas_csv(40_000), "a.csv")) == 40_000
    with pytest.raises(DataError) as err:
        load_areas(_areas_csv(40_001), "a.csv")
    assert str(err.value) == f"a.csv: {AREA_REFUSED}"


def test_read_table_default_and_explicit_caps():
    raw = _centres_csv(12)
    assert len(read_table(raw, "t.csv")) == 12  # default: MAX_AREA_ROWS
    assert len(read_table(raw, "t.csv", max_rows=12)) == 12
    with pytest.raises(DataError, match=r"^t\.csv: has more than 11 rows of data: refused$"):
        read_table(raw, "t.csv", max_rows=11)
    with pytest.raises(DataError, match=r"\(too many\): refused"):
        read_table(raw, "t.csv", max_rows=3, reason="too many")
    assert len(read_table(_centres_csv(40_001), "t.csv", max_rows=None)) == 40_001


def _xlsx(n: int, title: bool = False) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Centres"
    if title:
        ws.append(["Children's centres"])
        ws.append([])
    ws.append(["centre_id", "name", "lat", "lon"])
    for i in range(n):
        ws.append([f"c{i}", f"Centre {i}", 52.6, 1.2])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_cap_with_a_small_cap(monkeypatch):
    assert len(load_centres(_xlsx(50, title=True), "c.xlsx", max_rows=50)) == 50
    with pytest.raises(DataError) as err:
        load_centres(_xlsx(51, title=True), "c.xlsx", max_rows=50)
    assert str(err.value) == "c.xlsx: sheet 'Centres' has more than 50 rows of data: refused"
    # streamed: the rows after the cap are never read
    calls = []
    real = tables._cell_text
    monkeypatch.setattr(tables, "_cell_text", lambda v: calls.append(v) or real(v))
    with pytest.raises(DataError, match="more than 50 rows"):
        read_table(_xlsx(2000), "c.xlsx", max_rows=50)
    assert len(calls) <= 4 * 52


def test_xlsx_5001_centres_refused_by_default():
    with pytest.raises(DataError, match=re.escape(f"sheet 'Centres' {CENTRE_REFUSED}")):
        load_centres(_xlsx(5001), "c.xlsx")


def test_grouping_and_assignment_use_their_caps():
    ds = load_default()
    cid = ds.centres.centre_id[0]
    grouping = b"centre_id,group\n" + f"{cid},G1\n".encode() * 5001
    with pytest.raises(DataError, match=re.escape(CENTRE_REFUSED)):
        load_grouping(grouping, ds.centres, "g.csv")
    aid = ds.areas.area_id[0]
    assignment = b"area_id,centre_id\n" + f"{aid},{cid}\n".encode() * 40_001
    with pytest.raises(DataError, match=re.escape(AREA_REFUSED)):
        load_assignment(assignment, ds.areas, ds.centres, "r.csv")
    assert load_assignment(assignment[: -len(f"{aid},{cid}\n")], ds.areas, ds.centres, "r.csv").to_dict() == {
        aid: cid}


def test_validators_cap_frames_read_elsewhere():
    """The Data page reads the table itself and validates the mapped frame: the cap holds there too."""
    frame = read_table(_centres_csv(5001), "c.csv")  # the default cap (areas) lets it through
    with pytest.raises(DataError, match=f"^c\\.csv: {re.escape(CENTRE_REFUSED)}$"):
        validate_centres(frame, "c.csv")
    assert len(validate_centres(frame.head(10), "c.csv")) == 10


def test_published_files_are_capped():
    ds = load_default()
    head = "LSOA code (2011),IMD decile\n"
    raw = ("Title\n\n" + head + "".join(f"{a},3\n" for a in ds.areas.area_id[:30])).encode()
    assert len(read_published(raw, "file7.csv", max_rows=30).frame) == 30
    with pytest.raises(DataError, match=r"^file7\.csv: has more than 29 rows of data: refused$"):
        read_published(raw, "file7.csv", max_rows=29)
    with pytest.raises(DataError, match="more than 29 rows"):
        published_areas([(raw, "file7.csv")], max_rows=29)
    big = (head + "E01000001,3\n" * 40_001).encode()
    with pytest.raises(DataError, match=re.escape(AREA_REFUSED)):
        published_areas([(big, "file7.csv")])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.lists(st.sampled_from(["", " ", "x", "1", "title"]), max_size=6), min_size=1, max_size=40))
def test_streaming_count_agrees_with_the_table(records):
    """The header found while streaming is guess_header's, and the rows counted are the table's rows."""
    width = max(len(r) for r in records)
    if width:
        grid = pd.DataFrame([r + [""] * (width - len(r)) for r in records], dtype=object)
        assert tables._header_position(records) == guess_header(grid)
    raw = "\n".join(",".join(r) for r in records).encode()
    try:
        table = read_table(raw, "g.csv", max_rows=None)
    except DataError:
        return
    assert len(read_table(raw, "g.csv", max_rows=len(table))) == len(table)
    if len(table):
        with pytest.raises(DataError, match="rows of data"):
            read_table(raw, "g.csv", max_rows=len(table) - 1)


def test_a_refused_file_is_never_decoded_whole():
    import tracemalloc

    raw = HEAD + b"c1,Sure Start centre,52.61234,1.21234,1,yes\n" * 500_000
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=re.escape(CENTRE_REFUSED)):
            load_centres(raw, "big.csv")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < len(raw) / 4, peak  # a few chunks and 5,000 rows, not the 24 MB text


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.lists(st.sampled_from([*"ab,;\"\t é漢🙂\r\n1", "\r\n"]), max_size=60).map("".join),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]), chunk=st.sampled_from([1, 2, 3, 7]))
def test_csv_lines_are_cut_the_same_at_any_chunk_size(text, encoding, chunk):
    import csv

    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        return
    if not raw or raw.isspace():
        return
    expect = None
    try:
        whole = tables.decode_text(raw, "x.csv")
        if not re.fullmatch(r"sep=.", whole.split("\n", 1)[0].strip(), flags=re.IGNORECASE):
            expect = list(csv.reader(io.StringIO(whole, newline=""), delimiter=tables._delimiter(whole)))
    except DataError:
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tables, "DECODE_CHUNK", chunk)
        try:
            got = tables._read_csv_grid(raw, "x.csv")[0]
        except DataError:
            got = None
    if expect is not None:
        assert got == expect


def test_a_late_windows_1252_byte_restarts_the_count(monkeypatch):
    monkeypatch.setattr(tables, "DECODE_CHUNK", 64)
    rows = b"".join(b"c%d,Centre %d,52.6,1.2,1,yes\n" % (i, i) for i in range(40))
    raw = HEAD + rows + b"c40,Caf\xe9,52.6,1.2,1,yes\n"  # not UTF-8: read again as Windows-1252
    table = read_table(raw, "c.csv", max_rows=41)
    assert len(table) == 41 and table["name"].iloc[-1] == "Café"
    with pytest.raises(DataError, match="more than 40 rows"):
        read_table(raw, "c.csv", max_rows=40)
