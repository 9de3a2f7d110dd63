"""The scenario: one candidate configuration, immutable; every edit returns a new one.

A scenario holds centre -> group, closed and merged centres, lot attributes,
rule thresholds, budget parameters, deprivation weights and notes. Undo is a
stack of scenarios.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache

SCHEMA_VERSION = 1
LOT_ROUTES = ("tender", "application", "in-house", "undecided")
ROUTE_LABELS = {"tender": "competitive tender", "application": "application process", "in-house": "in-house",
                "undecided": "not decided"}
LEAD_TYPES = ("", "school", "voluntary", "health", "council", "consortium", "other")
LEAD_TYPE_LABELS = {"": "not set", "school": "school", "voluntary": "voluntary sector", "health": "health",
                    "council": "council", "consortium": "consortium", "other": "other"}


def default_weights() -> tuple[float, ...]:
    """w[decile] falls linearly from 2.0 (decile 1) to 1.0 (decile 10): w_d = 2 - (d - 1) / 9."""
    return tuple(round(2.0 - (d - 1) / 9, 6) for d in range(1, 11))


@dataclass(frozen=True)
class Deprivation:
    """Deprived reach counts areas of IMD decile <= ``threshold``; weights per decile 1..10."""

    threshold: int = 3
    weights: tuple[float, ...] = field(default_factory=default_weights)


@dataclass(frozen=True)
class BudgetParameters:
    """Lot value = management_per_lot + sum over open centres of (base cost by phase + rate * weighted reach).

    Defaults give Norfolk's 54 centres about GBP 10m a year (2016-18 spend:
    about GBP 10.2m on 53 centres). Envelope = ``envelope_amount`` if set,
    else baseline total * (1 - cut_percent / 100).
    """

    management_per_lot: float = 40_000.0
    base_cost_phase_1: float = 90_000.0
    base_cost_phase_2: float = 70_000.0
    base_cost_phase_3: float = 50_000.0
    base_cost_phase_unknown: float = 70_000.0
    rate_per_weighted_child: float = 62.0
    cut_percent: float = 10.0
    envelope_amount: float | None = None


@dataclass(frozen=True)
class Rules:
    """Rule thresholds; ``None`` switches a rule off."""

    min_reach: float | None = 600.0
    group_min: int | None = 1
    group_max: int | None = 4
    max_span_km: float | None = 40.0
    max_distance_km: float | None = 15.0
    within_envelope: bool = True
    mixed_phases: bool = False


@dataclass(frozen=True)
class Lot:
    """Attributes of a group (lot): procurement route, lead agency type and (optional) lead agency name.

    ``route`` is one of ``LOT_ROUTES`` (default "undecided": not decided), ``lead_type`` one of ``LEAD_TYPES``
    ("" = not set).
    """

    route: str = "undecided"
    lead_agency: str = ""
    lead_type: str = ""

    def __post_init__(self) -> None:
        if self.route not in LOT_ROUTES:
            raise ValueError(f"procurement route must be one of {', '.join(LOT_ROUTES)}, not {self.route!r}")
        if self.lead_type not in LEAD_TYPES:
            raise ValueError(f"lead agency type must be one of {', '.join(t for t in LEAD_TYPES if t)}, "
                             f"not {self.lead_type!r}")


@dataclass(frozen=True)
class Scenario:
    """One candidate configuration. Build with :meth:`baseline`, edit with the move methods."""

    name: str
    group_of: Mapping[str, str]
    closed: frozenset[str] = frozenset()
    merged_into: Mapping[str, str] = field(default_factory=dict)
    lots: Mapping[str, Lot] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)
    budget: BudgetParameters = field(default_factory=BudgetParameters)
    deprivation: Deprivation = field(default_factory=Deprivation)
    notes: str = ""

    # --- construction -------------------------------------------------------------------
    @classmethod
    def baseline(cls, centre_ids: Iterable[str], name: str = "Baseline") -> Scenario:
        """Every centre its own lot, all open: groups G1..Gn in data order."""
        return cls(name=name, group_of={c: f"G{i}" for i, c in enumerate(centre_ids, start=1)})

    # --- queries ------------------------------------------------------------------------
    @property
    def centre_ids(self) -> list[str]:
        return list(self.group_of)

    def groups(self) -> list[str]:
        """Group labels in natural order (G2 before G10)."""
        return sorted(set(self.group_of.values()), key=natural_key)

    def members(self, group: str) -> list[str]:
        return [c for c, g in self.group_of.items() if g == group]

    def is_open(self, centre_id: str) -> bool:
        return centre_id not in self.closed

    def lot(self, group: str) -> Lot:
        return self.lots.get(group, Lot())

    def new_group_label(self) -> str:
        """The next free label G<n>."""
        used = {int(m.group(1)) for g in self.group_of.values() if (m := re.fullmatch(r"G(\d+)", g))}
        n = 1
        while n in used:
            n += 1
        return f"G{n}"

    # --- edits (each returns a new scenario) --------------------------------------------
    def move(self, centre_ids: Iterable[str], group: str) -> Scenario:
        """Put the centres in ``group`` (a new label starts a new group)."""
        ids = list(centre_ids)
        self._known(ids)
        group = str(group).strip()
        if not group:
            raise ValueError("group label is blank")
        mapping = dict(self.group_of)
        mapping.update({c: group for c in ids})
        return replace(self, group_of=mapping, lots=self._lots_in_use(mapping))

    def close(self, centre_id: str) -> Scenario:
        """Close a centre: its areas go to the nearest open centre."""
        self._known([centre_id])
        merged = {k: v for k, v in self.merged_into.items() if k != centre_id}
        return replace(self, closed=self.closed | {centre_id}, merged_into=merged)

    def merge(self, centre_id: str, target_id: str) -> Scenario:
        """Close ``centre_id`` and send its areas to the open centre ``target_id``."""
        self._known([centre_id, target_id])
        if centre_id == target_id:
            raise ValueError("a centre cannot merge into itself")
        if target_id in self.closed:
            raise ValueError(f"merge target {target_id} is closed")
        merged = {k: (target_id if v == centre_id else v) for k, v in self.merged_into.items()}
        merged[centre_id] = target_id
        return replace(self, closed=self.closed | {centre_id}, merged_into=merged)

    def reopen(self, centre_id: str) -> Scenario:
        """Reopen a closed or merged centre."""
        self._known([centre_id])
        merged = {k: v for k, v in self.merged_into.items() if k != centre_id}
        return replace(self, closed=self.closed - {centre_id}, merged_into=merged)

    def with_lot(self, group: str, lot: Lot) -> Scenario:
        return self.with_lots([group], lot)

    def with_lots(self, groups: Iterable[str], lot: Lot | None = None, **changes: str) -> Scenario:
        """Set the lot attributes of several groups at once: ``lot`` for each, or only the fields in
        ``changes`` (e.g. ``route="application"``), keeping each group's other attributes."""
        used = set(self.group_of.values())
        lots = dict(self.lots)
        for group in groups:
            if group not in used:
                raise KeyError(f"unknown group {group}")
            new = lot if lot is not None else replace(self.lot(group), **changes)
            if new == Lot():
                lots.pop(group, None)
            else:
                lots[group] = new
        return replace(self, lots=lots)

    def _known(self, ids: Iterable[str]) -> None:
        unknown = [c for c in ids if c not in self.group_of]
        if unknown:
            raise KeyError(f"unknown centre id(s): {', '.join(unknown)}")

    def _lots_in_use(self, mapping: Mapping[str, str]) -> dict[str, Lot]:
        if not self.lots:
            return {}
        used = set(mapping.values())
        return {g: lot for g, lot in self.lots.items() if g in used}

    # --- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "group_of": dict(self.group_of),
            "closed": sorted(self.closed),
            "merged_into": dict(self.merged_into),
            "lots": {g: asdict(lot) for g, lot in self.lots.items()},
            "rules": asdict(self.rules),
            "budget": asdict(self.budget),
            "deprivation": {"threshold": self.deprivation.threshold,
                            "weights": list(self.deprivation.weights)},
            "notes": self.notes,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping) -> Scenario:
        """Inverse of :meth:`to_dict`; unknown keys are ignored, missing ones take defaults."""
        if not isinstance(data, Mapping) or "group_of" not in data:
            raise ValueError("not a scenario: no 'group_of' mapping")
        group_of = {str(k): str(v) for k, v in dict(data["group_of"]).items()}
        dep = dict(data.get("deprivation", {}))
        if "weights" in dep:
            dep["weights"] = tuple(float(w) for w in dep["weights"])
            if len(dep["weights"]) != 10:
                raise ValueError("deprivation weights must have 10 values (deciles 1-10)")
        scenario = cls(
            name=str(data.get("name", "Scenario")),
            group_of=group_of,
            closed=frozenset(str(c) for c in data.get("closed", [])),
            merged_into={str(k): str(v) for k, v in dict(data.get("merged_into", {})).items()},
            lots={str(g): Lot(**_known_fields(Lot, v)) for g, v in dict(data.get("lots", {})).items()},
            rules=Rules(**_known_fields(Rules, data.get("rules", {}))),
            budget=BudgetParameters(**_known_fields(BudgetParameters, data.get("budget", {}))),
            deprivation=Deprivation(**_known_fields(Deprivation, dep)),
            notes=str(data.get("notes", "")),
        )
        scenario._known(list(scenario.closed) + list(scenario.merged_into) + list(scenario.merged_into.values()))
        return scenario

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        return cls.from_dict(json.loads(text))


