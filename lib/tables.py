"""Reading user tables (CSV / XLSX) safely, and matching their column names.

Every failure is a :class:`~lib.errors.DataError` naming the file, row and
column; nothing is executed or unpickled. Cells are read as plain text: a
cell such as ``=cmd|' /C calc'!A0`` stays that string, and Excel formulas are
never evaluated (the value Excel last saved is read, or nothing).

Row numbers are spreadsheet row numbers (the header of an ordinary table is
row 1). Frames returned by :func:`read_table` carry them in their index as
``row - 2`` (so a plain ``RangeIndex`` means "header on row 1, no gaps");
:func:`row_numbers` turns an index back into row numbers.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import stat
import time
import warnings
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from xml.parsers import expat

import numpy as np
import pandas as pd

from lib.errors import DataError, Problems

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_CELLS = 10_000_000
HEADER_SCAN = 30  # the header row is looked for among the first rows

# Rows of data an upload may have (blank rows and the rows above the header do not count),
# checked while the file is read so that a huge file is refused before it is parsed.
MAX_CENTRE_ROWS = 5_000  # centres and groupings: a council has tens to hundreds of centres
MAX_AREA_ROWS = 40_000  # areas, reach-area assignments, published files: England has 32,844 LSOAs
ROW_CAP_REASONS = {
    MAX_CENTRE_ROWS: "a council has tens to hundreds of centres",
    MAX_AREA_ROWS: "England has 32,844 LSOAs",
}
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")

# Zip archives (xlsx workbooks, zipped shapefiles): limits against decompression bombs.
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_ZIP_RATIO = 200  # uncompressed / compressed, for members over ZIP_RATIO_FLOOR bytes
ZIP_RATIO_FLOOR = 1024 * 1024

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"


# --- bytes in -------------------------------------------------------------------------------

def read_source(source: object, file_name: str | None = None,
                max_bytes: int = MAX_UPLOAD_BYTES) -> tuple[bytes, str]:
    """The bytes of a path, ``bytes`` or uploaded file object, refusing anything over ``max_bytes``.

    Returns ``(raw, file_name)``; an upload object (anything with ``getvalue()`` or
    ``read()``, such as Streamlit's ``UploadedFile``) gives its ``name``.
    """
    cap = f"{max_bytes // 2**20} MB"
    if isinstance(source, (str, Path)):
        path = Path(source)
        file_name = file_name or path.name
        try:
            size = path.stat().st_size
        except OSError:
            raise DataError(file_name, "file not found") from None
        if not path.is_file():
            raise DataError(file_name, "is not a file")
        if size > max_bytes:
            raise DataError(file_name, f"file is larger than {cap} ({size / 2**20:.0f} MB)")
        try:
            return path.read_bytes(), file_name
        except OSError as exc:
            raise DataError(file_name, f"cannot read the file ({exc.strerror})") from None
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
        file_name = file_name or "upload"
    elif hasattr(source, "getvalue") or hasattr(source, "read"):
        file_name = file_name or str(getattr(source, "name", "") or "upload")
        size = getattr(source, "size", None)
        if isinstance(size, int) and size > max_bytes:
            raise DataError(file_name, f"file is larger than {cap} ({size / 2**20:.0f} MB)")
        raw = source.getvalue() if hasattr(source, "getvalue") else source.read(max_bytes + 1)
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        raw = bytes(raw)
    else:
        raise DataError(file_name or "upload", f"cannot read a {type(source).__name__} as a file")
    if len(raw) > max_bytes:
        raise DataError(file_name, f"file is larger than {cap}")
    return raw, file_name


def sniff_format(raw: bytes, file_name: str) -> str:
    """"xlsx", "zip", "xls", "sqlite", "gzip" or "text", from the bytes (the name only breaks ties)."""
    if raw[:4] in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
        return "xlsx" if file_name.lower().endswith((".xlsx", ".xlsm")) or _is_workbook(raw) else "zip"
    if raw[:8] == OLE_MAGIC:
        return "xls"
    if raw[:16] == SQLITE_MAGIC:
        return "sqlite"
    if raw[:2] == b"\x1f\x8b":
        return "gzip"
    return "text"


def _is_workbook(raw: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        return False


# --- zip safety -----------------------------------------------------------------------------

def unsafe_member_name(name: str) -> str | None:
    """Why a zip member name is unsafe to extract (zip-slip), or None when it is fine."""
    if "\x00" in name:
        return "contains a NUL character"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm) or norm.startswith("//"):
        return "is an absolute path"
    if ".." in PurePosixPath(norm).parts:
        return "climbs out of the folder ('..')"
    return None


def open_zip(raw: bytes, file_name: str, *, max_entries: int = MAX_ZIP_ENTRIES,
             max_total: int = MAX_ZIP_TOTAL_BYTES, max_ratio: float = MAX_ZIP_RATIO) -> zipfile.ZipFile:
    """A checked :class:`zipfile.ZipFile`: no path traversal, absolute paths or links,
    at most ``max_entries`` members, at most ``max_total`` bytes once uncompressed,
    no member compressed more than ``max_ratio`` times (decompression bombs).

    The declared sizes are checked here; :func:`read_member` enforces them while reading.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, RuntimeError,
            NotImplementedError, UnicodeDecodeError) as exc:
        raise DataError(file_name, f"is not a readable zip archive ({_first_line(exc)})") from None
    if len(infos) > max_entries:
        raise DataError(file_name, f"zip archive has {len(infos)} entries (the limit is {max_entries})")
    total = 0
    for info in infos:
        why = unsafe_member_name(info.filename)
        if why:
            raise DataError(file_name, f"zip entry {info.filename!r} {why}: refused")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise DataError(file_name, f"zip entry {info.filename!r} is a symbolic link: refused")
        if info.flag_bits & 0x1:
            raise DataError(file_name, f"zip entry {info.filename!r} is encrypted")
        total += info.file_size
        if total > max_total:
            raise DataError(file_name, f"zip archive would expand to more than {max_total // 2**20} MB: refused")
        if info.file_size > ZIP_RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
            raise DataError(file_name, f"zip entry {info.filename!r} is compressed "
                            f"{info.file_size / max(info.compress_size, 1):.0f} times (a zip bomb?): refused")
    return zf


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, file_name: str, limit: int | None = None,
                sink: io.RawIOBase | None = None) -> bytes:
    """Read one member, stopping if it expands beyond its declared size (or ``limit``)."""
    cap = info.file_size if limit is None else min(info.file_size, limit)
    out = sink if sink is not None else io.BytesIO()
    done = 0
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                done += len(chunk)
                if done > cap:
                    raise DataError(file_name, f"zip entry {info.filename!r} expands beyond its declared size: "
                                    "refused")
                out.write(chunk)
    except DataError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError,
            zlib.error) as exc:
        raise DataError(file_name, f"zip entry {info.filename!r} is damaged ({_first_line(exc)})") from None
    return out.getvalue() if sink is None else b""


