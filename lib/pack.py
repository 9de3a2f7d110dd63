"""The board pack: every table the exports print, built once from an evaluation and its baseline.

The workbook, the CSVs, the GeoJSON, the HTML report and its PDF all read a :class:`BoardPack`,
so each shows the same figures as the screen (the tables are the evaluation's, renamed with
units in the headers). Nothing here is built on a rerun that does not ask for a download.

Tables (headers carry units):
- summary: figure, unit, baseline, scenario, change (scenario - baseline)
- lots: one row per group (lots first: groups with an open centre), route, lead agency, figures
- centres, areas (each area's reach centre and group), travel (the areas whose children travel further
  than in the baseline: old and new centre, extra km), rules (threshold and breaches per rule),
  breaches (one row per broken rule), parameters (every setting with its unit), notes
- waterfall: the budget steps from the baseline total to the scenario total
- by_route: lots and contract value per procurement route
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

import numpy as np
import pandas as pd

from lib import budget, lots, travel
from lib.metrics import CENTRE_METRICS, GROUP_METRICS, Evaluation, evaluate
from lib.rules import RULE_NAMES
from lib.scenario import LEAD_TYPE_LABELS, ROUTE_LABELS, Scenario

NOTE_COLUMNS = ["kind", "group", "text", "author", "when"]

SUMMARY_ROWS = (  # (totals key, label, unit)
    ("lots", "Lots (groups with an open centre)", "lots"),
    ("open_centres", "Open centres", "centres"),
    ("closed_centres", "Closed or merged centres", "centres"),
    ("children", "Children aged 0-4 in the county", "children"),
    ("children_covered", "Children in a reach area", "children"),
    ("deprived_reach", "Children in deprived areas", "children"),
    ("deprived_share", "Share of children in deprived areas", "%"),
    ("weighted_reach", "Weighted reach", "weighted children"),
    ("children_further", "Children whose centre is further away", "children"),
    ("budget_total", "Budget total", "£ a year"),
    ("saving", "Saving against the baseline", "£ a year"),
    ("envelope", "Envelope", "£ a year"),
    ("envelope_gap", "Envelope gap (+ headroom, - over)", "£ a year"),
)

PARAMETER_UNITS = {
    "management_per_lot": "£ a year per lot", "base_cost_phase_1": "£ a year per centre",
    "base_cost_phase_2": "£ a year per centre", "base_cost_phase_3": "£ a year per centre",
    "base_cost_phase_unknown": "£ a year per centre", "rate_per_weighted_child": "£ a year per weighted child",
    "cut_percent": "%", "envelope_amount": "£ a year (blank: baseline less the cut)",
    "min_reach": "children", "group_min": "open centres", "group_max": "open centres", "max_span_km": "km",
    "max_distance_km": "km", "within_envelope": "yes/no", "mixed_phases": "yes/no",
    "threshold": "IMD decile (at most)",
}

FORMULAS = (
    ("Reach", "the children aged 0-4 living in a centre's reach area: each area goes to its nearest open "
              "centre (or the centre named by a merge)."),
    ("Deprived reach", "the children of the reach area living in areas of IMD 2019 decile D or below "
                       "(D = the deprivation threshold)."),
    ("Weighted reach", "each area's children times the weight of its IMD decile, added up."),
    ("Lot value", "the management cost per lot, plus for each open centre of the lot its base cost (by "
                  "phase) and the rate per weighted child times its weighted reach."),
    ("Budget total", "the sum of the lot values."),
    ("Baseline", "every centre open and its own lot, with the same parameters."),
    ("Saving", "the baseline total less the budget total."),
    ("Envelope", "the baseline total less the grant cut, or the amount set."),
    ("Envelope gap", "the envelope less the budget total: positive is headroom, negative is over."),
    ("Span", "the largest straight-line distance between two open centres of a group."),
)


@dataclass(frozen=True)
class BoardPack:
    """Every table of the board pack, plus what the report needs to draw (see the module docstring)."""

    title: str
    created: datetime
    dataset: str
    scenario: str
    scenario_notes: str
    summary: pd.DataFrame
    lots: pd.DataFrame
    centres: pd.DataFrame
    areas: pd.DataFrame
    travel: pd.DataFrame
    rules: pd.DataFrame
    breaches: pd.DataFrame
    parameters: pd.DataFrame
    notes: pd.DataFrame
    waterfall: list[tuple[str, float]]
    by_route: pd.DataFrame
    route_text: str
    lead_text: str
    gap_text: str
    totals: dict
    baseline_totals: dict
    attribution: str
    dataset_notes: tuple[str, ...] = ()
    formulas: tuple[tuple[str, str], ...] = FORMULAS
    ev: Evaluation | None = field(default=None, repr=False, compare=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables the workbook and the CSVs write, sheet name -> table, in sheet order."""
        return {"Summary": self.summary, "Lots": self.lots, "Centres": self.centres, "Areas": self.areas,
                "Travel": self.travel, "Rules": self.rules, "Parameters": self.parameters, "Notes": self.notes}


