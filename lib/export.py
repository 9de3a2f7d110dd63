"""Exports: the assignment CSV (centre_id, group, status, lot_route, lead_agency, merged_into, lead_type),
with spreadsheet formulas neutralised, and its inverse import.
"""

from __future__ import annotations

import io
from dataclasses import replace

import pandas as pd

from lib.errors import DataError
from lib.scenario import LEAD_TYPE_LABELS, LEAD_TYPES, LOT_ROUTES, ROUTE_LABELS, Lot, Scenario
from lib.tables import read_table, rename_columns, require_columns, sheet_row

ASSIGNMENT_COLUMNS = ("centre_id", "group", "status", "lot_route", "lead_agency", "merged_into", "lead_type")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
STATUSES = ("open", "closed", "merged")
ROUTE_ALIASES = {label: key for key, label in ROUTE_LABELS.items()} | {"in house": "in-house"}
LEAD_TYPE_ALIASES = {label: key for key, label in LEAD_TYPE_LABELS.items()} | {"not set": "", "vcs": "voluntary"}


def neutralise(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def restore(value: str) -> str:
    """Inverse of :func:`neutralise` for text read back from an export."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell neutralised (for CSV / Excel exports)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def assignment_frame(scenario: Scenario) -> pd.DataFrame:
    rows = []
    for cid, group in scenario.group_of.items():
        lot = scenario.lot(group)
        status = "merged" if cid in scenario.merged_into else "closed" if cid in scenario.closed else "open"
        rows.append({"centre_id": cid, "group": group, "status": status, "lot_route": lot.route,
                     "lead_agency": lot.lead_agency, "merged_into": scenario.merged_into.get(cid, ""),
                     "lead_type": lot.lead_type})
    return pd.DataFrame(rows, columns=list(ASSIGNMENT_COLUMNS))


def assignment_csv(scenario: Scenario) -> str:
    """The scenario's assignment as CSV text (UTF-8), formulas neutralised."""
    buf = io.StringIO()
    safe_frame(assignment_frame(scenario)).to_csv(buf, index=False)
    return buf.getvalue()


def import_assignment(source: bytes, base: Scenario, file_name: str = "assignment.csv") -> Scenario:
    """A scenario from an assignment CSV/XLSX, applied to ``base`` (which supplies every other setting).

    Every centre of ``base`` must appear once; ids it does not know are errors naming the row.
    """
    frame = rename_columns(read_table(source, file_name), {"lot": "group", "cluster": "group", "route": "lot_route",
                                                              "lead": "lead_agency", "provider": "lead_agency"})
    require_columns(frame, ("centre_id", "group"), file_name)
    for col in ASSIGNMENT_COLUMNS:
        if col not in frame:
            frame[col] = "open" if col == "status" else "undecided" if col == "lot_route" else ""
        frame[col] = frame[col].astype(str).str.strip().map(restore)
    known = set(base.group_of)
    seen: set[str] = set()
    group_of, closed, merged, lots = {}, set(), {}, {}
    for pos, row in enumerate(frame.itertuples(index=False)):
        r = sheet_row(pos)
        if row.centre_id not in known:
            raise DataError(file_name, f"unknown centre id {row.centre_id!r}", r, "centre_id")
        if row.centre_id in seen:
            raise DataError(file_name, f"centre {row.centre_id!r} listed twice", r, "centre_id")
        seen.add(row.centre_id)
        if not row.group:
            raise DataError(file_name, "group is blank", r, "group")
        status = row.status.lower() or "open"
        if status not in STATUSES:
            raise DataError(file_name, f"status must be open, closed or merged, not {row.status!r}", r, "status")
        route = ROUTE_ALIASES.get(row.lot_route.lower(), row.lot_route.lower()) or "undecided"
        if route not in LOT_ROUTES:
            raise DataError(file_name, f"lot_route must be one of {', '.join(LOT_ROUTES)}, not {row.lot_route!r}",
                            r, "lot_route")
        lead_type = LEAD_TYPE_ALIASES.get(row.lead_type.lower(), row.lead_type.lower())
        if lead_type not in LEAD_TYPES:
            raise DataError(file_name, f"lead_type must be one of {', '.join(t for t in LEAD_TYPES if t)} or blank, "
                            f"not {row.lead_type!r}", r, "lead_type")
        group_of[row.centre_id] = row.group
        if status != "open":
            closed.add(row.centre_id)
        if status == "merged":
            if row.merged_into not in known:
                raise DataError(file_name, f"merge target {row.merged_into!r} is not a centre id", r, "merged_into")
            merged[row.centre_id] = row.merged_into
        lot = Lot(route=route, lead_agency=row.lead_agency, lead_type=lead_type)
        if lot != Lot():
            lots.setdefault(row.group, lot)
    missing = [c for c in base.group_of if c not in seen]
    if missing:
        raise DataError(file_name, f"centre {missing[0]!r} is missing ({len(missing)} centres missing)",
                        column="centre_id")
    return replace(base, group_of={c: group_of[c] for c in base.group_of}, closed=frozenset(closed),
                   merged_into=merged, lots=lots)