XML_HEAD_BYTES = 64 * 1024
XML_SUFFIXES = (".xml", ".rels", ".vml")


class _PrologEnd(Exception):
    """The first start element: the prolog is over and had no DTD."""


class _Forbidden(Exception):
    pass


def _looks_like_xml(head: bytes) -> bool:
    """Could an XML parser read these bytes as a document (whatever its encoding)?"""
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if head.startswith(bom):
            return True
    return head.lstrip(b" \t\r\n\x00")[:1] == b"<"


def xml_prolog_problem(head: bytes, complete: bool) -> str | None:
    """Why the prolog of an XML document (its first bytes, ``complete`` when that is all of
    it) is refused, or None: a DTD or an entity declaration (entity expansion attacks;
    real xlsx parts never have one), bytes that are not well-formed XML in the encoding
    they declare, or no element within the first ``XML_HEAD_BYTES``.

    A real XML parser (expat) reads the prolog, so the encoding does not matter
    (UTF-8, UTF-16 with or without BOM, any declared one); it stops at the first
    start element, so this is cheap however large the part.
    """
    parser = expat.ParserCreate()

    def forbidden(*_args: object) -> None:
        raise _Forbidden

    def start(*_args: object) -> None:
        raise _PrologEnd

    parser.StartDoctypeDeclHandler = forbidden
    parser.EntityDeclHandler = forbidden
    parser.UnparsedEntityDeclHandler = forbidden
    parser.NotationDeclHandler = forbidden
    parser.ExternalEntityRefHandler = forbidden
    parser.StartElementHandler = start
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(head, complete)
    except _PrologEnd:
        return None
    except _Forbidden:
        return "declares a DTD"
    except expat.ExpatError as exc:
        return f"is not well-formed XML ({expat.ErrorString(exc.code)}, line {exc.lineno})"
    except (LookupError, UnicodeError, ValueError, TypeError) as exc:  # an encoding expat cannot use
        return f"is not readable XML ({_first_line(exc)})"
    return "has no XML element in its first 64 KB"


