"""Centre Planner: entry point. Page navigation and the shared sidebar."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Centre Planner", page_icon=":material/map:", layout="wide")

pages = [
    st.Page("pages/plan.py", title="Plan", icon=":material/map:", default=True),
    st.Page("pages/overview.py", title="Overview", icon=":material/table_chart:"),
]
st.navigation(pages).run()
