"""Which browser this session runs in: the key that drafts and editing rights are kept under."""

from __future__ import annotations

import re
import secrets

import streamlit as st

COOKIE = "centre_planner_browser"
KEY = "browser_key"
_NEW = "_browser_key_new"
_FORMAT = re.compile(r"[A-Za-z0-9_-]{32}")


def browser_key() -> str:
    """This browser's key: from its cookie, or new (then :func:`remember` writes the cookie)."""
    key = st.session_state.get(KEY)
    if key:
        return key
    try:
        cookie = st.context.cookies.get(COOKIE, "")
    except (AttributeError, RuntimeError):  # no browser (a bare script run)
        cookie = ""
    if isinstance(cookie, str) and _FORMAT.fullmatch(cookie):
        key = cookie
    else:
        key = secrets.token_urlsafe(24)
        st.session_state[_NEW] = True
    st.session_state[KEY] = key
    return key


def remember() -> None:
    """Write the cookie when this session made the key (every run of that session: the element is tiny)."""
    key = browser_key()
    if st.session_state.get(_NEW):
        from components.browser_key import write_cookie

        write_cookie(COOKIE, key)
