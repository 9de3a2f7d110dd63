"""The board pack as an Excel workbook (xlsxwriter): the pack's tables, unchanged, one sheet each.

Sheets, in order: Summary, Lots, Centres, Areas, Rules, Parameters, Notes (:meth:`BoardPack.tables`).
Summary opens with a title block (title, scenario, dataset, date, routes, lead agencies, budget)
and ends with the attribution and the dataset's notes.

Each table: a bold, wrapped header row, frozen (Summary: frozen below its table's header) with an
autofilter. Number formats follow the unit (see :func:`number_format`): the column header's for
most tables, each row's ``Unit`` for Summary and Parameters. The values are the pack's, unrounded;
the format only changes how many decimals Excel shows.

    width(column) = min(60, max(header width, widest cell as shown) + 2) characters
    header width  = max(longest word of the header, min(length of the header, 18))

Every text cell, headers included, goes through :func:`lib.export.neutralise` and ``write_string``
(never a formula or a link); numbers are numbers (NaN and None blank), booleans booleans.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
import xlsxwriter

from lib.export import neutralise
from lib.pack import BoardPack

MONEY = "£#,##0"
DECIMAL = "0.0"
COUNT = "#,##0"
COUNT_WORDS = ("children", "centres", "lots", "lsoas", "breaches")
MAX_WIDTH = 60
HEADER_MIN = 18
DATE_FORMAT = "d mmmm yyyy, hh:mm"


def number_format(unit: str) -> str | None:
    """The Excel number format for a header or a Unit cell (None: General).

    "£" anywhere -> ``£#,##0``; "%" or "km" (alone or as "(%)", "(km)") -> ``0.0``; a count of
    children, centres, lots, LSOAs or breaches -> ``#,##0``; anything else (a phase, a decile, a
    weight) -> General."""
    text = unit.strip().lower()
    if "£" in text:
        return MONEY
    if text in ("%", "km") or "(%)" in text or "(km)" in text:
        return DECIMAL
    if any(word in text for word in COUNT_WORDS):
        return COUNT
    return None


def _blank(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _shown(value: object, fmt: str | None) -> str:
    """The cell as Excel shows it (for the column width)."""
    if _blank(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "FALSE" if not value else "TRUE"
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if fmt == MONEY:
            return f"£{number:,.0f}"
        if fmt == DECIMAL:
            return f"{number:.1f}"
        if fmt == COUNT:
            return f"{number:,.0f}"
        return f"{number:g}"
    return str(neutralise(str(value)))


def _header_width(header: str) -> int:
    return max(max((len(w) for w in header.split()), default=0), min(len(header), HEADER_MIN))


class _Book:
    """One workbook being written, with its formats made once."""

    def __init__(self, buffer: io.BytesIO):
        self.book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                                 "strings_to_urls": False})
        self.header = self.book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
        self.bold = self.book.add_format({"bold": True})
        self.title = self.book.add_format({"bold": True, "font_size": 16})
        self.date = self.book.add_format({"num_format": DATE_FORMAT, "align": "left"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.formats = {f: self.book.add_format({"num_format": f}) for f in (MONEY, DECIMAL, COUNT)}

    def cell(self, sheet, row: int, col: int, value: object, fmt: str | None = None, style=None,
             wrap: bool = False) -> None:
        """Write one cell: text neutralised as a string, a number with ``fmt``, a boolean, or nothing.

        Text longer than :data:`MAX_WIDTH` in a table wraps (``wrap``), as the column is no wider."""
        if _blank(value):
            return
        if isinstance(value, bool | np.bool_):
            sheet.write_boolean(row, col, bool(value))
        elif isinstance(value, int | float | np.integer | np.floating):
            sheet.write_number(row, col, float(value), self.formats.get(fmt) if fmt else None)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, col, value, self.date)
        elif str(value):
            text = str(neutralise(str(value)))
            sheet.write_string(row, col, text, self.wrap if wrap and len(text) > MAX_WIDTH else style)

    def table(self, sheet, frame: pd.DataFrame, top: int = 0, extra: Sequence[Sequence[str]] = ()) -> None:
        """``frame`` with its header on row ``top``: formats, frozen header, autofilter, widths.

        ``extra``: text cells above the table that count towards the widths (column by column)."""
        headers = [str(c) for c in frame.columns]
        units = frame["Unit"].astype(str).tolist() if "Unit" in frame.columns else None
        widths = [_header_width(h) for h in headers]
        for col, cells in enumerate(extra):
            widths[col] = max([widths[col], *(len(c) for c in cells)])
        for col, header in enumerate(headers):
            sheet.write_string(top, col, str(neutralise(header)), self.header)
            column_fmt = number_format(header)
            for offset, value in enumerate(frame.iloc[:, col].tolist()):
                fmt = number_format(units[offset]) if units is not None else column_fmt
                self.cell(sheet, top + 1 + offset, col, value, fmt, wrap=True)
                widths[col] = max(widths[col], len(_shown(value, fmt)))
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(MAX_WIDTH, width + 2))
        sheet.freeze_panes(top + 1, 0)
        sheet.autofilter(top, 0, top + len(frame), max(len(headers) - 1, 0))


def _summary(book: _Book, pack: BoardPack, frame: pd.DataFrame) -> None:
    sheet = book.book.add_worksheet("Summary")
    sheet.write_string(0, 0, str(neutralise(pack.title)), book.title)
    block = [("Scenario", pack.scenario), ("Scenario notes", pack.scenario_notes), ("Dataset", pack.dataset),
             ("Date", pack.created), ("Procurement routes", pack.route_text),
             ("Lead agencies", pack.lead_text.removeprefix("Lead agencies: ")), ("Budget", pack.gap_text)]
    block = [(label, value) for label, value in block if value != ""]
    for row, (label, value) in enumerate(block, start=1):
        sheet.write_string(row, 0, label, book.bold)
        book.cell(sheet, row, 1, value)
    top = len(block) + 2
    book.table(sheet, frame, top, extra=[[label for label, _ in block]])
    row = top + len(frame) + 2
    for text in (pack.attribution, *pack.dataset_notes):
        if text:
            book.cell(sheet, row, 0, text)
            row += 1


def board_workbook(pack: BoardPack) -> bytes:
    """The board pack as .xlsx bytes (see the module docstring)."""
    buffer = io.BytesIO()
    book = _Book(buffer)
    for name, frame in pack.tables().items():
        if name == "Summary":
            _summary(book, pack, frame)
        else:
            book.table(book.book.add_worksheet(name), frame)
    book.book.close()
    return buffer.getvalue()
