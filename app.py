"""Centre Planner: entry point. Page navigation and the shared sidebar."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import workspace

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="Centre Planner", page_icon=str(HERE / "static" / "favicon.png"), layout="wide")

pages = [
    st.Page("pages/plan.py", title="Plan", icon=":material/map:", default=True),
    st.Page("pages/scenarios.py", title="Scenarios", icon=":material/folder_open:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("pages/overview.py", title="Overview", icon=":material/table_chart:"),
]
page = st.navigation(pages, position="top")
workspace.apply_query_params()
page.run()