def _known_fields(kind: type, values: Mapping) -> dict:
    names = {f.name for f in fields(kind)}
    return {k: v for k, v in dict(values).items() if k in names}


@lru_cache(maxsize=65536)
def natural_key(label: str) -> tuple:
    """Sort key that orders G2 before G10."""
    return tuple((0, int(t)) if t.isdigit() else (1, t.lower()) for t in re.split(r"(\d+)", str(label)) if t)


def describe_changes(before: Scenario, after: Scenario, names: Mapping[str, str]) -> list[str]:
    """Plain-English change log lines, e.g. 'Swaffham moved from G7 to G3'."""
    lines = []
    for c, g in after.group_of.items():
        old = before.group_of.get(c)
        if old is not None and old != g:
            lines.append(f"{names.get(c, c)} moved from {old} to {g}")
    for c in sorted(after.closed - before.closed):
        target = after.merged_into.get(c)
        lines.append(f"{names.get(c, c)} merged into {names.get(target, target)}" if target
                     else f"{names.get(c, c)} closed")
    for c in sorted(before.closed - after.closed):
        lines.append(f"{names.get(c, c)} reopened")
    lines += _lot_changes(before, after)
    lines += _setting_changes(before, after)
    return lines


def _lot_changes(before: Scenario, after: Scenario) -> list[str]:
    """'G3: route competitive tender -> application process', one line per changed field of a lot."""
    lines = []
    for g in sorted(set(before.lots) | set(after.lots), key=natural_key):
        if g not in set(after.group_of.values()):
            continue
        old, new = before.lot(g), after.lot(g)
        if old.route != new.route:
            lines.append(f"{g}: route {ROUTE_LABELS[old.route]} -> {ROUTE_LABELS[new.route]}")
        if old.lead_type != new.lead_type:
            lines.append(f"{g}: lead agency type {LEAD_TYPE_LABELS[old.lead_type]} -> "
                         f"{LEAD_TYPE_LABELS[new.lead_type]}")
        if old.lead_agency != new.lead_agency:
            lines.append(f"{g}: lead agency {new.lead_agency!r}" if new.lead_agency
                         else f"{g}: lead agency name cleared")
    return lines


def _setting_changes(before: Scenario, after: Scenario) -> list[str]:
    """'Budget: cut percent 10 -> 25', one line per changed rule, budget or deprivation setting."""
    lines = []
    for title, old, new in (("Rules", before.rules, after.rules), ("Budget", before.budget, after.budget),
                            ("Deprivation", before.deprivation, after.deprivation)):
        for f in fields(old):
            a, b = getattr(old, f.name), getattr(new, f.name)
            if a != b:
                lines.append(f"{title}: {f.name.replace('_', ' ')} {_short(a)} -> {_short(b)}")
    if before.name != after.name:
        lines.append(f"Renamed to {after.name!r}")
    if before.notes != after.notes:
        lines.append("Notes edited")
    return lines


def _short(value: object) -> str:
    if value is None:
        return "off"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return str(value)
