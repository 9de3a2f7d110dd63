"""Panels of the Plan page: totals, keyboard moves, group table, list view, change log, settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from lib.history import History
from lib.metrics import Evaluation
from lib.scenario import BudgetParameters, Deprivation, Rules, Scenario
from lib.text import md, plain
from ui import session

FLAG_BG = "background-color: #fde0dc"
FLAG_TEXT = "color: #b00020; font-weight: 700"


def _money(x: float) -> str:
    """£10.13m for large amounts, £40,000 for small; minus sign before the pound sign."""
    sign = "−" if x < -0.5 else ""
    x = abs(x)
    return sign + (f"£{x / 1e6:,.2f}m" if x >= 1e5 else f"£{x:,.0f}")


def draw_totals(ev: Evaluation, base: Evaluation) -> None:
    """Eight headline figures with the change since the baseline, then the rule-flag summary."""
    t, b = ev.totals(), base.totals()
    items = [
        ("Groups (lots)", f"{t['groups']:,}", t["groups"] - b["groups"], "off"),
        ("Open centres", f"{t['open_centres']:,}", t["open_centres"] - b["open_centres"], "off"),
        ("Children covered", f"{t['children_covered']:,}", t["children_covered"] - b["children_covered"], "normal"),
        ("In 30% most deprived areas", f"{t['deprived_share']:.1%}", None, "off"),
        ("Weighted reach", f"{t['weighted_reach']:,.0f}", None, "off"),
        ("Budget total", _money(t["budget_total"]), t["budget_total"] - b["budget_total"], "inverse"),
        ("Saving vs baseline", _money(t["saving"]), None, "off"),
        ("Envelope gap", _money(t["envelope_gap"]), None, "off"),
    ]
    for row in range(0, len(items), 2):
        cols = st.columns(2)
        for col, (label, value, delta, colour) in zip(cols, items[row:row + 2], strict=True):
            if isinstance(delta, float):
                # ASCII "-": Streamlit reads the delta's direction (arrow, colour) from its first character
                delta = None if abs(delta) < 0.5 else (("+" if delta > 0 else "-") + _money(abs(delta)))
            elif delta == 0:
                delta = None
            col.metric(label, value, delta=delta, delta_color=colour, border=True)
    f = t["flags"]
    gap = "over the envelope" if f["over_envelope"] else "within the envelope"
    msg = (f"**Rule flags:** {f['centres_below_min_reach']} centres below the minimum reach · "
           f"{f['groups_flagged']} groups flagged · {f['areas_in_gaps']} areas beyond the distance limit · "
           f"budget {gap} ({_money(t['envelope'])}).")
    if f["centres_below_min_reach"] or f["groups_flagged"] or f["areas_in_gaps"] or f["over_envelope"]:
        st.error(msg)
    else:
        st.success(msg)
    if t["children_further"]:
        st.caption(f"{t['children_further']:,} children now have a further centre than in the baseline.")


def _group_options(ev: Evaluation) -> list[str]:
    return ev.groups_table()["group"].tolist()


def draw_keyboard_moves(ev: Evaluation, names: dict[str, str], apply_move: Callable[[list[str], str], None],
                        new_group: str) -> None:
    """The keyboard path: pick centre(s), pick a group; close, reopen or merge a centre."""
    sc = ev.scenario
    ids = list(sc.group_of)
    groups = _group_options(ev)
    members = ev.groups_table().set_index("group")["members"]
    with st.form("keyboard_move", border=True, clear_on_submit=True):  # the next move starts from no centre
        st.markdown("**Move centres** (keyboard)")
        picked = st.multiselect("Centre(s)", ids, default=st.session_state.pop("map_selection", None) or None,
                                format_func=lambda c: plain(f"{names[c]} ({sc.group_of[c]})"), key="kb_centres",
                                filter_mode="contains", select_all=False)
        target = st.selectbox("To group", [*groups, new_group], key="kb_group", filter_mode="contains",
                              format_func=lambda g: "➕ New group" if g == new_group
                              else plain(f"{g}: {str(members.get(g, ''))[:60]}"))
        if st.form_submit_button("Move", type="primary") and picked:
            apply_move(list(picked), target)
            st.rerun()
    with st.form("centre_status", border=True):
        st.markdown("**Close, reopen or merge a centre**")
        cid = st.selectbox("Centre", ids, key="st_centre", filter_mode="contains",
                           format_func=lambda c: plain(f"{names[c]} ({'closed' if c in sc.closed else 'open'})"))
        open_ids = [c for c in ids if c not in sc.closed]
        into = st.selectbox("Merge into", open_ids, format_func=lambda c: plain(names[c]), key="st_target",
                            filter_mode="contains")
        c1, c2, c3 = st.columns(3)
        action = None
        if c1.form_submit_button("Close"):
            action = "close"
        if c2.form_submit_button("Reopen"):
            action = "reopen"
        if c3.form_submit_button("Merge"):
            action = "merge"
        if action:
            try:
                new = {"close": lambda: sc.close(cid), "reopen": lambda: sc.reopen(cid),
                       "merge": lambda: sc.merge(cid, into)}[action]()
            except (ValueError, KeyError) as exc:
                st.error(md(str(exc)))
            else:
                session.commit(new)
                st.rerun()


def draw_group_table(ev: Evaluation) -> str | None:
    """The group table, broken rules in red with their reason; returns the selected group."""
    g = ev.groups_table()
    shown = pd.DataFrame({
        "Group": g["group"], "Flags": g["flags"], "Open": g["open_centres"], "Reach": g["reach"],
        "Reach per centre": g["reach_per_centre"].round(0), "Deprived share": g["deprived_share"] * 100,
        "Weighted reach": g["weighted_reach"].round(0), "Span km": g["span_km"].round(1),
        "Lot value £": g["lot_value"].round(0), "Centres": g["members"],
    })

    def red(frame: pd.DataFrame) -> pd.DataFrame:
        """Flagged rows tinted, their Flags cell in bold red (one vectorised pass)."""
        flagged = (frame["Flags"] != "").to_numpy()[:, None]
        styles = np.where(flagged, FLAG_BG, "")
        styles = np.repeat(styles, frame.shape[1], axis=1)
        styles[:, frame.columns.get_loc("Flags")] = np.where(flagged[:, 0], FLAG_TEXT, "")
        return pd.DataFrame(styles, index=frame.index, columns=frame.columns)

    styled = shown.style.apply(red, axis=None).format({
        "Reach": "{:,}", "Reach per centre": "{:,.0f}", "Deprived share": "{:.0f}%",
        "Weighted reach": "{:,.0f}", "Span km": "{:.1f}", "Lot value £": "£{:,.0f}"})
    flagged = int((g["flags"] != "").sum())
    st.caption(f"{len(g)} groups, {flagged} flagged (red, with the reason). Select a row to highlight it on the map.")
    event = st.dataframe(styled, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key="group_table", height=min(38 + 35 * len(g), 560),
                         column_config={"Centres": st.column_config.TextColumn(width="large"),
                                        "Flags": st.column_config.TextColumn(width="medium")})
    rows = event.selection.rows if event is not None else []
    return str(shown["Group"].iloc[rows[0]]) if rows else None


def draw_list_view(ev: Evaluation, names: dict[str, str], readonly: bool = False) -> None:
    """Editable list of centres (group and status), kept in sync with the map."""
    c = ev.centres_table()
    sc = ev.scenario
    new_label = sc.new_group_label()
    options = [*_group_options(ev), new_label]
    table = pd.DataFrame({"centre_id": c["centre_id"], "Centre": c["name"], "Group": c["group"],
                          "Status": c["status"].where(c["status"] != "merged", "closed"),
                          "Reach": c["reach"], "Flags": c["flags"]}).set_index("centre_id")
    version = st.session_state.get("list_version", 0)
    edited = st.data_editor(
        table, key=f"list_view_{version}", width="stretch", height=min(38 + 35 * len(table), 600),
        disabled=True if readonly else ["Centre", "Reach", "Flags"], hide_index=True,
        column_config={"Group": st.column_config.SelectboxColumn(options=options, required=True),
                       "Status": st.column_config.SelectboxColumn(options=["open", "closed"], required=True)})
    st.caption(f"Change a centre's group (choose {new_label} to start a new group) or its status.")
    new = sc
    for cid in table.index[(edited["Group"] != table["Group"]).to_numpy()]:
        new = new.move([cid], str(edited.at[cid, "Group"]))
    for cid in table.index[(edited["Status"] != table["Status"]).to_numpy()]:
        new = new.close(cid) if edited.at[cid, "Status"] == "closed" else new.reopen(cid)
    if new != sc:
        session.commit(new)
        st.session_state["list_version"] = version + 1
        st.rerun()


def draw_change_log(hist: History) -> None:
    if not hist.log:
        st.caption("No changes yet: this is the baseline (every centre its own lot).")
        return
    st.markdown("\n".join(f"{i}. {md(line)}" for i, line in enumerate(hist.log, start=1)))


def draw_settings(sc: Scenario, disabled: bool = False) -> Scenario:
    """Rule thresholds, budget parameters and deprivation weights: returns the edited scenario
    (``disabled``: shown, not editable, as in a read-only view)."""
    r, b, d = sc.rules, sc.budget, sc.deprivation
    if disabled:
        st.caption("Read-only view: the settings are shown as the scenario has them, and cannot be changed.")
    num = partial(st.number_input, disabled=disabled)
    chk = partial(st.checkbox, disabled=disabled)
    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**Rules**")
        rules = Rules(
            min_reach=num("Minimum reach per open centre", 0, 10_000, int(r.min_reach or 0), 50),
            group_min=num("Group size: at least", 1, 100, int(r.group_min or 1)),
            group_max=num("Group size: at most", 1, 1000, int(r.group_max or 1000)),
            max_span_km=num("Maximum group span (km)", 0.0, 500.0, float(r.max_span_km or 500), 5.0),
            max_distance_km=num("Every area within (km) of an open centre", 0.0, 200.0,
                                            float(r.max_distance_km or 200), 1.0),
            within_envelope=chk("Total within the envelope", r.within_envelope),
            mixed_phases=chk("Each group mixes phases", r.mixed_phases),
        )
    with c2:
        st.markdown("**Budget (£ a year)**")
        budget = replace(
            b,
            management_per_lot=num("Management cost per lot", 0.0, 1e7, b.management_per_lot, 5000.0),
            base_cost_phase_1=num("Base cost, phase 1 centre", 0.0, 1e7, b.base_cost_phase_1, 5000.0),
            base_cost_phase_2=num("Base cost, phase 2 centre", 0.0, 1e7, b.base_cost_phase_2, 5000.0),
            base_cost_phase_3=num("Base cost, phase 3 centre", 0.0, 1e7, b.base_cost_phase_3, 5000.0),
            base_cost_phase_unknown=num("Base cost, phase unknown", 0.0, 1e7, b.base_cost_phase_unknown,
                                                    5000.0),
            rate_per_weighted_child=num("Rate per weighted child", 0.0, 10_000.0,
                                                    b.rate_per_weighted_child, 1.0),
            cut_percent=num("Grant cut %", 0.0, 100.0, b.cut_percent, 1.0),
        )
        st.caption("Lot value = management cost per lot + Σ over its open centres of (base cost by phase + "
                   "rate × weighted reach). Envelope = baseline total × (1 − cut %).")
    with c3:
        st.markdown("**Deprivation**")
        threshold = st.slider("Deprived = IMD decile at most", 1, 10, d.threshold, disabled=disabled)
        weights = st.data_editor(pd.DataFrame({"IMD decile": range(1, 11), "weight": list(d.weights)}),
                                 hide_index=True, disabled=True if disabled else ["IMD decile"],
                                 key="weights_editor")
        st.caption("Weighted reach = Σ children × weight of the area's decile.")
    dep = Deprivation(threshold=int(threshold), weights=tuple(float(w) for w in weights["weight"]))
    rules = replace(rules, min_reach=float(rules.min_reach), max_span_km=float(rules.max_span_km),
                    max_distance_km=float(rules.max_distance_km))
    if rules == _as_float(r) and budget == b and dep == d:
        return sc
    return replace(sc, rules=rules, budget=BudgetParameters(**budget.__dict__), deprivation=dep)


def _as_float(r: Rules) -> Rules:
    return replace(r, min_reach=float(r.min_reach or 0), group_min=int(r.group_min or 1),
                   group_max=int(r.group_max or 1000), max_span_km=float(r.max_span_km or 500),
                   max_distance_km=float(r.max_distance_km or 200))