def _check_xml_prologs(zf: zipfile.ZipFile, file_name: str) -> None:
    """Refuse XML parts with a DTD or entity declarations, whatever their encoding.

    Every member named like an XML part, and every other member whose first bytes
    could be XML (openpyxl follows the relationships, not the names), has its
    prolog read by :func:`xml_prolog_problem`. A malformed or undecodable prolog is
    refused too. openpyxl then parses with defusedxml (entities forbidden) as well.
    """
    for info in zf.infolist():
        if info.is_dir():
            continue
        head = _head(zf, info, file_name, XML_HEAD_BYTES + 1)
        if not head:
            continue
        if not info.filename.lower().endswith(XML_SUFFIXES) and not _looks_like_xml(head):
            continue
        why = xml_prolog_problem(head[:XML_HEAD_BYTES], complete=len(head) <= XML_HEAD_BYTES)
        if why:
            raise DataError(file_name, f"workbook part {info.filename!r} {why}: refused")


def _head(zf: zipfile.ZipFile, info: zipfile.ZipInfo, file_name: str, size: int = XML_HEAD_BYTES) -> bytes:
    try:
        with zf.open(info) as fh:
            return fh.read(size)
    except Exception as exc:  # damaged member: openpyxl would fail too
        raise DataError(file_name, f"zip entry {info.filename!r} is damaged ({type(exc).__name__})") from None


# --- text (CSV) -----------------------------------------------------------------------------

DECODE_CHUNK = 1 << 20  # CSV bytes are decoded and cut into lines this much at a time
YIELD_EVERY = 500  # rows read between two offers of the interpreter to other threads


def _let_others_run() -> None:
    """Offer the interpreter lock to other threads (other sessions' reruns in the same Streamlit
    process). A long pure-Python loop otherwise keeps it for a whole switch interval (5 ms) each
    time another thread gives it up, so a page that releases it often (numpy) waits ~5 ms per
    release: ``time.sleep(0)`` every few hundred rows costs microseconds and avoids that convoy."""
    time.sleep(0)


