"""Areas from the published files as councils download them.

Recognised, as published (headers matched forgivingly, the header row found
wherever it is in the first 30 rows, the right sheet found in a workbook):

- **MHCLG English Indices of Deprivation 2019**: File 7 ("All IoD2019 Scores,
  Ranks, Deciles and Population Denominators", CSV), and any IoD2019 file with
  "LSOA code (2011)" and an IMD decile column (File 1, File 2, ...).
- **ONS Lower layer Super Output Area population estimates** by single year of
  age (SAPE22DT2 mid-2019, SAPE23DT2 mid-2020...): the "Mid-20xx Persons" sheet
  with "LSOA Code", "LSOA Name", "LA name (... boundaries)", "All Ages", "0",
  "1", ... "90+" (children aged 0-4 = ages 0 to 4), or a "0-4" band column.

:func:`published_areas` joins them with the population-weighted centroids of
the bundled England file (ONS, LSOA 2011) into a canonical areas table. What a
council does not upload (IMD, population, urban/rural) comes from the bundled
England file, and the notes say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.errors import DataError, Problems
from lib.tables import (
    MAX_AREA_ROWS,
    column_key,
    duplicate_check,
    numeric_column,
    read_grid,
    read_source,
    sheet_names,
    table_from_grid,
    text_column,
)

IMD = "imd"
POPULATION = "population"
HEADER_SCAN = 30
LSOA_CODE = re.compile(r"^lsoa(11|21|_?20(11|21))?_?(code|cd)(_20(11|21))?$|^lsoa_code_20(11|21)$")

# canonical name -> regular expressions on column_key(header), first match wins
IMD_COLUMNS = {
    "area_id": [LSOA_CODE.pattern],
    "name": [r"^lsoa(11|21)?_?(name|nm)(_20(11|21))?$"],
    "lad_code": [r"^local_authority_district_code", r"^lad\d*cd$"],
    "district": [r"^local_authority_district_name", r"^lad\d*nm$"],
    "imd_score": [r"^index_of_multiple_deprivation_imd_score$", r"^imd_?score$"],
    "imd_rank": [r"^index_of_multiple_deprivation_imd_rank"],
    "imd_decile": [r"^index_of_multiple_deprivation_imd_decile", r"^imd_?decile"],
    "idaci_score": [r"^income_deprivation_affecting_children_index_idaci_score", r"^idaci_?score"],
    "idaci_decile": [r"^income_deprivation_affecting_children_index_idaci_decile", r"^idaci_?decile"],
}
POP_COLUMNS = {
    "area_id": [LSOA_CODE.pattern],
    "name": [r"^lsoa(11|21)?_?(name|nm)(_20(11|21))?$"],
    "district": [r"^la_name", r"^local_authority_name", r"^lad\d*nm$"],
    "all_ages": [r"^all_ages$", r"^all_persons$", r"^total$"],
    "band_0_4": [r"^(age_|aged_)?0_(to_)?4$"],
}
AGES = ("0", "1", "2", "3", "4")
SKIP_SHEETS = re.compile(r"contents|notes?$|metadata|info|cover|terms|definitions", re.IGNORECASE)


@dataclass(frozen=True)
class PublishedTable:
    """One recognised published table, its rows in canonical columns.

    ``frame`` columns: IMD -> area_id, name, lad_code, district, imd_score,
    imd_rank, imd_decile, idaci_score, idaci_decile (those present); population
    -> area_id, name, district, children, all_ages. ``rows`` holds each row's
    spreadsheet row number and ``columns`` the header text of each canonical column.
    """

    kind: str
    file_name: str
    sheet: str | None
    header_row: int
    frame: pd.DataFrame
    rows: np.ndarray
    columns: dict[str, str]

    def where(self, column: str) -> str:
        return self.columns.get(column, column)

    @property
    def label(self) -> str:
        what = "IoD2019 deprivation file" if self.kind == IMD else "LSOA population estimates"
        return f"{self.file_name}{f' (sheet {self.sheet!r})' if self.sheet else ''}: {what}"


@dataclass(frozen=True)
class PublishedAreas:
    """The canonical areas table built from published files, with notes on every source."""

    areas: pd.DataFrame
    notes: tuple[str, ...]
    tables: tuple[PublishedTable, ...]


def _match(headers: list[str], spec: dict[str, list[str]]) -> dict[str, int]:
    keys = [column_key(h) for h in headers]
    found: dict[str, int] = {}
    for name, patterns in spec.items():
        for pattern in patterns:
            hit = next((i for i, k in enumerate(keys) if re.search(pattern, k) and i not in found.values()), None)
            if hit is not None:
                found[name] = hit
                break
    return found


def _age_columns(headers: list[str]) -> dict[str, int]:
    keys = [column_key(h) for h in headers]
    out = {}
    for age in AGES:
        hit = next((i for i, k in enumerate(keys) if k in (age, f"age_{age}", f"aged_{age}")), None)
        if hit is not None:
            out[age] = hit
    return out


def recognise(headers: Sequence[object]) -> str | None:
    """``"imd"``, ``"population"`` or None for a header row."""
    headers = [str(h) for h in headers]
    imd = _match(headers, IMD_COLUMNS)
    if "area_id" not in imd:
        return None
    if "imd_decile" in imd or "imd_score" in imd or "idaci_decile" in imd:
        return IMD
    pop = _match(headers, POP_COLUMNS)
    if len(_age_columns(headers)) == len(AGES) or "band_0_4" in pop:
        return POPULATION
    return None


def _find_header(grid: pd.DataFrame) -> tuple[int, str] | None:
    for pos in range(min(HEADER_SCAN, len(grid))):
        kind = recognise(list(grid.iloc[pos]))
        if kind:
            return pos, kind
    return None


def read_published(source: object, file_name: str | None = None, sheet: str | int | None = None, *,
                   max_rows: int | None = MAX_AREA_ROWS) -> PublishedTable:
    """Recognise and read one published file (CSV or XLSX; path, bytes or upload).

    Without ``sheet``, a workbook's sheets are searched ("Persons" sheets first,
    contents and notes sheets last) for a recognised header. A table with more
    than ``max_rows`` rows of data below its header is refused while it is read.
    Every problem of its rows is reported (one :class:`DataError`).
    """
    raw, file_name = read_source(source, file_name)
    names = sheet_names(raw, file_name)
    if not names or sheet is not None:
        candidates: list[str | int | None] = [sheet if sheet is not None else 0]
    else:
        def rank(name: str) -> tuple[int, int]:
            return (0 if "persons" in name.lower() else 2 if SKIP_SHEETS.search(name) else 1, names.index(name))
        candidates = sorted(names, key=rank)
    for candidate in candidates:
        head = read_grid(raw, file_name, candidate, max_rows=HEADER_SCAN)
        found = _find_header(head)
        if found is None:
            continue
        grid = read_grid(raw, file_name, candidate, max_data_rows=max_rows, header_at=found[0])
        sheet_name = (names[candidate] if isinstance(candidate, int) else candidate) if names else None
        return _parse(grid, found[0], found[1], file_name, sheet_name)
    where = f"the sheets {', '.join(map(repr, names))}" if names and sheet is None else "the first 30 rows"
    raise DataError(file_name, f"not recognised as an IoD2019 deprivation file or an ONS LSOA population file: no "
                    f"header with an LSOA code column and IMD or age columns in {where}")


def _parse(grid: pd.DataFrame, header_at: int, kind: str, file_name: str, sheet: str | None) -> PublishedTable:
    table = table_from_grid(grid, header_at, file_name)
    headers = [str(c) for c in table.columns]
    rows = table.index.to_numpy(np.int64) + 2
    table = table.reset_index(drop=True)
    if len(table) == 0:
        raise DataError(file_name, "has a header but no rows of data", int(grid.index[header_at]))
    spec = IMD_COLUMNS if kind == IMD else POP_COLUMNS
    found = _match(headers, spec)
    cols = {name: headers[i] for name, i in found.items()}
    problems = Problems(file_name)
    out = pd.DataFrame({"area_id": text_column(table, cols["area_id"])})
    duplicate_check(out["area_id"], file_name, cols["area_id"], rows, problems=problems)
    for name in ("name", "district", "lad_code"):
        if name in cols:
            out[name] = text_column(table, cols[name])
    if kind == IMD:
        for name in ("imd_score", "imd_rank", "imd_decile", "idaci_score", "idaci_decile"):
            if name in cols:
                out[name] = numeric_column(table, cols[name], file_name, required=name == "imd_decile", rows=rows,
                                           problems=problems)
        for name in ("imd_decile", "idaci_decile"):
            if name in out:
                values = out[name].to_numpy(float)
                bad = np.isfinite(values) & ((values < 1) | (values > 10) | (values != np.round(values)))
                problems.add_rows(bad, rows, cols[name],
                                  lambda i, v=values: f"a decile must be a whole number from 1 to 10, not {v[i]:g}")
    else:
        ages = _age_columns(headers)
        if len(ages) == len(AGES):
            parts = []
            for age in AGES:
                col = headers[ages[age]]
                counts = numeric_column(table, col, file_name, rows=rows, problems=problems)
                _non_negative(counts, file_name, col, rows, problems)
                parts.append(counts)
            out["children"] = np.sum(parts, axis=0)
            cols["children"] = f"{headers[ages['0']]}..{headers[ages['4']]}"
        else:
            col = cols["band_0_4"]
            counts = numeric_column(table, col, file_name, rows=rows, problems=problems)
            _non_negative(counts, file_name, col, rows, problems)
            out["children"] = counts
            cols["children"] = col
        if "all_ages" in cols:
            total = numeric_column(table, cols["all_ages"], file_name, required=False, rows=rows, problems=problems)
            _non_negative(total, file_name, cols["all_ages"], rows, problems)
            out["all_ages"] = total
    problems.raise_if_any()
    return PublishedTable(kind=kind, file_name=file_name, sheet=sheet, header_row=int(grid.index[header_at]),
                          frame=out, rows=rows, columns=cols)


def _non_negative(values: np.ndarray, file_name: str, column: str, rows: np.ndarray,
                  problems: Problems | None = None) -> None:
    found = Problems(file_name) if problems is None else problems
    with np.errstate(invalid="ignore"):
        bad = values < 0
    found.add_rows(bad, rows, column, lambda i: f"a negative count ({values[i]:g})")
    if problems is None:
        found.raise_if_any()


def published_areas(files: Iterable[object], county: str | None = None,
                    districts: Sequence[str] | None = None, *, max_rows: int | None = MAX_AREA_ROWS
                    ) -> PublishedAreas:
    """A canonical areas table from published files: an IoD2019 file, an ONS LSOA
    population file, or both (each a :class:`PublishedTable`, a path, or a
    ``(source, file_name)`` pair).

    The areas are the IoD2019 file's LSOAs (else the population file's English
    LSOAs), narrowed to ``county`` (a county / unitary authority of the bundled
    data) and/or ``districts`` (names or codes). Centroids, and whatever was not
    uploaded, come from the bundled England file (ONS / MHCLG, LSOA 2011).

    Files given as paths or ``(source, file_name)`` pairs are read with
    :func:`read_published` (``max_rows`` rows of data at most). Every problem of
    every file is reported: one :class:`DataError` listing them all.
    """
    from lib.data import england_areas, validate_areas

    tables: list[PublishedTable] = []
    unread = Problems("areas")
    for item in files:
        with unread.collect():
            if isinstance(item, PublishedTable):
                tables.append(item)
            elif isinstance(item, tuple) and len(item) == 2:
                tables.append(read_published(item[0], item[1], max_rows=max_rows))
            else:
                tables.append(read_published(item, max_rows=max_rows))
    unread.raise_if_any()
    if not tables:
        raise DataError("areas", "no file given: upload the IoD2019 file and/or the LSOA population estimates")
    by_kind: dict[str, PublishedTable] = {}
    for t in tables:
        if t.kind in by_kind:
            raise DataError(t.file_name, f"two {t.kind} files given ({by_kind[t.kind].file_name} and this one)")
        by_kind[t.kind] = t
    imd, pop = by_kind.get(IMD), by_kind.get(POPULATION)
    bundled = england_areas().set_index("area_id")
    notes: list[str] = []

    base = imd if imd is not None else pop
    frame, rows = base.frame, base.rows
    if imd is None:
        english = frame["area_id"].isin(bundled.index).to_numpy()
        if (~english).any():
            notes.append(f"{int((~english).sum()):,} LSOAs of {pop.file_name} are not English LSOAs (2011) and were "
                         "left out (Wales, or LSOA 2021 codes).")
        frame, rows = frame[english].reset_index(drop=True), rows[english]
    else:
        unknown = ~frame["area_id"].isin(bundled.index).to_numpy()
        if unknown.any():
            problems = Problems(imd.file_name)
            ids = frame["area_id"]
            problems.add_rows(unknown, rows, imd.where("area_id"),
                              lambda i: f"{ids.iloc[i]!r} is not an English LSOA (2011) code: IMD 2019 and the "
                              "bundled centroids use the 32,844 LSOAs of 2011")
            problems.raise_if_any()
    keep = np.ones(len(frame), bool)
    if county is not None:
        counties = {c.lower(): c for c in bundled["county"].unique()}
        if county.strip().lower() not in counties:
            raise DataError("county", f"no English county or unitary authority named {county!r}")
        keep &= bundled["county"].reindex(frame["area_id"]).eq(counties[county.strip().lower()]).to_numpy()
    if districts:
        wanted = {str(d).strip().lower() for d in districts}
        known = bundled["district"].reindex(frame["area_id"]).str.lower().to_numpy()
        hit = np.isin(known, list(wanted))
        for col in ("district", "lad_code"):
            if col in frame:
                hit |= frame[col].str.lower().isin(wanted).to_numpy()
        keep &= hit
    if not keep.any():
        raise DataError(base.file_name, "no LSOA of this file is in "
                        + (f"{county!r}" if county else "") + (" and " if county and districts else "")
                        + (f"the districts {', '.join(districts)}" if districts else ""))
    frame, rows = frame[keep].reset_index(drop=True), rows[keep]
    ids = frame["area_id"]
    ref = bundled.reindex(ids)

    out = pd.DataFrame({"area_id": ids.to_numpy()})
    out["name"] = _first(frame.get("name"), pop, ids, "name", ref["name"])
    out["lat"] = ref["lat"].to_numpy()
    out["lon"] = ref["lon"].to_numpy()
    notes.append("Population-weighted centroids: ONS LSOA (December 2011), bundled.")
    if pop is not None:
        counts = pop.frame.set_index("area_id")["children"]
        missing = ~ids.isin(counts.index).to_numpy()
        if missing.any():
            problems = Problems(base.file_name)
            problems.add_rows(missing, rows, base.where("area_id"),
                              lambda i: f"no population estimate for LSOA {ids.iloc[i]!r} in {pop.file_name} "
                              "(is it an LSOA 2021 file? IMD 2019 uses 2011 LSOAs)")
            problems.raise_if_any()
        out["children"] = counts.reindex(ids).to_numpy()
        notes.append(f"Children aged 0-4: {pop.label}.")
    else:
        out["children"] = ref["children"].to_numpy()
        notes.append("Children aged 0-4: bundled ONS mid-2020 estimates (SAPE23DT2), as no population file was "
                     "given.")
    if imd is not None:
        out["imd_decile"] = frame["imd_decile"].to_numpy()
        for col in ("imd_score", "idaci_decile"):
            if col in frame:
                out[col] = frame[col].to_numpy()
            elif col in ref:
                out[col] = ref[col].to_numpy()
        notes.append(f"IMD 2019: {imd.label}.")
    else:
        for col in ("imd_decile", "imd_score", "idaci_decile"):
            if col in ref:
                out[col] = ref[col].to_numpy()
        notes.append("IMD 2019 deciles and scores: bundled MHCLG IoD2019, as no deprivation file was given.")
    out["urban_rural"] = ref["urban_rural"].to_numpy()
    notes.append("Urban / rural: bundled ONS Rural-Urban Classification 2011.")
    district = frame.get("district")
    if district is None and pop is not None and "district" in pop.frame:
        district = pop.frame.set_index("area_id")["district"].reindex(ids)
    out["district"] = (district.to_numpy() if district is not None else ref["district"].to_numpy())
    label = " + ".join(t.file_name for t in (imd, pop) if t is not None)
    areas = validate_areas(out, label)
    return PublishedAreas(areas=areas, notes=tuple(notes), tables=tuple(t for t in (imd, pop) if t is not None))


def _first(values: pd.Series | None, pop: PublishedTable | None, ids: pd.Series, column: str,
           fallback: pd.Series) -> np.ndarray:
    if values is not None:
        return values.to_numpy()
    if pop is not None and column in pop.frame:
        return pop.frame.set_index("area_id")[column].reindex(ids).to_numpy()
    return fallback.to_numpy()
