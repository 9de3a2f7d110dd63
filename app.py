"""Centre Planner: entry point. Page navigation and the shared sidebar."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Centre Planner", page_icon="🗺️", layout="wide")

pages = [
    st.Page("pages/overview.py", title="Overview", icon="📊", default=True),
]
st.navigation(pages).run()