def decode_text(raw: bytes, file_name: str) -> str:
    """Decode CSV bytes: UTF-16 (with BOM), UTF-8 (with or without BOM), Windows-1252, Latin-1."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(file_name, "is marked as UTF-16 text but cannot be decoded") from None
    else:
        text = ""
        for encoding in ENCODINGS:
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if "\x00" in text:
        raise DataError(file_name, "contains NUL bytes: this is not a CSV (text) file")
    return text


def _delimiter(text: str) -> str:
    """Comma unless the first non-blank line clearly uses tabs or semicolons."""
    for line in text[:256 * 1024].splitlines()[:30]:
        if line.strip().strip(",;\t"):
            outside = re.sub(r'"[^"]*"', "", line)
            counts = {d: outside.count(d) for d in (",", "\t", ";")}
            best = max(counts, key=lambda d: counts[d])
            return best if counts[best] > counts[","] else ","
    return ","


def row_cap_message(cap: int, reason: str | None = None, where: str = "") -> str:
    """"has more than 5,000 rows of data (a council has tens to hundreds of centres): refused"."""
    reason = ROW_CAP_REASONS.get(cap) if reason is None else reason
    return f"{where}has more than {cap:,} rows of data{f' ({reason})' if reason else ''}: refused"


def _record_filled(record: Sequence[str]) -> bool:
    """Has the record a non-blank cell? (as ``any(c.strip() for c in record)``, in C)"""
    return bool("".join(record).strip())


def _header_position(cells: Sequence[Sequence[object]]) -> int:
    """:func:`guess_header` on a list of records (the first ``HEADER_SCAN`` of them)."""
    filled = np.array([sum(bool(str(c).strip()) for c in r) for r in cells[:HEADER_SCAN]], dtype=np.int64)
    if not len(filled) or not filled.any():
        return 0
    need = max(1, min(2, int(filled.max())), int(np.ceil(filled.max() / 2)))
    return int(np.flatnonzero(filled >= need)[0])


class _RowCap:
    """Counts the rows of data (non-blank, below the header) while a grid is read and refuses
    the file as soon as there are more than ``cap``. ``header_at`` (a position in the grid) is
    guessed from the first ``HEADER_SCAN`` rows when not given, as :func:`guess_header` does."""

    def __init__(self, cap: int, file_name: str, header_at: int | None, reason: str | None, where: str = ""):
        self.cap, self.file_name, self.header_at, self.reason, self.where = cap, file_name, header_at, reason, where
        self.guessed = header_at is None
        self.data = 0

    def _refuse(self) -> None:
        raise DataError(self.file_name, row_cap_message(self.cap, self.reason, self.where))

    def reset(self) -> None:
        """Start again (the file is read again in another encoding)."""
        self.data = 0
        if self.guessed:
            self.header_at = None

    def feed(self, cells: list[list[str]]) -> None:
        """Call after each record is appended to ``cells``."""
        n = len(cells)
        if self.header_at is None:
            if n < HEADER_SCAN:
                return
            self.header_at = _header_position(cells)
            self.data = sum(_record_filled(r) for r in cells[self.header_at + 1:])
        elif n > self.header_at + 1 and _record_filled(cells[-1]):
            self.data += 1
        if self.data > self.cap:
            self._refuse()

    def finish(self, cells: list[list[str]]) -> None:
        if self.header_at is None:
            self.header_at = _header_position(cells)
            self.data = sum(_record_filled(r) for r in cells[self.header_at + 1:])
        if self.data > self.cap:
            self._refuse()


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _csv_encodings(raw: bytes) -> tuple[str, ...]:
    """The encodings to try, in order (as :func:`decode_text`)."""
    return ("utf-16",) if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else ENCODINGS


def _text_lines(raw: bytes, encoding: str, file_name: str):
    """The lines of ``raw`` decoded with ``encoding``, cut as ``io.StringIO(text, newline="")``
    would ("\r\n", "\r" or "\n" ends a line), decoded ``DECODE_CHUNK`` bytes at a time: the
    whole text is never built, so a file refused after a few thousand rows costs those rows,
    and no single step holds the interpreter long. Raises ``UnicodeDecodeError`` where the
    bytes are not ``encoding`` and :class:`DataError` at a NUL character."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(raw)
    rest = ""
    pos = 0
    while True:
        final = pos + DECODE_CHUNK >= len(raw)
        chunk = decoder.decode(view[pos:pos + DECODE_CHUNK], final=final)
        pos += DECODE_CHUNK
        if "\x00" in chunk:
            raise DataError(file_name, "contains NUL bytes: this is not a CSV (text) file")
        text = rest + chunk if rest else chunk
        if final:
            yield from (m.group() for m in _LINE.finditer(text))
            return
        end = len(text) - 1 if text.endswith("\r") else len(text)  # "\r" may be half of "\r\n"
        cut = max(text.rfind("\n", 0, end), text.rfind("\r", 0, end)) + 1
        yield from (m.group() for m in _LINE.finditer(text, 0, cut))
        rest = text[cut:]
        _let_others_run()


def _read_csv_grid(raw: bytes, file_name: str, max_rows: int | None = None,
                   cap: _RowCap | None = None) -> tuple[list[list[str]], list[int]]:
    """Records and the line each starts on; UTF-16 (BOM), UTF-8, Windows-1252 or Latin-1, the
    first that decodes (the file is read again with the next one when a later byte does not)."""
    encodings = _csv_encodings(raw)
    for n, encoding in enumerate(encodings):
        try:
            return _read_csv_records(raw, file_name, encoding, max_rows, cap)
        except UnicodeDecodeError:
            if encoding == "utf-16":
                raise DataError(file_name, "is marked as UTF-16 text but cannot be decoded") from None
            if n == len(encodings) - 1:
                raise
            if cap is not None:
                cap.reset()
    raise AssertionError("unreachable")  # latin-1 decodes anything


