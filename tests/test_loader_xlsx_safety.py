"""XLSX parts with a DTD or entity declarations are refused whatever their encoding: the prolog
of every XML part is read by a real XML parser (expat), not scanned for bytes."""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from lib.data import load_centres
from lib.errors import DataError
from lib.tables import read_table, sheet_names, xml_prolog_problem

ROOT = Path(__file__).resolve().parent.parent
DTD = '<!DOCTYPE x [<!ENTITY e "INJ:=HYPERLINK(1)">]>'


def _workbook() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["centre_id", "name", "lat", "lon"])
    ws.append(["c1", "One", 52.6, 1.2])
    ws.append(["c2", "Two", 52.7, 1.3])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _shared_strings_workbook() -> bytes:
    import xlsxwriter  # writes strings to xl/sharedStrings.xml (openpyxl writes them inline)

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    for r, row in enumerate([["centre_id", "name", "lat", "lon"], ["c1", "One", 52.6, 1.2]]):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    wb.close()
    return buf.getvalue()


def _rewrite(raw: bytes, part: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        assert part in src.namelist()
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, change(data) if info.filename == part else data)
    return out.getvalue()


def _entity_part(data: bytes, encoding: str, bom: bool, declare: str | None = "UTF-16") -> bytes:
    """The part re-encoded, with an internal entity declared and used in place of the cell text "One"."""
    text = data.decode("utf-8")
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2:]
    assert "One" in text
    text = text.replace("One", "&e;", 1)
    decl = f'<?xml version="1.0" encoding="{declare}"?>' if declare else ""
    body = (decl + DTD + text).encode(encoding)
    if bom:
        body = (codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE) + body
    return body


@pytest.mark.parametrize(("part", "encoding", "bom"), [
    ("xl/worksheets/sheet1.xml", "utf-16-le", True),
    ("xl/worksheets/sheet1.xml", "utf-16-be", True),
    ("xl/worksheets/sheet1.xml", "utf-16-le", False),
    ("xl/worksheets/sheet1.xml", "utf-16-be", False),
])
def test_utf16_sheet_with_an_entity_is_refused(part, encoding, bom):
    evil = _rewrite(_workbook(), part, lambda d: _entity_part(d, encoding, bom))
    for call in (lambda: load_centres(evil, "evil.xlsx"), lambda: read_table(evil, "evil.xlsx"),
                 lambda: sheet_names(evil, "evil.xlsx")):
        with pytest.raises(DataError) as err:
            call()
        assert str(err.value) == f"evil.xlsx: workbook part '{part}' declares a DTD: refused"


@pytest.mark.parametrize("bom", [True, False])
def test_utf16_shared_strings_with_an_entity_is_refused(bom):
    evil = _rewrite(_shared_strings_workbook(), "xl/sharedStrings.xml",
                    lambda d: _entity_part(d, "utf-16-le", bom))
    with pytest.raises(DataError, match=r"^evil\.xlsx: workbook part 'xl/sharedStrings\.xml' declares a DTD"):
        load_centres(evil, "evil.xlsx")


def test_utf8_with_a_dtd_is_still_refused():
    evil = _rewrite(_workbook(), "xl/worksheets/sheet1.xml",
                    lambda d: _entity_part(d, "utf-8", False, declare="UTF-8"))
    with pytest.raises(DataError, match=r"^e\.xlsx: workbook part 'xl/worksheets/sheet1\.xml' declares a DTD"):
        load_centres(evil, "e.xlsx")
    # a DTD with no internal subset, and one after a comment and whitespace
    for head in (b'<!DOCTYPE worksheet SYSTEM "http://example.com/x.dtd">', b"<!-- hi -->\n  <!DOCTYPE a>"):
        evil = _rewrite(_workbook(), "[Content_Types].xml", lambda d, h=head: h + d)
        with pytest.raises(DataError, match=r"'\[Content_Types\]\.xml' declares a DTD"):
            read_table(evil, "e.xlsx")


def test_a_part_not_named_xml_is_checked_too():
    """openpyxl follows the relationships, so a worksheet need not be called .xml."""
    evil_part = ('<?xml version="1.0" encoding="UTF-16"?>' + DTD + "<a>&e;</a>").encode("utf-16")
    raw = _workbook()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/worksheets/sheet2.bin", evil_part)
    with pytest.raises(DataError, match=r"'xl/worksheets/sheet2\.bin' declares a DTD"):
        read_table(out.getvalue(), "e.xlsx")


@pytest.mark.parametrize(("head", "why"), [
    (b"\xff\xfe<\x00?\x00x\x00m\x00", "is not well-formed XML"),              # truncated UTF-16 declaration
    (b'<?xml version="1.0" encoding="no-such-codec"?><a/>', "is not readable XML"),
    (b'<?xml version="1.0" encoding="shift_jis"?><a/>', "is not readable XML"),
    (b"<!-- " + b"x" * 70_000 + b" -->", "has no XML element in its first 64 KB"),
])
def test_malformed_or_undecodable_prologs_are_refused(head, why):
    evil = _rewrite(_workbook(), "xl/worksheets/sheet1.xml", lambda d, h=head: h)
    with pytest.raises(DataError) as err:
        read_table(evil, "e.xlsx")
    assert str(err.value).startswith("e.xlsx: workbook part 'xl/worksheets/sheet1.xml' ") and why in str(err.value)


def test_prolog_parser_directly():
    doc = f'<?xml version="1.0" encoding="UTF-16"?>{DTD}<sst><si><t>&e;</t></si></sst>'
    for encoded in (doc.encode("utf-16"), doc.encode("utf-16-le"), doc.encode("utf-16-be"),
                    doc.replace("UTF-16", "UTF-8").encode()):
        assert xml_prolog_problem(encoded, complete=True) == "declares a DTD"
    fine = '<?xml version="1.0" encoding="UTF-16"?><sst count="1"/>'
    assert xml_prolog_problem(fine.encode("utf-16"), complete=True) is None
    assert xml_prolog_problem(fine.encode("utf-16-le"), complete=True) is None
    assert xml_prolog_problem(b'<?xml version="1.0" encoding="windows-1252"?><a>\xe9</a>', complete=True) is None
    # stops at the first element: what follows may be cut anywhere
    assert xml_prolog_problem(b'<?xml version="1.0"?>\n<worksheet><sheetData><row r="1"><c', complete=False) is None


def test_normal_workbooks_still_load(tmp_path):
    assert load_centres(_workbook(), "ok.xlsx")["centre_id"].tolist() == ["c1", "c2"]
    assert load_centres(_shared_strings_workbook(), "ok.xlsx")["name"].tolist() == ["One"]
    # a workbook whose parts are UTF-16 without any DTD is fine too
    utf16 = _rewrite(_workbook(), "xl/worksheets/sheet1.xml",
                     lambda d: codecs.BOM_UTF16_LE + ('<?xml version="1.0" encoding="UTF-16"?>'
                                                      + d.decode()).encode("utf-16-le"))
    assert load_centres(utf16, "u.xlsx")["name"].tolist() == ["One", "Two"]
    path = tmp_path / "pandas.xlsx"
    import pandas as pd

    pd.DataFrame({"centre_id": ["a"], "name": ["A"], "lat": [52.6], "lon": [1.2]}).to_excel(path, index=False)
    assert load_centres(path)["centre_id"].tolist() == ["a"]


def test_defusedxml_is_pinned_and_used_by_openpyxl():
    assert "defusedxml==0.7.1" in (ROOT / "requirements.txt").read_text().splitlines()
    from openpyxl import DEFUSEDXML

    assert DEFUSEDXML is True