def summary_table(t: dict, b: dict, trip: travel.TravelSummary | None = None) -> pd.DataFrame:
    """figure, unit, baseline, scenario, change (money to the penny, shares in % to 4 places); with ``trip``,
    the travel figures
    (children more than X km from an open centre, extra child-km) after the children further away."""
    rows = []
    for key, label, unit in SUMMARY_ROWS:
        scale, digits = (100.0, 4) if unit == "%" else (1.0, 2)  # money to the penny
        base, now = round(float(b[key]) * scale, digits), round(float(t[key]) * scale, digits)
        rows.append({"Figure": label, "Unit": unit, "Baseline": base, "Scenario": now,
                     "Change": round(now - base, digits)})
    if trip is not None:
        at = next(i for i, r in enumerate(rows) if r["Figure"].startswith("Children whose centre")) + 1
        extra = trip.extra_child_km if np.isfinite(trip.extra_child_km) else np.nan
        rows[at:at] = [
            {"Figure": f"Children more than {trip.limit_km:g} km from an open centre", "Unit": "children",
             "Baseline": float(trip.children_beyond_baseline), "Scenario": float(trip.children_beyond),
             "Change": float(trip.children_beyond - trip.children_beyond_baseline)},
            {"Figure": "Extra travel: children x extra km against the baseline", "Unit": "child-km",
             "Baseline": 0.0, "Scenario": round(extra, 1), "Change": round(extra, 1)},
        ]
    return pd.DataFrame(rows)


def lots_table(ev: Evaluation) -> pd.DataFrame:
    """One row per group: lots (with an open centre) first, in natural order; figures as on the screen."""
    g = ev.groups_table()
    table = pd.DataFrame({
        "Group": g["group"],
        "Procurement route": g["route"].map(ROUTE_LABELS),
        "Lead agency type": g["lead_type"].map(LEAD_TYPE_LABELS),
        "Lead agency": g["lead_agency"],
        "Open centres": g["open_centres"], "Centres (incl. closed)": g["centres"],
        "Reach (children)": g["reach"], "Reach per open centre (children)": g["reach_per_centre"].round(1),
        "Deprived reach (children)": g["deprived_reach"], "Deprived share (%)": (g["deprived_share"] * 100).round(1),
        "Weighted reach (weighted children)": g["weighted_reach"].round(1), "Span (km)": g["span_km"].round(2),
        "Mean distance (km)": g["mean_distance_km"].round(2), "Max distance (km)": g["max_distance_km"].round(2),
        "Lot value (£ a year)": g["lot_value"].round(2), "Rule flags": g["flags"], "Centres": g["members"],
    })
    is_lot = (g["open_centres"] > 0).to_numpy()
    return pd.concat([table[is_lot], table[~is_lot]], ignore_index=True)


def centres_table(ev: Evaluation) -> pd.DataFrame:
    c = ev.centres_table()
    centres = ev.net.dataset.centres
    route = [ev.scenario.lot(g).route for g in c["group"]]
    return pd.DataFrame({
        "Centre id": c["centre_id"], "Centre": c["name"], "Group": c["group"], "Status": c["status"],
        "Merged into": c["merged_into"], "Procurement route": pd.Series(route).map(ROUTE_LABELS),
        "Phase": c["phase"], "Illustrative": c["illustrative"],
        "Postcode": centres["postcode"].fillna("") if "postcode" in centres else "",
        "Reach (children)": c["reach"], "Deprived reach (children)": c["deprived_reach"],
        "Deprived share (%)": (c["deprived_share"] * 100).round(1),
        "Weighted reach (weighted children)": c["weighted_reach"].round(1), "Areas (LSOAs)": c["areas"],
        "Mean distance (km)": c["mean_distance_km"].round(2), "Max distance (km)": c["max_distance_km"].round(2),
        "Children further away (children)": c["children_further"],
        "Centre cost (£ a year)": c["centre_cost"].round(2), "Rule flags": c["flags"],
    })


def areas_table(ev: Evaluation) -> pd.DataFrame:
    """Each area with its reach centre (blank if none), group and distance."""
    areas = ev.net.dataset.areas
    assign = ev.ctx.assign
    ok = assign >= 0
    ids = np.asarray(ev.net.centre_ids, dtype=object)
    names = ev.net.dataset.centres["name"].to_numpy(dtype=object)
    centre = np.where(ok, ids[np.clip(assign, 0, None)], "")
    group_of = ev.scenario.group_of
    return pd.DataFrame({
        "Area code": areas["area_id"], "Area": areas["name"],
        "District": areas.get("district", ""),
        "Children 0-4 (children)": areas["children"].astype(int), "IMD 2019 decile": areas["imd_decile"],
        "Reach centre id": centre, "Reach centre": np.where(ok, names[np.clip(assign, 0, None)], ""),
        "Group": [group_of.get(c, "") for c in centre],
        "Distance to centre (km)": np.round(ev.ctx.distance_km, 2),
    })