def _read_csv_records(raw: bytes, file_name: str, encoding: str, max_rows: int | None,
                      cap: _RowCap | None) -> tuple[list[list[str]], list[int]]:
    head = codecs.getincrementaldecoder(encoding)().decode(raw[:256 * 1024], final=len(raw) <= 256 * 1024)
    source = _text_lines(raw, encoding, file_name)
    first = head[:4096].split("\n", 1)[0].strip()
    line_offset = 0
    if re.fullmatch(r"sep=.", first, flags=re.IGNORECASE):  # Excel's "sep=;" hint line
        delimiter = first[-1]
        next(source, None)
        line_offset = 1
    else:
        delimiter = _delimiter(head)
    reader = csv.reader(source, delimiter=delimiter)
    cells: list[list[str]] = []
    lines: list[int] = []
    count = 0
    start = 1
    try:
        for record in reader:
            if max_rows is not None and len(cells) >= max_rows:
                break
            cells.append(record)
            lines.append(start + line_offset)
            start = reader.line_num + 1
            count += len(record)
            if count > MAX_CELLS:
                raise DataError(file_name, f"has more than {MAX_CELLS:,} cells: too large")
            if cap is not None:
                cap.feed(cells)
            if len(cells) % YIELD_EVERY == 0:
                _let_others_run()
    except csv.Error as exc:
        raise DataError(file_name, f"not a readable CSV file ({_first_line(exc)})",
                        reader.line_num + line_offset) from None
    if cap is not None:
        cap.finish(cells)
    return cells, lines


# --- xlsx -----------------------------------------------------------------------------------

def _open_workbook(raw: bytes, file_name: str):
    import openpyxl

    zf = open_zip(raw, file_name)
    names = set(zf.namelist())
    if "xl/workbook.xml" not in names:
        if "mimetype" in names and b"opendocument" in read_member(zf, zf.getinfo("mimetype"), file_name, 200):
            raise DataError(file_name, "is an OpenDocument spreadsheet: save it as .xlsx or CSV")
        raise DataError(file_name, "is a zip archive, not an Excel workbook (.xlsx)")
    _check_xml_prologs(zf, file_name)
    try:
        with warnings.catch_warnings():  # openpyxl warns about styles and extensions it ignores
            warnings.simplefilter("ignore", UserWarning)
            return openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
    except DataError:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise DataError(file_name, f"not a readable Excel workbook ({type(exc).__name__})") from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not np.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _choose_sheet(wb, sheet: str | int | None, file_name: str):
    names = list(wb.sheetnames)
    if not names:
        raise DataError(file_name, "workbook has no sheets")
    if sheet is None:
        sheet = 0
    if isinstance(sheet, (int, np.integer)) and not isinstance(sheet, bool):
        if not 0 <= int(sheet) < len(names):
            raise DataError(file_name, f"there is no sheet number {int(sheet) + 1} (sheets: {', '.join(names)})")
        return wb[names[int(sheet)]]
    wanted = str(sheet).strip().lower()
    for name in names:
        if name.strip().lower() == wanted:
            return wb[name]
    raise DataError(file_name, f"there is no sheet named {sheet!r} (sheets: {', '.join(names)})")


def _read_xlsx_grid(raw: bytes, file_name: str, sheet: str | int | None,
                    max_rows: int | None = None, cap: _RowCap | None = None) -> tuple[list[list[str]], list[int]]:
    wb = _open_workbook(raw, file_name)
    try:
        ws = _choose_sheet(wb, sheet, file_name)
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # some writers store a wrong sheet size: read what is there
        if cap is not None:
            cap.where = f"sheet {ws.title!r} "
        cells: list[list[str]] = []
        lines: list[int] = []
        count = 0
        try:
            for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if max_rows is not None and number > max_rows:
                    break
                record = [_cell_text(v) for v in row]
                while record and record[-1] == "":
                    record.pop()
                cells.append(record)
                lines.append(number)
                count += len(row)
                if count > MAX_CELLS:
                    raise DataError(file_name, f"sheet {ws.title!r} has more than {MAX_CELLS:,} cells: too large")
                if cap is not None:
                    cap.feed(cells)
                if number % YIELD_EVERY == 0:
                    _let_others_run()
            if cap is not None:
                cap.finish(cells)
        except DataError:
            raise
        except Exception as exc:
            raise DataError(file_name, f"sheet {ws.title!r} is not readable ({type(exc).__name__})") from None
    finally:
        wb.close()
    return cells, lines


def sheet_names(source: object, file_name: str | None = None) -> list[str]:
    """Sheet names of an Excel workbook, in order; ``[]`` for a CSV (text) file."""
    raw, file_name = read_source(source, file_name)
    fmt = sniff_format(raw, file_name)
    if fmt != "xlsx":
        _refuse_non_table(fmt, raw, file_name)
        return []
    wb = _open_workbook(raw, file_name)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _refuse_non_table(fmt: str, raw: bytes, file_name: str) -> None:
    if fmt == "xls":
        raise DataError(file_name, "is an old Excel 97-2003 (.xls) workbook: save it as .xlsx or CSV")
    if fmt == "sqlite":
        raise DataError(file_name, "is a database (e.g. a GeoPackage), not a table: upload it as boundaries")
    if fmt == "zip":
        raise DataError(file_name, "is a zip archive, not an Excel workbook (.xlsx) or CSV file")
    if fmt == "text" and file_name.lower().endswith((".xlsx", ".xlsm")):
        raise DataError(file_name, "is named .xlsx but is not an Excel workbook (an .xlsx file is a zip archive)")


