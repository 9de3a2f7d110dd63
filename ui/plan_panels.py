"""Panels of the Plan page: totals, keyboard moves, group table, list view, change log, settings."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

from lib.budget import money
from lib.history import History
from lib.metrics import Evaluation
from lib.text import md, plain
from ui import session
from ui.lots_panel import draw_lot_counts

FLAG_BG = "background-color: #fde0dc"
FLAG_TEXT = "color: #b00020; font-weight: 700"


def draw_totals(ev: Evaluation, base: Evaluation) -> None:
    """Eight headline figures with the change since the baseline, then the rule-flag summary."""
    t, b = ev.totals(), base.totals()
    items = [
        ("Groups (lots)", f"{t['groups']:,}", t["groups"] - b["groups"], "off"),
        ("Open centres", f"{t['open_centres']:,}", t["open_centres"] - b["open_centres"], "off"),
        ("Children covered", f"{t['children_covered']:,}", t["children_covered"] - b["children_covered"], "normal"),
        ("In 30% most deprived areas", f"{t['deprived_share']:.1%}", None, "off"),
        ("Weighted reach", f"{t['weighted_reach']:,.0f}", None, "off"),
        ("Budget total", money(t["budget_total"]), t["budget_total"] - b["budget_total"], "inverse"),
        ("Saving vs baseline", money(t["saving"]), None, "off"),
        ("Envelope gap", money(t["envelope_gap"]), None, "off"),
    ]
    for row in range(0, len(items), 2):
        cols = st.columns(2)
        for col, (label, value, delta, colour) in zip(cols, items[row:row + 2], strict=True):
            if isinstance(delta, float):
                # ASCII "-": Streamlit reads the delta's direction (arrow, colour) from its first character
                delta = None if abs(delta) < 0.5 else (("+" if delta > 0 else "-") + money(abs(delta)))
            elif delta == 0:
                delta = None
            col.metric(label, value, delta=delta, delta_color=colour, border=True)
    f = t["flags"]
    gap = "over the envelope" if f["over_envelope"] else "within the envelope"
    msg = (f"**Rule flags:** {f['centres_below_min_reach']} centres below the minimum reach · "
           f"{f['groups_flagged']} groups flagged · {f['areas_in_gaps']} areas beyond the distance limit · "
           f"budget {gap} ({money(t['envelope'])}).")
    if f["centres_below_min_reach"] or f["groups_flagged"] or f["areas_in_gaps"] or f["over_envelope"]:
        st.error(msg)
    else:
        st.success(msg)
    if t["children_further"]:
        st.caption(f"{t['children_further']:,} children now have a further centre than in the baseline.")
    draw_lot_counts(ev)


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
