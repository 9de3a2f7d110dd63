"""Centre Planner: entry point. Page navigation and the shared sidebar."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import workspace

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="Centre Planner", page_icon=str(HERE / "static" / "favicon.png"), layout="wide")

pages = [
    st.Page("views/plan.py", title="Plan", icon=":material/map:", default=True),
    st.Page("views/scenarios.py", title="Scenarios", icon=":material/folder_open:"),
    st.Page("views/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("views/data.py", title="Data", icon=":material/database:"),
    st.Page("views/overview.py", title="Overview", icon=":material/table_chart:"),
]
# Less blank space above the page title: on a 1280x720 projector the map starts higher.
st.markdown("""<style>
[data-testid='stMainBlockContainer'] {padding-top: 3.2rem;}
[data-testid='stMetric'] {padding: 0.45rem 0.8rem;}
[data-testid='stMetricValue'] {font-size: 2.1rem;}
</style>""", unsafe_allow_html=True)
page = st.navigation(pages, position="top")
workspace.apply_query_params()
page.run()