# --- grids and tables -----------------------------------------------------------------------

def read_grid(source: object, file_name: str | None = None, sheet: str | int | None = 0,
              max_rows: int | None = None, *, max_data_rows: int | None = None, header_at: int | None = None,
              reason: str | None = None) -> pd.DataFrame:
    """Every cell of a CSV file or one worksheet as text, no header: ``grid.index`` is the
    spreadsheet row number (CSV: the line where the record starts), columns are 0..n-1.
    ``max_rows`` stops after that many rows (to look for a header cheaply).

    ``max_data_rows`` refuses (:class:`DataError`) a file with more rows of data than that:
    non-blank rows below the header, which is the row at position ``header_at`` (when None,
    the row :func:`guess_header` finds). They are counted while the file is read, so a huge
    file is refused after ``max_data_rows`` rows, not after parsing it all. ``reason`` is
    said in the message (by default the reason for :data:`MAX_CENTRE_ROWS` or
    :data:`MAX_AREA_ROWS`).
    """
    raw, file_name = read_source(source, file_name)
    if not raw or raw.isspace():
        raise DataError(file_name, "file is empty")
    fmt = sniff_format(raw, file_name)
    if fmt == "gzip":
        raw = _gunzip(raw, file_name)
        fmt = sniff_format(raw, file_name[:-3] if file_name.lower().endswith(".gz") else file_name)
    _refuse_non_table(fmt, raw, file_name)
    cap = None if max_data_rows is None or max_rows is not None else \
        _RowCap(int(max_data_rows), file_name, header_at, reason)
    if fmt == "xlsx":
        cells, lines = _read_xlsx_grid(raw, file_name, sheet, max_rows, cap)
    else:
        cells, lines = _read_csv_grid(raw, file_name, max_rows, cap)
    width = max((len(r) for r in cells), default=0)
    if width == 0:
        raise DataError(file_name, "file has no data")
    grid = pd.DataFrame([r + [""] * (width - len(r)) for r in cells], index=pd.Index(lines, dtype=np.int64),
                        dtype=object)
    return grid


def _gunzip(raw: bytes, file_name: str) -> bytes:
    import gzip

    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as fh:
            out = fh.read(MAX_UPLOAD_BYTES + 1)
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        raise DataError(file_name, f"not a readable gzip file ({_first_line(exc)})") from None
    if len(out) > MAX_UPLOAD_BYTES:
        raise DataError(file_name, f"expands to more than {MAX_UPLOAD_BYTES // 2**20} MB: too large")
    return out


def _row_filled(values: np.ndarray) -> np.ndarray:
    """True for each row (of an object array of cells) with at least one non-blank cell."""
    return np.fromiter((bool("".join(map(str, row)).strip()) for row in values), bool, count=len(values))


def _filled(grid: pd.DataFrame) -> np.ndarray:
    """True for each non-blank cell (for small grids)."""
    values = grid.to_numpy(dtype=object)
    if values.size == 0:
        return np.zeros(values.shape, bool)
    return np.frompyfunc(lambda c: bool(str(c).strip()), 1, 1)(values).astype(bool)


def blank_rows(grid: pd.DataFrame) -> np.ndarray:
    """True for rows whose every cell is blank."""
    return ~_row_filled(grid.to_numpy(dtype=object)) if grid.shape[1] else np.ones(len(grid), bool)


def guess_header(grid: pd.DataFrame, scan: int = 30) -> int:
    """Position (in ``grid``) of the header row: the first row, among the first ``scan``,
    that fills at least half as many cells as the fullest of them (title rows above a
    table fill one cell)."""
    filled = _filled(grid.iloc[:scan]).sum(axis=1)
    if not filled.any():
        return 0
    need = max(1, min(2, int(filled.max())), int(np.ceil(filled.max() / 2)))
    return int(np.flatnonzero(filled >= need)[0])  # _header_position does the same on records


