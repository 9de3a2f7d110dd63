"""Presentation mode: the Plan page for a projector (large type, map full width, editing chrome hidden,
big headline cards, high contrast). Switched by a toggle or the address (``?present=1``), kept in links."""

from __future__ import annotations

import streamlit as st

PARAM = "present"  # the address parameter: ?present=1
STATE = "presenting"
ZOOM = "present_zoom"  # the district picker's key: the district the map is zoomed to

# Large type and high contrast for the back row: black on white, thick borders, nothing pale grey.
CSS = """<style>
html {font-size: 18px;}
[data-testid='stMainBlockContainer'] {padding-top: 2.6rem; padding-left: 1.2rem; padding-right: 1.2rem;}
[data-testid='stMain'] p, [data-testid='stMain'] li, [data-testid='stMain'] label {color: #000;}
[data-testid='stMain'] button[kind='primary'] p {color: #fff;}
[data-testid='stCaptionContainer'], [data-testid='stCaptionContainer'] p {color: #1a1a1a; font-size: 1rem;}
[data-testid='stMetric'] {border: 3px solid #000 !important; padding: 0.3rem 0.9rem; background: #fff;}
[data-testid='stMetricLabel'] p {font-size: 1.15rem; font-weight: 700; color: #000;}
[data-testid='stMetricValue'] {font-size: 2.4rem; font-weight: 800; color: #000;}
[data-testid='stMetricDelta'] {font-size: 1.15rem; font-weight: 700;}
[data-testid='stMetricDelta'] svg {width: 1.3rem; height: 1.3rem;}
.stButton button p {font-size: 1rem; font-weight: 600;}
</style>"""


def on() -> bool:
    """True while the session presents: set by the toggle, or first by ``?present=1`` in the address."""
    if STATE not in st.session_state:
        st.session_state[STATE] = st.query_params.get(PARAM) == "1"
    return bool(st.session_state[STATE])


def switch(value: bool) -> None:
    """Start or stop presenting; the address says so (a reload or a copied address keeps the mode)."""
    st.session_state[STATE] = value
    st.session_state.pop(ZOOM, None)
    if value:
        st.query_params[PARAM] = "1"
    else:
        st.query_params.pop(PARAM, None)


def keep_address() -> None:
    """The address carries ``present=1`` while presenting (Streamlit may drop it on a page switch)."""
    if on() and st.query_params.get(PARAM) != "1":
        st.query_params[PARAM] = "1"


def link_suffix() -> str:
    """What a share link adds so that it opens in presentation mode: ``&present=1``, or nothing."""
    return f"&{PARAM}=1" if on() else ""


def style() -> None:
    """The presentation styles, on every page while presenting."""
    if on():
        st.markdown(CSS, unsafe_allow_html=True)
