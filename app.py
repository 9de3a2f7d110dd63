"""Centre Planner: entry point. Page navigation, the browser's key, links, the draft offer."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from lib.text import md
from ui import auth, browser, drafts, follow, presentation, workspace

HERE = Path(__file__).resolve().parent
log = logging.getLogger("centre_planner")

st.set_page_config(page_title="Centre Planner", page_icon=str(HERE / "static" / "favicon.png"), layout="wide")

pages = [
    st.Page("views/plan.py", title="Plan", icon=":material/map:", default=True),
    st.Page("views/budget.py", title="Budget", icon=":material/payments:"),
    st.Page("views/scenarios.py", title="Scenarios", icon=":material/folder_open:"),
    st.Page("views/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("views/data.py", title="Data", icon=":material/database:"),
    st.Page("views/overview.py", title="Overview", icon=":material/table_chart:"),
    st.Page("views/help.py", title="Help", icon=":material/help:"),
]
# Less blank space above the page title: on a 1280x720 projector the map starts higher.
st.markdown("""<style>
[data-testid='stMainBlockContainer'] {padding-top: 3.2rem;}
[data-testid='stMetric'] {padding: 0.45rem 0.8rem;}
[data-testid='stMetricValue'] {font-size: 2.1rem;}
.st-key-browser_key_cookie {display: none;}
[data-testid='stCaptionContainer'] {opacity: 1; color: #555a64;}
</style>""", unsafe_allow_html=True)
presentation.style()  # large type and high contrast while presenting (?present=1)
page = st.navigation(pages, position="top")
auth.require_sign_in(page.title)  # with an [auth] secrets section: the sign-in screen until signed in
browser.remember()
workspace.apply_query_params()
drafts.offer()
workspace.show_message()  # what opening a link or restoring a draft had to say, on whichever page
follow.watch()  # a read-only view shows the newest saved version by itself
try:
    page.run()
except Exception as exc:  # never a traceback on a page: say what happened; the work is in the undo stack and draft
    log.exception("page %s failed", page.title)
    st.error(f"This page met a problem it could not handle ({md(type(exc).__name__)}: {md(str(exc))}). "
             "Nothing was lost: your changes are kept in this session and as a draft. "
             "Try another page, or undo the last step.")