def table_from_grid(grid: pd.DataFrame, header_at: int, file_name: str) -> pd.DataFrame:
    """The table whose header is row position ``header_at`` of ``grid``; fully blank rows
    are dropped and the index keeps each data row's number as ``row - 2``."""
    header = [str(v).replace("\ufeff", "").strip() for v in grid.iloc[header_at]]
    body = grid.iloc[header_at + 1:]
    values = body.to_numpy(dtype=object)
    keep = _row_filled(values) if len(values) else np.zeros(0, bool)
    values, index = values[keep], body.index.to_numpy(np.int64)[keep]
    width = len(header)
    while width and header[width - 1] == "" and not any(str(c).strip() for c in values[:, width - 1]):
        width -= 1
    header = header[:width]
    if not header:
        raise DataError(file_name, "the header row is empty", int(grid.index[header_at]))
    if values.shape[1] > width:
        extra = _row_filled(values[:, width:])
        if extra.any():
            problems = Problems(file_name)
            problems.add_rows(extra, index, None, f"this row has more values than the header has columns ({width})")
            problems.raise_if_any()
    return pd.DataFrame(values[:, :width], columns=_unique_names(header),
                        index=pd.Index(index - 2, dtype=np.int64), dtype=object)


def _unique_names(header: list[str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for pos, name in enumerate(header):
        name = name or column_letter(pos)
        base, k = name, 2
        while name in seen:
            name = f"{base} ({k})"
            k += 1
        seen.add(name)
        names.append(name)
    return names


def column_letter(pos: int) -> str:
    """Spreadsheet column letter of a 0-based position: 0 -> A, 26 -> AA."""
    letters = ""
    pos += 1
    while pos:
        pos, rem = divmod(pos - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def read_table(source: object, file_name: str | None = None, sheet: str | int | None = 0, *,
               max_rows: int | None = MAX_AREA_ROWS, reason: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX file (path, bytes or upload) into a DataFrame of strings.

    CSV is tried as UTF-16 (with BOM), UTF-8 (with or without BOM), Windows-1252
    (Excel's "CSV" on English Windows), then Latin-1; comma, tab or semicolon
    separated. The header is the first row that is not a title (see
    :func:`guess_header`); blank rows are skipped. Files over
    ``MAX_UPLOAD_BYTES`` are refused before parsing.

    A file with more than ``max_rows`` rows of data is refused while it is read
    (``None``: no cap). The default, :data:`MAX_AREA_ROWS`, is the ceiling for any
    table; pass :data:`MAX_CENTRE_ROWS` for centres and groupings.
    """
    raw, file_name = read_source(source, file_name)
    grid = read_grid(raw, file_name, sheet, max_data_rows=max_rows, reason=reason)
    return table_from_grid(grid, guess_header(grid), file_name)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --- columns --------------------------------------------------------------------------------

def column_key(name: object) -> str:
    """Normalise a header for matching: lower case, runs of non-alphanumerics -> '_'."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def rename_columns(frame: pd.DataFrame, aliases: Mapping[str, str]) -> pd.DataFrame:
    """Rename columns to canonical names via ``aliases`` (normalised header -> canonical).

    The first column matching a canonical name wins; later duplicates keep their
    own names.
    """
    renamed: dict[str, str] = {}
    taken: set[str] = set()
    for col in frame.columns:
        key = column_key(col)
        target = aliases.get(key, key)
        if target in taken:
            target = key if key not in taken else str(col)
        renamed[col] = target
        taken.add(target)
    return frame.rename(columns=renamed)


def require_columns(frame: pd.DataFrame, required: tuple[str, ...], file_name: str, hint: str = "") -> None:
    """Raise naming the first missing canonical column."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns[:12]))
        raise DataError(file_name, f"missing column(s) {', '.join(missing)} (found: {found}){hint}",
                        column=missing[0])


# --- rows and values ------------------------------------------------------------------------

def sheet_row(position: int) -> int:
    """Spreadsheet row number of the ``position``-th data row (header is row 1)."""
    return int(position) + 2


def row_numbers(frame: pd.DataFrame) -> np.ndarray:
    """Spreadsheet row number of each row: ``index + 2`` for an integer index (as
    :func:`read_table` sets it), else ``position + 2``."""
    index = frame.index
    if len(index) and pd.api.types.is_integer_dtype(index.dtype) and index.min() >= 0:
        return index.to_numpy(np.int64) + 2
    return np.arange(len(frame), dtype=np.int64) + 2


def _rows(frame: pd.DataFrame, rows: Sequence[int] | np.ndarray | None) -> np.ndarray:
    return np.asarray(rows, np.int64) if rows is not None else np.arange(len(frame), dtype=np.int64) + 2


def _as_text(values: pd.Series) -> pd.Series:
    cells = values.to_numpy(dtype=object)
    return pd.Series([v.strip() if type(v) is str else plain_text(v) for v in cells], index=values.index,
                     dtype=object)


def plain_text(v: object) -> str:
    """A cell as stripped text; None, NaN and NA become ''."""
    if type(v) is str:
        return v.strip()
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return ""
    return str(v).strip()


def text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text (object dtype); missing values become ''."""
    return _as_text(frame[column])


BLANKS = ("", "nan", "na", "n/a", "none", "null", "-", "—")


def parse_numbers(frame: pd.DataFrame, column: str, *, money: bool = False
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(values, blank, bad)`` of a column: floats (NaN where blank or bad), the blank cells
    (see ``BLANKS``) and the non-blank cells that are not a finite number. A column read as
    numbers already (the bundled data) is taken as it is."""
    col = frame[column]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        values = col.to_numpy(dtype=float, na_value=np.nan, copy=True)
        blank = np.isnan(values)
        bad = np.isinf(values)
        values[bad] = np.nan
        return values, blank, bad
    text = text_column(frame, column).str.replace(",", "", regex=False).str.replace(" ", "", regex=False)
    if money:
        text = text.str.replace(r"^[£$€]|^GBP", "", regex=True)
    blank = text.str.lower().isin(BLANKS).to_numpy()
    values = np.array(pd.to_numeric(text.where(~blank, "nan"), errors="coerce"), dtype=float)
    bad = ~np.isfinite(values) & ~blank
    values[blank | bad] = np.nan
    return values, blank, bad


def numeric_column(frame: pd.DataFrame, column: str, file_name: str, *, required: bool = True,
                   rows: Sequence[int] | np.ndarray | None = None, money: bool = False,
                   problems: Problems | None = None) -> np.ndarray:
    """Parse a column as floats; a non-blank cell that is not a finite number is an error,
    and so is a blank one when ``required``. Every such cell is reported (NaN in the result):
    added to ``problems`` when given, else raised as one :class:`DataError`.

    Thousands separators ("1,234") are accepted; with ``money``, so are "£", "$", "€"
    and a trailing "k"-free amount such as "£12,500.00".
    """
    row_no = _rows(frame, rows)
    own = problems is None
    found = Problems(file_name) if own else problems
    values, blank, bad = parse_numbers(frame, column, money=money)
    cells = frame[column]
    found.add_rows(bad, row_no, column, lambda i: f"{cells.iloc[i]!r} is not a number")
    if required:
        found.add_rows(blank, row_no, column, "value is missing")
    if own:
        found.raise_if_any()
    return values


def blank_cells(frame: pd.DataFrame, column: str) -> np.ndarray:
    """True where a cell is blank as :func:`numeric_column` sees it ("", "n/a", "-"...)."""
    text = text_column(frame, column).str.replace(",", "", regex=False).str.replace(" ", "", regex=False)
    return text.str.lower().isin(BLANKS).to_numpy()


def duplicate_check(ids: pd.Series, file_name: str, column: str,
                    rows: Sequence[int] | np.ndarray | None = None, problems: Problems | None = None) -> None:
    """Every blank id and every repeat of an id (naming the row of its first use): added to
    ``problems`` when given, else raised as one :class:`DataError`."""
    row_no = np.asarray(rows, np.int64) if rows is not None else np.arange(len(ids), dtype=np.int64) + 2
    own = problems is None
    found = Problems(file_name) if own else problems
    stripped = _as_text(ids)
    blank = stripped.str.lower().isin(["", "nan", "none", "<na>"]).to_numpy()
    found.add_rows(blank, row_no, column, "id is blank")
    dup = stripped.duplicated().to_numpy() & ~blank
    if dup.any():
        values = stripped.to_numpy(dtype=object)
        first_pos: dict[object, int] = {}
        for pos in np.flatnonzero(~dup & ~blank).tolist():
            first_pos.setdefault(values[pos], pos)
        found.add_rows(dup, row_no, column,
                       lambda i: f"duplicate id {values[i]!r} (first at row {int(row_no[first_pos[values[i]]])})")
    if own:
        found.raise_if_any()
