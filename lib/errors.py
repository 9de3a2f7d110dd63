"""The one error type for bad input: it names the file, row and column."""

from __future__ import annotations


class DataError(ValueError):
    """Bad input, located: ``file, row N, column 'c': message``.

    ``row`` is the spreadsheet row number (the header is row 1, so the first
    data row is row 2); ``None`` when the problem is the whole file or column.
    """

    def __init__(self, file: str, message: str, row: int | None = None, column: str | None = None):
        self.file = file
        self.row = row
        self.column = column
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.file or "input"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"
