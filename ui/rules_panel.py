"""The Rules panel of the Plan page: every threshold, and the list of breaches with a button each
that shows the breach on the map."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from lib import budget, mapview
from lib.metrics import Evaluation
from lib.scenario import Rules, Scenario
from lib.text import md
from ui import session

FOCUS = "map_focus"  # {"scope", "subject", "group", "bounds", "areas"} shown on the map until cleared
SHOWN_BREACHES = 40


def _threshold(col, label: str, value: float | None, default: float, low: float, high: float, step: float,
               unit: str, key: str, disabled: bool) -> float | None:
    """A rule's on/off switch and its threshold; None when switched off."""
    kind = int if unit == "open centres" else float
    on = col.checkbox(f"{label} ({unit})", value=value is not None, key=f"{key}_on_{value is not None}",
                      disabled=disabled)
    number = col.number_input(label, kind(low), kind(high), kind(value if value is not None else default),
                              kind(step), key=f"{key}_value_{value}", disabled=disabled or not on,
                              label_visibility="collapsed",
                              format=None if kind is int else "%.1f" if unit == "km" else "%.0f")
    return kind(number) if on else None


def draw_rule_settings(sc: Scenario, envelope: float, disabled: bool = False) -> Scenario:
    """Thresholds (each can be switched off): reach per open centre, group size, span, distance to the
    nearest open centre, envelope and phase mix. Returns the edited scenario."""
    r, b = sc.rules, sc.budget
    c1, c2, c3 = st.columns(3)
    min_reach = _threshold(c1, "Reach per open centre, at least", r.min_reach, 600, 0, 20_000, 50, "children",
                           "rule_min_reach", disabled)
    group_min = _threshold(c1, "Group size, at least", r.group_min, 1, 1, 100, 1, "open centres",
                           "rule_group_min", disabled)
    group_max = _threshold(c2, "Group size, at most", r.group_max, 4, 1, 500, 1, "open centres",
                           "rule_group_max", disabled)
    span = _threshold(c2, "Group span, at most", r.max_span_km, 40, 0, 500, 5, "km", "rule_span", disabled)
    distance = _threshold(c3, "Distance to an open centre, at most", r.max_distance_km, 15, 0, 200, 1, "km",
                          "rule_distance", disabled)
    within = c3.checkbox("Total within the envelope", r.within_envelope, key=f"rule_envelope_{r.within_envelope}",
                         disabled=disabled)
    mixed = c3.checkbox("Each group mixes phases (two or more known phases)", r.mixed_phases,
                        key=f"rule_phases_{r.mixed_phases}", disabled=disabled)
    new_budget = envelope_inputs(b, disabled, "rules", envelope)
    rules = Rules(min_reach=min_reach, group_min=None if group_min is None else int(group_min),
                  group_max=None if group_max is None else int(group_max), max_span_km=span,
                  max_distance_km=distance, within_envelope=within, mixed_phases=mixed)
    if rules == r and new_budget == b:
        return sc
    return replace(sc, rules=rules, budget=new_budget)


def envelope_inputs(b, disabled: bool, prefix: str, envelope: float):
    """The envelope: a grant cut on the baseline (%) or a fixed amount (£ a year), starting from the
    current ``envelope`` when the officer switches to an amount. Returns the budget."""
    modes = ("cut", "amount")
    mode = st.radio("Envelope set by", modes, index=1 if b.envelope_amount is not None else 0, horizontal=True,
                    format_func={"cut": "a grant cut on the baseline (%)", "amount": "an amount (£ a year)"}.get,
                    key=f"{prefix}_envelope_mode_{b.envelope_amount is None}", disabled=disabled)
    if mode == "cut":
        cut = st.slider("Grant cut (%)", 0.0, 90.0, float(b.cut_percent), 0.5, key=f"{prefix}_cut_{b.cut_percent}",
                        disabled=disabled, help="Envelope = baseline total × (1 − cut / 100). Moves everything live.")
        return replace(b, cut_percent=float(cut), envelope_amount=None)
    start = round(envelope) if b.envelope_amount is None else b.envelope_amount
    amount = st.number_input("Envelope (£ a year)", 0.0, 1e9, float(start), 10_000.0,
                             key=f"{prefix}_amount_{b.envelope_amount}", disabled=disabled, format="%.0f")
    return replace(b, envelope_amount=float(amount))


def draw_breaches(ev: Evaluation) -> None:
    """Every broken rule, with a 'Show on map' button each (the first ``SHOWN_BREACHES``)."""
    table = ev.breaches()
    focus = st.session_state.get(FOCUS)
    if table.empty:
        st.success("No rule is broken.")
        return
    counts = table["rule_name"].value_counts()
    st.markdown(f"**{len(table)} breach{'es' if len(table) != 1 else ''}:** " +
                " · ".join(f"{md(name)} {n}" for name, n in counts.items()))
    if focus:
        st.button("Clear the highlight on the map", key="clear_focus", on_click=clear_focus)
    for i, row in enumerate(table.head(SHOWN_BREACHES).itertuples(index=False)):
        c1, c2 = st.columns([5, 1.2], vertical_alignment="center")
        shown = focus and focus.get("scope") == row.scope and focus.get("subject") == row.subject
        c1.markdown(f"{'▶ ' if shown else ''}**{md(row.rule_name)}** · {row.scope} **{md(row.name)}**: "
                    f"{md(row.reason)}")
        c2.button("Show on map", key=f"breach_{i}", on_click=show_on_map, args=(ev, row.scope, row.subject),
                  width="stretch", disabled=row.scope == "budget")
    if len(table) > SHOWN_BREACHES:
        st.caption(f"…and {len(table) - SHOWN_BREACHES} more: every breach is in the workbook's Rules sheet.")


def show_on_map(ev: Evaluation, scope: str, subject: str) -> None:
    focus = mapview.breach_focus(ev, scope, subject)
    st.session_state[FOCUS] = {"scope": scope, "subject": subject, **focus}
    st.toast("Shown on the map above." if focus["group"] or focus["areas"] else "Nothing to show on the map.")


def clear_focus() -> None:
    st.session_state.pop(FOCUS, None)


def draw_rules_panel(ev: Evaluation, readonly: bool = False) -> None:
    t = ev.totals()
    st.markdown(f"**Rules** (each can be switched off) · budget: {md(budget.describe_gap(t['envelope_gap']))}")
    new = draw_rule_settings(ev.scenario, t["envelope"], disabled=readonly)
    if new != ev.scenario and not readonly:
        session.commit(new)
        st.rerun()
    st.divider()
    draw_breaches(ev)
