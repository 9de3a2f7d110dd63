"""The Lots panel of the Plan page: procurement route and lead agency per group, for one or many groups."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import lots
from lib.metrics import Evaluation
from lib.scenario import LEAD_TYPE_LABELS, LEAD_TYPES, LOT_ROUTES, ROUTE_LABELS
from lib.text import md, plain
from ui import session

KEEP = "__keep__"
MAX_NAME = 120


def _clean_name(text: str) -> str:
    """A lead agency name as typed: one line, trimmed, at most ``MAX_NAME`` characters."""
    return " ".join(str(text).split())[:MAX_NAME]


def draw_lot_counts(ev: Evaluation) -> None:
    """'36 lots: 26 tender, 10 application · Lead agencies: ...' (groups with an open centre only)."""
    g = ev.groups_table()
    st.markdown(f"**{md(lots.describe_routes(g))}**  \n:gray[{md(lots.describe_lead_types(g))}. "
                "A lot is a group with at least one open centre.]")


def draw_lots_panel(ev: Evaluation, readonly: bool = False) -> None:
    """Counts, a bulk form (several groups at once) and an editable table (one group per row)."""
    draw_lot_counts(ev)
    g = lots.lot_rows(ev.groups_table())
    if g.empty:
        st.info("No lot: every centre is closed.")
        return
    if not readonly:
        _bulk_form(ev, g)
    table = pd.DataFrame({
        "Group": g["group"].to_numpy(), "Open centres": g["open_centres"].to_numpy(),
        "Route": g["route"].map(ROUTE_LABELS).to_numpy(),
        "Lead agency type": g["lead_type"].map(LEAD_TYPE_LABELS).to_numpy(),
        "Lead agency": g["lead_agency"].to_numpy(), "Centres": g["members"].to_numpy(),
    }).set_index("Group")
    version = st.session_state.get("lots_version", 0)
    edited = st.data_editor(
        table, key=f"lots_table_{version}", width="stretch", height=min(38 + 35 * len(table), 560),
        disabled=True if readonly else ["Open centres", "Centres"], hide_index=False,
        column_config={
            "Route": st.column_config.SelectboxColumn(options=[ROUTE_LABELS[r] for r in LOT_ROUTES], required=True),
            "Lead agency type": st.column_config.SelectboxColumn(
                options=[LEAD_TYPE_LABELS[t] for t in LEAD_TYPES], required=True),
            "Lead agency": st.column_config.TextColumn(max_chars=MAX_NAME),
            "Centres": st.column_config.TextColumn(width="large")})
    st.caption("Change a lot's route, lead agency type or name in the table, or several lots at once above. "
               "Each change is saved with the scenario, can be undone and appears in the change log.")
    if readonly:
        return
    route_of = {v: k for k, v in ROUTE_LABELS.items()}
    type_of = {v: k for k, v in LEAD_TYPE_LABELS.items()}
    sc = ev.scenario
    new = sc
    for group in table.index:
        row = edited.loc[group]
        changes = {"route": route_of.get(row["Route"], sc.lot(group).route),
                   "lead_type": type_of.get(row["Lead agency type"], sc.lot(group).lead_type),
                   "lead_agency": _clean_name(row["Lead agency"] or "")}
        if any(getattr(sc.lot(group), k) != v for k, v in changes.items()):
            new = new.with_lots([group], **changes)
    if new != sc:
        session.commit(new)
        st.session_state["lots_version"] = version + 1
        st.rerun()


def _bulk_form(ev: Evaluation, g: pd.DataFrame) -> None:
    sc = ev.scenario
    groups = g["group"].tolist()
    members = dict(zip(g["group"], g["members"], strict=True))
    chosen = st.session_state.get("selected_group")
    with st.form("lots_bulk", border=True, clear_on_submit=True):
        st.markdown("**Set several lots at once**")
        picked = st.multiselect("Lots", groups, default=[chosen] if chosen in groups else None, key="lots_pick",
                                format_func=lambda x: plain(f"{x}: {str(members[x])[:50]}"),
                                filter_mode="contains", placeholder="Choose one or more lots")
        c1, c2, c3 = st.columns(3)
        route = c1.selectbox("Procurement route", [KEEP, *LOT_ROUTES], key="lots_route",
                             format_func=lambda r: "(keep as it is)" if r == KEEP else ROUTE_LABELS[r])
        lead_type = c2.selectbox("Lead agency type", [KEEP, *LEAD_TYPES], key="lots_lead_type",
                                 format_func=lambda t: "(keep as it is)" if t == KEEP else LEAD_TYPE_LABELS[t])
        name = c3.text_input("Lead agency name", key="lots_lead_name", max_chars=MAX_NAME,
                             placeholder="(keep as it is)")
        clear = st.checkbox("Clear the lead agency name", key="lots_clear_name")
        if st.form_submit_button("Apply to the chosen lots", type="primary") and picked:
            changes = {}
            if route != KEEP:
                changes["route"] = route
            if lead_type != KEEP:
                changes["lead_type"] = lead_type
            if clear or _clean_name(name):
                changes["lead_agency"] = "" if clear else _clean_name(name)
            if changes:
                session.commit(sc.with_lots(picked, **changes))
                st.session_state["lots_version"] = st.session_state.get("lots_version", 0) + 1
                st.rerun()
