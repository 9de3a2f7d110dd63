"""Reading user tables (CSV / XLSX) safely, and matching their column names.

Every failure is a :class:`~lib.errors.DataError` naming the file, row and
column; nothing is executed or unpickled.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from lib.errors import DataError

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def read_table(source: str | Path | bytes, file_name: str | None = None, sheet: str | int = 0) -> pd.DataFrame:
    """Read a CSV or XLSX file (path or bytes) into a DataFrame of strings.

    CSV is tried as UTF-8 (with or without BOM), then Windows-1252 (Excel's
    "CSV" on English Windows), then Latin-1. Files over ``MAX_UPLOAD_BYTES``
    are refused before parsing.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        file_name = file_name or path.name
        if not path.exists():
            raise DataError(file_name, "file not found")
        if path.stat().st_size > MAX_UPLOAD_BYTES:
            raise DataError(file_name, f"file is larger than {MAX_UPLOAD_BYTES // 2**20} MB")
        raw = path.read_bytes()
    else:
        raw = bytes(source)
        file_name = file_name or "upload"
        if len(raw) > MAX_UPLOAD_BYTES:
            raise DataError(file_name, f"file is larger than {MAX_UPLOAD_BYTES // 2**20} MB")
    if not raw.strip():
        raise DataError(file_name, "file is empty")
    if raw[:4] == b"PK\x03\x04" or file_name.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(raw, file_name, sheet)
    if raw[:2] == b"\x1f\x8b":
        import gzip

        try:
            raw = gzip.decompress(raw[: MAX_UPLOAD_BYTES])
        except OSError as exc:
            raise DataError(file_name, f"not a readable gzip file ({exc})") from None
    return _read_csv(raw, file_name)


def _read_csv(raw: bytes, file_name: str) -> pd.DataFrame:
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(file_name, f"not a readable CSV file ({_first_line(exc)})") from None
    return frame


def _read_xlsx(raw: bytes, file_name: str, sheet: str | int) -> pd.DataFrame:
    try:
        frame = pd.read_excel(io.BytesIO(raw), sheet_name=sheet, dtype=str, keep_default_na=False,
                              engine="openpyxl")
    except ValueError as exc:
        raise DataError(file_name, f"sheet {sheet!r} not found or unreadable ({_first_line(exc)})") from None
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise DataError(file_name, f"not a readable Excel file ({type(exc).__name__})") from None
    return frame


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


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


def sheet_row(position: int) -> int:
    """Spreadsheet row number of the ``position``-th data row (header is row 1)."""
    return int(position) + 2


def numeric_column(frame: pd.DataFrame, column: str, file_name: str, *, required: bool = True) -> np.ndarray:
    """Parse a column as floats; a non-blank cell that is not a number is an error.

    Thousands separators ("1,234") are accepted.
    """
    text = frame[column].astype(str).str.strip().str.replace(",", "", regex=False)
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    blank = text.eq("") | text.str.lower().isin(["nan", "na", "n/a", "none"])
    bad = np.isnan(values) & ~blank.to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(file_name, f"{frame[column].iloc[i]!r} is not a number", sheet_row(i), column)
    if required and blank.any():
        i = int(np.flatnonzero(blank.to_numpy())[0])
        raise DataError(file_name, "value is missing", sheet_row(i), column)
    return values


def duplicate_check(ids: pd.Series, file_name: str, column: str) -> None:
    """Raise at the first repeated id (blank ids are an error too)."""
    stripped = ids.astype(str).str.strip()
    blank = stripped.eq("").to_numpy()
    if blank.any():
        i = int(np.flatnonzero(blank)[0])
        raise DataError(file_name, "id is blank", sheet_row(i), column)
    dup = stripped.duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero(stripped.eq(stripped.iloc[i]).to_numpy())[0])
        raise DataError(file_name, f"duplicate id {stripped.iloc[i]!r} (first at row {sheet_row(first)})",
                        sheet_row(i), column)
