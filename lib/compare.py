"""Comparing scenarios: totals side by side with differences, and the centres that changed."""

from __future__ import annotations

import pandas as pd

from lib.metrics import TOTAL_LABELS, Evaluation

COMPARED_TOTALS = ("groups", "open_centres", "children_covered", "deprived_share", "weighted_reach",
                   "budget_total", "saving", "envelope_gap", "children_further", "areas_beyond_max_distance")


def totals_side_by_side(evaluations: list[Evaluation]) -> pd.DataFrame:
    """One row per figure, one column per scenario, then 'change vs first' columns (scenario - first)."""
    names = _unique([ev.scenario.name for ev in evaluations])
    data = {name: [ev.totals()[k] for k in COMPARED_TOTALS] for name, ev in zip(names, evaluations, strict=True)}
    table = pd.DataFrame(data, index=[TOTAL_LABELS[k] for k in COMPARED_TOTALS])
    for name in names[1:]:
        table[f"{name} − {names[0]}"] = table[name] - table[names[0]]
    table.index.name = "figure"
    return table


def changed_centres(evaluations: list[Evaluation]) -> pd.DataFrame:
    """Centres whose group or status differs between any of the scenarios (group/status per scenario)."""
    names = _unique([ev.scenario.name for ev in evaluations])
    first = evaluations[0]
    table = pd.DataFrame({"centre_id": list(first.net.centre_ids),
                          "name": first.net.dataset.centres["name"].to_numpy()})
    for name, ev in zip(names, evaluations, strict=True):
        c = ev.centres_table()
        table[name] = [f"{g} ({s})" if s != "open" else g for g, s in zip(c["group"], c["status"], strict=True)]
    status = pd.DataFrame({n: ev.centres_table()["status"] for n, ev in zip(names, evaluations, strict=True)})
    group_sets = [_partition(ev) for ev in evaluations]
    regrouped = [any(gs[c] != group_sets[0][c] for gs in group_sets[1:]) for c in table["centre_id"]]
    changed = (status.nunique(axis=1) > 1).to_numpy() | regrouped
    return table[changed].reset_index(drop=True)


def _partition(ev: Evaluation) -> dict[str, frozenset[str]]:
    """Each centre -> the set of centres it is grouped with (labels may differ between scenarios)."""
    members: dict[str, set[str]] = {}
    for c, g in ev.scenario.group_of.items():
        members.setdefault(g, set()).add(c)
    return {c: frozenset(members[g]) for c, g in ev.scenario.group_of.items()}


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        name, k = n, 2
        while name in out:
            name, k = f"{n} ({k})", k + 1
        out.append(name)
    return out
