"""Panels of the Budget page: headline, what-if cut, waterfall, contract values, parameters, board pack."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lib import budget, lots, pack
from lib.budget import money
from lib.metrics import Evaluation
from lib.scenario import ROUTE_LABELS, BudgetParameters, Deprivation, Scenario
from lib.text import md
from ui import session
from ui.rules_panel import envelope_inputs

SAVING = "#1a7f37"
COST = "#b00020"
TOTAL = "#4477AA"


def draw_headline(ev: Evaluation) -> None:
    """Budget total, baseline, saving, envelope, and the gap in plain words."""
    t = ev.totals()
    cols = st.columns(4)
    cols[0].metric("Budget total", money(t["budget_total"]), border=True)
    cols[1].metric("Baseline total", money(t["baseline_total"]), border=True,
                   help="Every centre open and its own lot, with the same parameters.")
    cols[2].metric("Saving vs baseline", money(t["saving"]), border=True)
    cols[3].metric("Envelope", money(t["envelope"]), border=True)
    gap = t["envelope_gap"]
    words = budget.describe_gap(gap)
    (st.error if gap < -0.5 else st.success)(f"**{words}** (envelope {money(t['envelope'])}, "
                                             f"budget total {money(t['budget_total'])}).")


def waterfall_figure(ev: Evaluation) -> go.Figure:
    """Baseline total -> each step (budget.waterfall) -> scenario total, with the envelope as a dashed line."""
    t = ev.totals()
    steps = ev.waterfall()
    labels = ["Baseline", *[s.replace(" (", "<br>(") for s, _ in steps], "Scenario"]
    values = [t["baseline_total"], *[v for _, v in steps], t["budget_total"]]
    fig = go.Figure(go.Waterfall(
        x=labels, y=values, measure=["absolute", *["relative"] * len(steps), "total"],
        text=[money(v) if i in (0, len(values) - 1) else ("+" if v > 0.5 else "") + money(v)
              for i, v in enumerate(values)],
        textposition="outside", textfont={"size": 16},
        decreasing={"marker": {"color": SAVING}}, increasing={"marker": {"color": COST}},
        totals={"marker": {"color": TOTAL}}, connector={"line": {"color": "#888", "dash": "dot"}},
        hovertemplate="%{x}: %{text}<extra></extra>"))
    fig.add_hline(y=t["envelope"], line_dash="dash", line_color="#333",
                  annotation_text=f"Envelope {money(t['envelope'])}", annotation_position="top",
                  annotation_font_size=15, annotation_bgcolor="rgba(255,255,255,0.85)")
    top = max(max(values[0], values[-1]), t["envelope"]) * 1.15
    fig.update_xaxes(tickangle=0, tickfont={"size": 14})
    fig.update_layout(height=440, margin={"l": 10, "r": 10, "t": 30, "b": 10}, showlegend=False,
                      yaxis={"title": "£ a year", "tickprefix": "£", "tickformat": "~s", "range": [0, top]},
                      font={"size": 15}, plot_bgcolor="white")
    fig.update_yaxes(gridcolor="#e5e5e5")
    return fig


def draw_waterfall(ev: Evaluation) -> None:
    st.markdown("**From the baseline to this scenario** (green: saving, red: extra cost)")
    st.plotly_chart(waterfall_figure(ev), width="stretch", config={"displayModeBar": False},
                    key="budget_waterfall")
    steps = ev.waterfall()
    st.caption(" · ".join(f"{md(label)}: {money(v)}" for label, v in steps)
               + ". Closing a centre moves its children to the nearest open centre, so reach and weighting "
                 "change the total only when children are left without a reach area.")


def draw_route_values(ev: Evaluation) -> None:
    """Lots and contract value per procurement route."""
    by_route = pack.by_route_table(pack.lots_table(ev))
    st.markdown(f"**By procurement route** · {md(lots.describe_routes(ev.groups_table()))}")
    st.dataframe(by_route, hide_index=True, width="stretch",
                 column_config={"Contract value (£ a year)": st.column_config.NumberColumn("Value (£ a year)",
                                                                                           format="£%,.0f")})


def draw_contract_values(ev: Evaluation) -> None:
    """Contract value per lot, largest first."""
    g = lots.lot_rows(ev.groups_table())
    st.markdown("**Contract value per lot**")
    table = pd.DataFrame({"Lot": g["group"], "Route": g["route"].map(ROUTE_LABELS), "Lead agency": g["lead_agency"],
                          "Open centres": g["open_centres"], "Reach": g["reach"],
                          "Lot value (£ a year)": g["lot_value"].round(0), "Centres": g["members"]})
    st.dataframe(table.sort_values("Lot value (£ a year)", ascending=False), hide_index=True, width="stretch",
                 height=min(38 + 35 * len(table), 420),
                 column_config={"Lot value (£ a year)": st.column_config.NumberColumn(format="£%,.0f"),
                                "Reach": st.column_config.NumberColumn(format="%,d"),
                                "Centres": st.column_config.TextColumn(width="large")})


def draw_parameters(sc: Scenario, disabled: bool = False) -> Scenario:
    """Every budget parameter with its unit and limits, and the deprivation weights; returns the edited scenario."""
    b, d = sc.budget, sc.deprivation
    num = _keyed_number(disabled)
    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**Costs (£ a year)**")
        new = replace(
            b,
            management_per_lot=num("Management cost per lot (£)", 0.0, 2e6, b.management_per_lot, 5000.0),
            rate_per_weighted_child=num("Rate per weighted child (£)", 0.0, 2000.0, b.rate_per_weighted_child, 1.0),
        )
    with c2:
        st.markdown("**Base cost of an open centre, by phase (£ a year)**")
        new = replace(
            new,
            base_cost_phase_1=num("Phase 1 centre (£)", 0.0, 2e6, b.base_cost_phase_1, 5000.0),
            base_cost_phase_2=num("Phase 2 centre (£)", 0.0, 2e6, b.base_cost_phase_2, 5000.0),
            base_cost_phase_3=num("Phase 3 centre (£)", 0.0, 2e6, b.base_cost_phase_3, 5000.0),
            base_cost_phase_unknown=num("Phase unknown (£)", 0.0, 2e6, b.base_cost_phase_unknown, 5000.0),
        )
    with c3:
        st.markdown("**Deprivation weights** (per child, by IMD 2019 decile)")
        threshold = st.slider("Deprived = IMD decile at most", 1, 10, d.threshold, disabled=disabled,
                              key=f"dep_threshold_{d.threshold}")
        weights = st.data_editor(
            pd.DataFrame({"IMD decile": range(1, 11), "Weight": list(d.weights)}), hide_index=True,
            disabled=True if disabled else ["IMD decile"], key=f"weights_{hash(d.weights)}",
            column_config={"Weight": st.column_config.NumberColumn(min_value=0.0, max_value=10.0, step=0.05,
                                                                   format="%.2f")})
    st.caption("Lot value = management cost per lot + Σ over its open centres of (base cost by phase + "
               "rate × weighted reach). Weighted reach = Σ children × weight of the area's IMD decile. "
               "Envelope = baseline total × (1 − cut %), or the amount set.")
    values = pd.to_numeric(weights["Weight"], errors="coerce").fillna(1.0).clip(0.0, 10.0)
    dep = Deprivation(threshold=int(threshold), weights=tuple(float(w) for w in values))
    new = BudgetParameters(**new.__dict__)
    if new == b and dep == d:
        return sc
    return replace(sc, budget=new, deprivation=dep)


def _keyed_number(disabled: bool):
    """A number input whose key carries its value, so undo and a loaded scenario redraw it from the scenario."""
    def num(label: str, low: float, high: float, value: float, step: float) -> float:
        return float(st.number_input(label, low, high, float(value), step, disabled=disabled, format="%.0f"
                                     if step >= 1 else "%.2f", key=f"budget_{label}_{value}"))
    return num


def draw_what_if(ev: Evaluation, disabled: bool = False) -> Scenario:
    """The envelope: the grant cut as a slider (or an amount); everything on the page follows it live."""
    sc = ev.scenario
    new = envelope_inputs(sc.budget, disabled, "budget", ev.totals()["envelope"])
    return sc if new == sc.budget else replace(sc, budget=new)


def commit_if_changed(ev: Evaluation, new: Scenario, readonly: bool) -> None:
    if new != ev.scenario and not readonly:
        session.commit(new)
        st.rerun()
