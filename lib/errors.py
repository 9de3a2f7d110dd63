"""The one error type for bad input: it names the file, row and column.

A bad upload usually has more than one problem, and an officer fixing a file
wants them all at once: validators collect problems in a :class:`Problems`
and raise one :class:`DataError` listing up to :data:`MAX_PROBLEMS` of them
(lowest rows first) with a count of the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np

MAX_PROBLEMS = 20


class DataError(ValueError):
    """Bad input, located: ``file, row N, column 'c': message``.

    ``row`` is the spreadsheet row number (the header is row 1, so the first
    data row is row 2); ``None`` when the problem is the whole file or column.

    ``file``, ``row``, ``column`` and ``message`` describe the first problem.
    ``problems`` holds every listed problem, the first included (each a
    single-problem ``DataError``; a single-problem error has ``problems == (self,)``)
    and ``more`` counts the problems found beyond those listed. With several
    problems ``str()`` is the first one followed by " (and N more problems)";
    :meth:`lines` gives one line per listed problem.
    """

    def __init__(self, file: str, message: str, row: int | None = None, column: str | None = None, *,
                 problems: Sequence[DataError] = (), more: int = 0):
        self.file = file
        self.row = row
        self.column = column
        self.message = message
        listed = tuple(problems)
        self.problems: tuple[DataError, ...] = listed if len(listed) > 1 else (self,)
        self.more = int(more)
        super().__init__(str(self))

    @classmethod
    def of(cls, problems: Sequence[DataError], more: int = 0) -> DataError:
        """One error listing ``problems`` (single-problem errors, the first describes the error)."""
        if not problems:
            raise ValueError("no problems to report")
        first = problems[0]
        if len(problems) == 1 and more == 0:
            return first
        return cls(first.file, first.message, first.row, first.column, problems=problems, more=more)

    @property
    def count(self) -> int:
        """How many problems were found (listed and not)."""
        return len(self.problems) + self.more

    def where(self) -> str:
        """``file, row N, column 'c': message`` of the first problem alone."""
        where = [self.file or "input"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"

    def __str__(self) -> str:
        others = self.count - 1
        if others <= 0:
            return self.where()
        return f"{self.where()} (and {others} more problem{'s' if others > 1 else ''})"

    def lines(self) -> list[str]:
        """One line per listed problem, then "… and K more" when problems were left off."""
        out = [p.where() for p in self.problems]
        if self.more > 0:
            out.append(f"… and {self.more:,} more")
        return out

    def renamed(self, columns: Mapping[str, str]) -> DataError:
        """The same error with canonical column names replaced by the user's headers (``columns``)."""
        def one(p: DataError) -> DataError:
            if p.column in columns and columns[p.column] != p.column:
                return DataError(p.file, p.message, p.row, columns[p.column])
            return p
        if len(self.problems) == 1 and self.more == 0:
            return one(self)
        return DataError.of([one(p) for p in self.problems], self.more)

    def __reduce__(self):  # picklable despite the keyword-only arguments
        return (_rebuild, (self.file, self.message, self.row, self.column,
                           None if len(self.problems) == 1 else [(p.file, p.message, p.row, p.column)
                                                                 for p in self.problems], self.more))


def _rebuild(file, message, row, column, problems, more) -> DataError:
    if problems is None:
        return DataError(file, message, row, column, more=more)
    return DataError.of([DataError(*p) for p in problems], more)