def rules_table(ev: Evaluation, breaches: pd.DataFrame) -> pd.DataFrame:
    """Each rule: its threshold (or 'off') and how many centres, groups or areas break it."""
    r = ev.scenario.rules
    thresholds = {
        "min_reach": (r.min_reach, "children per open centre, at least"),
        "group_min": (r.group_min, "open centres per group, at least"),
        "group_max": (r.group_max, "open centres per group, at most"),
        "max_span": (r.max_span_km, "km between two centres of a group, at most"),
        "max_distance": (r.max_distance_km, "km from an area to its open centre, at most"),
        "within_envelope": ("on" if r.within_envelope else None, "budget total within the envelope"),
        "mixed_phases": ("on" if r.mixed_phases else None, "at least two phases among a group's open centres"),
    }
    counts = breaches["rule"].value_counts()
    rows = [{"Rule": RULE_NAMES[key], "Threshold": "off" if value is None else f"{value:g}"
             if isinstance(value, float | int) else str(value), "Meaning": meaning,
             "Breaches": int(counts.get(key, 0))} for key, (value, meaning) in thresholds.items()]
    return pd.DataFrame(rows)


def parameters_table(ev: Evaluation) -> pd.DataFrame:
    """Every setting of the scenario: section, parameter, value, unit (IMD weights one row per decile)."""
    sc = ev.scenario
    rows = []
    for section, params in (("Budget", sc.budget), ("Rules", sc.rules)):
        for key, value in asdict(params).items():
            rows.append({"Section": section, "Parameter": key.replace("_", " "),
                         "Value": "" if value is None else value, "Unit": PARAMETER_UNITS.get(key, "")})
    rows.append({"Section": "Deprivation", "Parameter": "threshold", "Value": sc.deprivation.threshold,
                 "Unit": PARAMETER_UNITS["threshold"]})
    for d, w in enumerate(sc.deprivation.weights, start=1):
        rows.append({"Section": "Deprivation", "Parameter": f"weight of IMD decile {d}", "Value": w,
                     "Unit": "weight per child"})
    table = pd.DataFrame(rows)
    table["Value"] = table["Value"].astype(object)
    return table


def by_route_table(lot_table: pd.DataFrame) -> pd.DataFrame:
    """Lots and contract value per procurement route (lots only)."""
    is_lot = lot_table["Open centres"] > 0
    grouped = lot_table[is_lot].groupby("Procurement route", sort=False)["Lot value (£ a year)"]
    table = pd.DataFrame({"Lots": grouped.size(), "Contract value (£ a year)": grouped.sum()})
    order = [ROUTE_LABELS[r] for r in ROUTE_LABELS if ROUTE_LABELS[r] in table.index]
    return table.loc[order].rename_axis("Procurement route").reset_index()


def baseline_for(ev: Evaluation) -> Evaluation:
    """The baseline (every centre its own lot, all open) under ``ev``'s rules, budget and weights."""
    sc = ev.scenario
    base = replace(Scenario.baseline(ev.net.centre_ids, name="Baseline"), rules=sc.rules, budget=sc.budget,
                   deprivation=sc.deprivation)
    return evaluate(ev.net, base, ev.baseline_total)


def build_pack(ev: Evaluation, base: Evaluation | None = None, notes: list[dict] | None = None,
               attribution: str = "", title: str = "Children's centres: lots and budget",
               created: datetime | None = None) -> BoardPack:
    """The board pack of ``ev`` against ``base`` (default :func:`baseline_for`), with consultation ``notes``
    (dicts with kind, group, text, author, when)."""
    base = baseline_for(ev) if base is None else base
    t, b = ev.totals(), base.totals()
    trip = travel.summary(ev)
    breaches = ev.breaches()
    lot_table = lots_table(ev)
    groups = ev.groups_table()
    return BoardPack(
        title=title, created=created or datetime.now().replace(microsecond=0), dataset=ev.net.dataset.name,
        scenario=ev.scenario.name, scenario_notes=ev.scenario.notes, summary=summary_table(t, b, trip),
        lots=lot_table, centres=centres_table(ev), areas=areas_table(ev), travel=travel.affected_areas(ev),
        rules=rules_table(ev, breaches),
        breaches=breaches, parameters=parameters_table(ev),
        notes=pd.DataFrame(notes or [], columns=NOTE_COLUMNS), waterfall=ev.waterfall(),
        by_route=by_route_table(lot_table), route_text=lots.describe_routes(groups),
        lead_text=lots.describe_lead_types(groups), gap_text=budget.describe_gap(t["envelope_gap"]),
        totals=t, baseline_totals=b, attribution=attribution, dataset_notes=tuple(ev.net.dataset.notes), ev=ev)


def metric_formulas() -> list[tuple[str, str, str]]:
    """(label, unit, formula) of every registered metric, for the report's appendix."""
    return [(m.label, m.unit, m.formula) for m in CENTRE_METRICS + GROUP_METRICS]
