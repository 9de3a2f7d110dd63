"""Budget: the envelope and the grant cut (what-if, live), the waterfall from the baseline, contract
values per lot and route, every budget parameter, and the board pack."""

from __future__ import annotations

import streamlit as st

from lib.text import md
from ui import budget_panels, session, workspace
from ui.pack_downloads import draw_pack_downloads

ev = session.evaluation()
base = session.baseline_evaluation()
net = session.network()
readonly = workspace.view_only()

st.markdown(f"### Budget · {md(ev.scenario.name)}  \n:gray[{md(net.dataset.name)} · "
            f"{'read-only view' if readonly else 'changes here are saved with the scenario and can be undone'}]")
workspace.show_message()
budget_panels.draw_headline(ev)
left, right = st.columns([1.1, 2], gap="large")
with left:
    st.markdown("**What if the grant is cut?**")
    budget_panels.commit_if_changed(ev, budget_panels.draw_what_if(ev, readonly), readonly)
    budget_panels.draw_route_values(ev)
with right:
    budget_panels.draw_waterfall(ev)
budget_panels.draw_contract_values(ev)
with st.expander("Budget parameters and deprivation weights", expanded=False):
    budget_panels.commit_if_changed(ev, budget_panels.draw_parameters(ev.scenario, readonly), readonly)
st.markdown("#### Board pack")
draw_pack_downloads(ev, base, "budget")