class Problems:
    """Collects the problems of one upload instead of raising at the first.

    ``add`` one problem, ``add_rows`` the rows a vectorised check flagged (only
    the ``cap`` lowest rows are turned into messages; the rest are counted),
    ``add_error`` a :class:`DataError` raised by a helper (all its problems), or
    wrap a call in ``with problems.collect():``. ``raise_if_any()`` raises one
    :class:`DataError` listing at most ``cap`` problems, whole-file ones first,
    then by row (ties keep the order found), with ``more`` counting the rest.
    """

    def __init__(self, file: str, cap: int = MAX_PROBLEMS):
        self.file = file
        self.cap = max(1, int(cap))
        self._listed: list[tuple[tuple[int, int], DataError]] = []
        self._seq = 0
        self.more = 0

    def __len__(self) -> int:
        return len(self._listed) + self.more

    def __bool__(self) -> bool:
        return len(self) > 0

    @property
    def full(self) -> bool:
        """True once ``cap`` problems are listed (further ones only count, unless on a lower row)."""
        return len(self._listed) >= self.cap

    def _key(self, row: int | None) -> tuple[int, int]:
        self._seq += 1
        return (-1 if row is None else int(row), self._seq)

    def _worst(self) -> int:
        return max(range(len(self._listed)), key=lambda i: self._listed[i][0])

    def accepts(self, row: int | None) -> bool:
        """Would a problem on ``row`` be listed (not merely counted)?"""
        if not self.full:
            return True
        key = (-1 if row is None else int(row), self._seq + 1)
        return key < self._listed[self._worst()][0]

    def _push(self, err: DataError) -> None:
        key = self._key(err.row)
        if not self.full:
            self._listed.append((key, err))
            return
        worst = self._worst()
        if key < self._listed[worst][0]:
            self._listed[worst] = (key, err)
        self.more += 1

    def add(self, message: str, row: int | None = None, column: str | None = None, file: str | None = None) -> None:
        """One problem (of this file unless ``file`` says otherwise)."""
        if not self.accepts(row):
            self.more += 1
            return
        self._push(DataError(self.file if file is None else file, message,
                             None if row is None else int(row), column))

    def add_error(self, err: DataError) -> None:
        """Every problem of ``err`` (and its count of unlisted ones)."""
        for p in err.problems:
            single = len(p.problems) == 1 and p.more == 0
            self._push(p if single else DataError(p.file, p.message, p.row, p.column))
        self.more += err.more

    def add_rows(self, bad: np.ndarray, rows: np.ndarray | Sequence[int] | None, column: str | Callable[[int], str]
                 | None, message: str | Callable[[int], str], file: str | None = None) -> int:
        """The rows flagged by a vectorised check: ``bad`` is a boolean mask (or positions) over
        ``rows`` (spreadsheet row numbers; ``position + 2`` when None). ``message`` and ``column``
        are text or a function of the position; they are called only for the rows listed
        (at most ``cap``, the lowest rows), the others are counted. Returns how many were flagged.
        """
        bad = np.asarray(bad)
        pos = np.flatnonzero(bad) if bad.dtype == bool else bad.astype(np.int64).ravel()
        flagged = len(pos)
        if flagged == 0:
            return 0
        row_no = np.asarray(rows, np.int64) if rows is not None else None
        rows_of = row_no[pos] if row_no is not None else pos + 2
        if len(pos) > self.cap:
            pick = np.argsort(rows_of, kind="stable")[: self.cap]
            pick.sort()
            self.more += len(pos) - self.cap
            pos, rows_of = pos[pick], rows_of[pick]
        for p, r in zip(pos.tolist(), rows_of.tolist(), strict=True):
            if not self.accepts(r):
                self.more += 1
                continue
            text = message(p) if callable(message) else message
            col = column(p) if callable(column) else column
            self.add(text, r, col, file)
        return flagged

    @contextmanager
    def collect(self) -> Iterator[Problems]:
        """``with problems.collect(): helper()`` adds what ``helper`` raises instead of stopping."""
        try:
            yield self
        except DataError as err:
            self.add_error(err)

    def error(self) -> DataError | None:
        """The collected problems as one :class:`DataError` (None when there are none)."""
        if not self._listed:
            return None
        listed = [e for _, e in sorted(self._listed, key=lambda item: item[0])]
        return DataError.of(listed, self.more)

    def raise_if_any(self) -> None:
        err = self.error()
        if err is not None:
            raise err


def combine(errors: Iterable[DataError], cap: int = MAX_PROBLEMS) -> DataError | None:
    """Several errors (from several files, say) as one, or None when there are none."""
    out = Problems("", cap)
    for err in errors:
        out.add_error(err)
    return out.error()
