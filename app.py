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
    st.Page("views/overview.py", title="Overview", icon=":material/table_chart:"),
]
page = st.navigation(pages, position="top")
workspace.apply_query_params()
page.run()
